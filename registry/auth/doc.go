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

// Package auth decides who a registry caller is and what it may do: the identity a
// TokenReview gives the Basic password (cached by the token's SHA-256, for at most
// options.MaxTokenCacheTTL), the decision of each ECR action in ECR's order (explicit Deny in a
// RepositoryPolicy, then Allow, then RBAC through a cached SubjectAccessReview), the Verdict
// the gate hands on in the request context, and the access controller registered with
// distribution as a backstop that lets a request through only when that Verdict covers it.
package auth
