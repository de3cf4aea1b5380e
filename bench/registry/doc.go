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

// Package registrybench produces the registry figures of docs/budgets.md: P6 (push and pull
// throughput against the stock distribution registry), P6b (authorization latency), P7
// (concurrent pulls) with build tag "bench", and R3 (restarts during concurrent pushes) with
// build tag "soak". berth-registry and the reference run as processes on loopback, against a
// real kube-apiserver (envtest); the client is go-containerregistry's remote (crane).
package registrybench
