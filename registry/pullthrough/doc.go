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

// Package pullthrough is the I/O of berth-registry's pull through cache (ECR's pull through
// cache rules): it talks to the upstream registry of a PullThroughCacheRule with the rule's
// credentials, stores what it fetched in the registry's own storage (through Berth's
// repository middleware, so tag mutability and the garbage collector's journal apply), and
// creates the cached Repository from the namespace's RepositoryCreationTemplate. The gate
// (registry/handlers) decides who may do this; the pure decisions are internal/pullthrough.
package pullthrough
