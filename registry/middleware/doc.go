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

// Package middleware holds Berth's distribution middleware: the registry middleware
// (NewNamespace) answers NAME_UNKNOWN for names without a Repository resource and filters the
// catalog; the repository middleware (NewImmutableRepository) enforces imageTagMutability,
// checking and writing a protected tag under a lock per tag (in the process, and across
// replicas a coordination.k8s.io Lease, TagLeases). It also captures the App's storage for the
// handlers that read it directly (Deps.Storage).
package middleware
