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

// Package ecr holds the reconcilers of the ecr.berth.dev API group: Repository (status from
// the bundled registry, lifecycle policies, guarded deletion) and RepositoryPolicy (whether a
// policy is in force), and the receiver of the registry's notifications that wakes the
// Repository reconciler. It reaches the registry through registry/client; the top-level
// controllers package builds the reconcilers and registers them with the manager.
package ecr
