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

// Package rollout is the ECS rolling-deployment planner: from the observed tasks of a
// service, its deployments, the desired count and the deploymentConfiguration it decides
// which tasks to start and which to stop, the new deployment states and the ECS service
// events. It is pure (no clients, no clock: time is an input) so that the Service
// controller stays a thin read → Compute → apply loop and the rollout arithmetic is pinned by
// table and golden tests.
//
// Counting rules, where ECS is silent or Kubernetes differs:
//
//   - A task counts toward the upper bound U while it is PROVISIONING, PENDING or RUNNING,
//     and toward the lower bound L only while it is RUNNING and healthy. STOPPING and
//     STOPPED tasks count toward neither, as in ECS (both bounds count tasks whose desired
//     status is RUNNING), so a replacement may start while the task it replaces drains.
//   - Tasks of deployments the status does not know (lost status, foreign labels) are drained
//     like ACTIVE ones; a record is made for them so that the status says where they came
//     from.
//   - A FAILED PRIMARY deployment (circuit breaker without rollback, or nothing COMPLETED to
//     roll back to) launches no more tasks and drains nothing, as ECS documents ("transition
//     to a failed state and stop launching new tasks"); only tasks beyond the desired count
//     are still stopped. A new Target (revision or pod configuration) ends that state.
//   - A STOPPED task is counted (failedTasks) in the pass that sees it and listed in
//     Plan.Remove; the controller must report it STOPPING from then on (expectations), or a
//     stale cache counts it twice.
//   - Tasks that are never placed stay PENDING/PROVISIONING and keep their room under U;
//     they are not failures (the controller reports them with UnableToPlaceMessage).
//   - A deployment whose rollout FAILED is never made PRIMARY again by the planner, even if
//     the spec still asks for it: the rollback stands until the spec names something else.
package rollout
