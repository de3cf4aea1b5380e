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

package leases

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestExpired(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	renewed := func(ago time.Duration) *metav1.MicroTime { m := metav1.NewMicroTime(now.Add(-ago)); return &m }
	cases := []struct {
		name string
		spec coordinationv1.LeaseSpec
		want bool
	}{
		{"never renewed", coordinationv1.LeaseSpec{LeaseDurationSeconds: ptr.To[int32](30)}, true},
		{"no duration", coordinationv1.LeaseSpec{RenewTime: renewed(0)}, true},
		{"renewed within its duration", coordinationv1.LeaseSpec{RenewTime: renewed(29 * time.Second), LeaseDurationSeconds: ptr.To[int32](30)}, false},
		{"at its duration", coordinationv1.LeaseSpec{RenewTime: renewed(30 * time.Second), LeaseDurationSeconds: ptr.To[int32](30)}, false},
		{"past its duration", coordinationv1.LeaseSpec{RenewTime: renewed(31 * time.Second), LeaseDurationSeconds: ptr.To[int32](30)}, true},
	}
	for _, c := range cases {
		if got := Expired(&coordinationv1.Lease{Spec: c.spec}, now); got != c.want {
			t.Errorf("%s: Expired = %v, want %v", c.name, got, c.want)
		}
	}
}
