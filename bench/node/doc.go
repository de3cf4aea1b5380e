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

// Package nodebench measures what a real node does with Berth's registry: P10, the time from
// Pod create to Running for the same 50 MiB image pulled from berth-registry (a token, RBAC
// and a RepositoryPolicy decide every request) and from the stock distribution registry (no
// auth), on the same real node (internal/testutil/realnode) in the same run. Build tag
// "bench"; root.
package nodebench
