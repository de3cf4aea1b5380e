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

// Package ecs holds the reconcilers of the ecs.berth.dev API group: TaskDefinition (registers
// immutable revisions), Service (keeps an ECS service's tasks, rollouts and core Services),
// Task (runs one standalone task, ECS RunTask, through its lifecycle) and PullCredentials (the execution identities and pull Secrets task Pods need for the bundled
// registry), with the field indexes (SetupIndexes) and cache limits (CacheOptions) they share.
//
// They are one package, not one each, because they are one feature seen from three
// objects: the TaskDefinition controller prunes only the revisions no Service uses (through the
// Service index and the Service references this package reads), the Service and
// PullCredentials controllers both follow a Service's task definitions through its deployments,
// and their tests drive them together against one control plane (a Service's tasks pull with
// the Secret the PullCredentials controller keeps). Services and Tasks share the one
// translation (internal/taskdef) and the one task-state observer (internal/tasks). Split, each would export its internals to
// the others. What they share that needs no reconciler, resolving "family" and "family:N" to a
// stored revision, is the subpackage revisions. The top-level controllers package builds the
// reconcilers from its Options and registers them.
package ecs
