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

// Package gc is berth-registry's online garbage collection: it removes, through the storage
// driver API (filesystem and S3 alike), the blobs no manifest of any repository references
// and the layer links of repositories that no longer reference their blob, while the
// registry keeps serving pushes and pulls. It owns the collector (a mark over every
// repository's manifest revisions, a decision by internal/blobgc, a sweep in batches), the
// write log that every commit, mount and manifest push records before it writes (journal.go),
// the Lease that keeps one collector running at a time across replicas (lease.go) and the
// schedule with its triggers (scheduler.go). docs/decisions.md ("Online garbage collection")
// explains why this is safe without a read-only window.
package gc
