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

// Package clusterbench measures the Service figures of docs/budgets.md on the sandbox cluster of
// hack/sandbox.sh (3 zones × 2 kwok nodes, real kube-apiserver, scheduler and
// controller-manager): P1–P5 with build tag "bench" (`make bench`), R1–R2 with build tag
// "soak" (`make soak`). berth-controller runs as a separate process built from ./cmd/manager,
// as it runs in a cluster, so its memory can be read, it can be killed and restarted, and its
// API requests are told apart by user agent in the API server's audit log. Speed figures are
// ratios against a Deployment (kube-controller-manager) or a plain client in the same run.
//
// The tests share one sandbox and run in the order of their files' names. Each empties what
// it created before the next, except P5 (zz_p5_memory_test.go, last), whose 20,000 Pods
// would slow every later start and purge: P8 and P9 took 33 and 37 s on an empty sandbox
// and 50–55 and 43–44 s after P5.
package clusterbench
