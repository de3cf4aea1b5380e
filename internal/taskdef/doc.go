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

// Package taskdef translates one ECS TaskDefinition revision into the PodTemplateSpec of its
// task Pods. It is pure: no client calls, no clock, no randomness, so the same spec and
// Options always give byte-identical output, and the golden files under testdata/ are the
// specification of the mapping.
//
// Translate applies the mapping table of docs/task-definition-mapping.md. Where Kubernetes
// has no exact equivalent the definition is still accepted, the nearest behaviour is applied
// and an Approximation names the field and says what was done; the TaskDefinition controller
// turns them into the Translated=Approximated condition. Input that would give an invalid
// Pod, or that ECS itself rejects, is a *FieldError instead.
//
// Decisions worth knowing when reading the goldens:
//
//   - Task-level cpu and memory become pod-level resources (PodSpec.Resources, the
//     PodLevelResources feature): requests and limits both equal the task size, which is what
//     ECS reserves and the ceiling the containers share. Container cpu stays a request only
//     (ECS container cpu is a soft share). ephemeralStorage cannot be pod-level and becomes
//     the limit of the first essential container.
//   - dependsOn decides each container's kind: a container others depend on with COMPLETE or
//     SUCCESS is a regular init container; one depended on with START or HEALTHY is a native
//     sidecar (init container with restartPolicy Always); the others are containers.
//     Init containers are ordered topologically, the earliest definition first among those
//     ready.
//   - A healthCheck is an exec livenessProbe; for an essential container also the
//     readinessProbe (ECS task health only counts essential containers). CMD-SHELL runs with
//     /bin/sh -c, as Docker does. startPeriod becomes a startupProbe allowing
//     ceil(startPeriod/interval) + retries attempts; a HEALTHY dependency gets a startupProbe
//     too, which is what holds back the containers after it. A START sidecar's startPeriod
//     delays its liveness probe instead, so that it does not hold back its dependants.
//   - startTimeout is, as in ECS, how long a dependency may take to reach its condition: the
//     startup probe budget (ceil(startTimeout/interval) attempts) of a HEALTHY dependency,
//     Approximated for other dependencies, and without effect on a container nobody waits for.
//   - terminationGracePeriodSeconds is the largest stopTimeout, each container counting as 30
//     seconds (the ECS default) when it sets none.
//   - restartPolicy is Never unless a container enables the ECS restart policy.
//   - enableServiceLinks is false: ECS injects no environment variables for other services.
//   - requiresCompatibilities only makes ECS validate the definition against a launch type at
//     registration; it changes nothing at run time, so it has no effect and is not reported.
//   - Pod annotations: ecs.berth.dev/essential-containers lists the essential containers so
//     the Service controller can tell from a Pod alone which exits end the task;
//     <container>.logs.ecs.berth.dev/driver and /<option> keep logConfiguration for log agents.
package taskdef
