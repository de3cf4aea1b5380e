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

// Package pullthrough holds the pure decisions of the registry's pull through cache (ECR's
// pull through cache rules and repository creation templates): which cache path maps to which
// Repository and upstream repository, which template a new Repository gets and what it makes
// of it, and when a cached tag must be asked for again. registry/pullthrough does the I/O.
package pullthrough
