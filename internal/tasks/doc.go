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

// Package tasks derives what the Service controller needs to know about its task Pods and the
// cluster's Nodes: the ECS task state of a Pod (PROVISIONING, PENDING, RUNNING, STOPPING,
// STOPPED), whether an essential container ended the task, why a task stopped in ECS's words,
// and which Nodes a task may run on (DAEMON services and zone rebalancing). It is pure: the
// Pod or Node and the time are inputs, so every rule is pinned by table tests.
//
// Rules where Kubernetes and ECS differ:
//
//   - ECS stops a task when an essential container exits. Kubernetes keeps the Pod phase
//     Running while other containers run, and always restarts native sidecars (and every
//     container under a Pod-level restartPolicy Always or OnFailure). So an essential
//     container that is terminated, or that was restarted at all, ends the task, unless the
//     task definition enabled the ECS restart policy for it (AnnotationRestartEnabled): then
//     only an exit Kubernetes will not restart ends the task.
//   - A deleted Pod is STOPPING even when its phase is already terminal: its stop was
//     requested and counted once.
//   - A Pod stopped by the cluster (eviction, preemption, node loss) did not fail by itself;
//     Observation.ByTask is false for it so the circuit breaker does not count it.
package tasks
