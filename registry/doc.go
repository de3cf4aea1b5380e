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

// Package registry is berth-registry: github.com/distribution/distribution/v3 embedded as a
// library (handlers.NewApp behind our own http.Server), with Kubernetes identities and ECR
// access rules (docs/registry-internals.md). This package wires the parts (server.go) and
// holds what distribution forces to be process-global (distribution.go) and the
// distribution configuration built from the options (configuration.go). The parts:
//
//   - options: the flags, file and defaults;
//   - store: Repositories and RepositoryPolicies from a read-only informer cache;
//   - auth: identities (TokenReview), decisions (RepositoryPolicy, then RBAC), the verdict
//     and distribution's access controller;
//   - middleware: distribution's registry and repository middleware;
//   - handlers: the gate, the image listing and the pull recorder;
//   - metrics: the registry's Prometheus metrics;
//   - imageapi: the wire types of the image listing, shared with berth-controller.
//
// A request goes through, in order (Server.Serve builds this chain):
//
//  1. the gate (handlers.Gate): the caller is the identity a TokenReview gives the Basic
//     password (auth.TokenAuthenticator), or anonymous without credentials; the request is
//     mapped to ECR actions by internal/policy and each is decided by explicit Deny, policy
//     Allow, then RBAC (auth.Authorizer, SubjectAccessReview cached briefly). A refusal is 401
//     with a Basic challenge for anonymous or failed credentials, 403 DENIED for
//     authenticated callers; a denied mount source only drops the mount;
//  2. distribution's App, whose access controller (auth.AccessController, a backstop) checks
//     that the gate's verdict covers what distribution itself derived from the request;
//  3. the registry middleware (middleware.NewNamespace): NAME_UNKNOWN for names without a
//     Repository resource (the gate answers this first, after authorization, so that callers
//     without rights learn nothing about which repositories exist); the catalog filtered to
//     what the caller may pull;
//  4. the repository middleware (middleware.NewImmutableRepository): TAG_INVALID when a push
//     would move a tag that the Repository's imageTagMutability protects, checked before the
//     manifest is stored and again, under a per-tag lock, when the tag is written.
//
// The catalog (/v2/_catalog, ecr:DescribeRepositories) is a registry-level action, which no
// RepositoryPolicy governs: it needs RBAC verb list on repositories.ecr.berth.dev cluster-wide
// (a ClusterRoleBinding), and then shows only repositories with a Repository resource that the
// caller may pull.
//
// Repositories and RepositoryPolicies come from a read-only informer cache, so changes apply
// to the next request. Notifications go to berth-controller (notifications.go).
//
// Global state: distribution keeps its access controllers, middleware and storage drivers in
// process-global registries and logs through logrus' standard logger. Berth registers its
// extensions there once per process under fixed names and passes each server's objects
// through the configuration of its own App, so several servers can share a process (the
// tests do); logrus is routed to the logr logger of the server started last. Distribution's
// Prometheus metrics stay on the default registry, unused; Berth's are on the server's own.
//
// A protected tag (IMMUTABLE, or not excluded) is checked and written under a lock per tag: in
// the process, and across replicas a coordination.k8s.io Lease in the lease namespace
// (middleware.TagLeases), so two replicas cannot both write one new tag.
//
// Known limit: a token stays accepted for up to the token cache TTL after it is revoked.
package registry
