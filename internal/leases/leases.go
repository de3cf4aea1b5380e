/*
Copyright 2026 The Berth Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package leases holds the rule by which Berth reads a coordination.k8s.io Lease another
// replica holds: the registry's tag locks (registry/middleware) and its garbage collector
// (registry/gc) take over a Lease only once its holder stopped renewing it.
package leases

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
)

// Expired reports whether a Lease's holder stopped renewing it more than its duration
// before now; a Lease without a renew time or a duration is expired.
func Expired(lease *coordinationv1.Lease, now time.Time) bool {
	renewed, d := lease.Spec.RenewTime, lease.Spec.LeaseDurationSeconds
	if renewed == nil || d == nil {
		return true
	}
	return now.After(renewed.Add(time.Duration(*d) * time.Second))
}
