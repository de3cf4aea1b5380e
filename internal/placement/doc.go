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

// Package placement turns ECS placement strategies and constraints into Pod scheduling fields,
// and chooses which tasks to stop so that a service stays balanced over zones and nodes.
//
// Kubernetes spreads Pods only when it schedules them; ECS also keeps the spread when it stops
// tasks. The package therefore has two halves:
//
//   - launch: Translate maps spread to topologySpreadConstraints, binpack to a scheduler
//     profile, distinctInstance to pod anti-affinity and memberOf expressions (the ECS cluster
//     query language, parsed by ParseMemberOf) to required node affinity. kube-scheduler does
//     the placing.
//   - stop: ChooseVictims picks the tasks to stop from the fullest zone, then the fullest node,
//     and Rebalance tells the controller when zones drifted apart by more than one task.
//
// Everything here is pure: no client calls, deterministic output for the same input.
package placement
