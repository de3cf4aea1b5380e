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

// Package policy holds the registry's authorization rules as pure functions, so that they can
// be tested with tables and fuzzing without a registry or an API server:
//
//   - which ECR actions exist and how action wildcards match (actions.go);
//   - how an OCI distribution request maps to the ECR action and RBAC verb it needs
//     (routes.go, requirements.go, names.go);
//   - how a caller is matched against RepositoryPolicy principals (principals.go);
//   - ECR's evaluation order: explicit Deny, then Allow, otherwise RBAC decides (evaluate.go);
//   - which statements cannot be enforced as written, for the policy's status (validate.go);
//   - whether a manifest push may move a tag (immutability.go).
//
// The package makes no client calls and keeps no state; the registry feeds it objects from its
// informer cache and performs the SubjectAccessReview itself when Evaluate has no opinion.
package policy
