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

// Package revisions resolves task definition references — "family" (the latest revision) or
// "family:N" — to the registered, immutable revisions stored as ControllerRevisions, for the
// three ECS controllers that read them: TaskDefinition (which writes them), Service and
// PullCredentials. It owns the revisions' names, labels and annotations. It reads through a
// Kubernetes client, so it lives here rather than in the pure internal/taskdef.
package revisions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// Labels and annotations on the ControllerRevisions that hold TaskDefinition revisions.
const (
	// FamilyLabel holds the family (TaskDefinition name) on its ControllerRevisions, so one
	// list call finds a family's revisions.
	FamilyLabel = "ecs.berth.dev/family"
	// SpecHashAnnotation holds the revision's spec hash: a spec whose hash equals the latest
	// revision's registers nothing new.
	SpecHashAnnotation = "ecs.berth.dev/spec-hash"
)

// Errors of Resolve, for callers that react differently to each.
var (
	// ErrFamilyNotFound: no TaskDefinition of that name in the namespace.
	ErrFamilyNotFound = errors.New("task definition family not found")
	// ErrRevisionNotFound: the family exists but not that revision (never registered, or
	// pruned), or the family has no revision yet.
	ErrRevisionNotFound = errors.New("task definition revision not found")
	// ErrInvalidReference: the reference is not "family" or "family:revision".
	ErrInvalidReference = errors.New("invalid task definition reference")
)

// Revision is one registered, immutable TaskDefinition revision.
type Revision struct {
	// Family is the TaskDefinition's name.
	Family string
	// Number counts up from 1 within the family.
	Number int64
	// Name is the ControllerRevision holding it.
	Name string
	// Hash is the spec hash (internal/taskdef.SpecHash).
	Hash string
	// Spec is the revision's task definition.
	Spec ecsv1alpha1.TaskDefinitionSpec
}

// Ref returns "family:number", the ECS way of naming a revision.
func (r *Revision) Ref() string { return fmt.Sprintf("%s:%d", r.Family, r.Number) }

// Name is the ControllerRevision name of a family's revision: "<family>-<n>".
func Name(family string, n int64) string { return fmt.Sprintf("%s-%d", family, n) }

// ParseRef splits "family" or "family:revision"; revision 0 means the latest.
func ParseRef(ref string) (family string, revision int64, err error) {
	family, rev, pinned := strings.Cut(ref, ":")
	if family == "" {
		return "", 0, fmt.Errorf("%w %q: the family is empty", ErrInvalidReference, ref)
	}
	if !pinned {
		return family, 0, nil
	}
	n, err := strconv.ParseInt(rev, 10, 64)
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("%w %q: the revision must be a number from 1", ErrInvalidReference, ref)
	}
	return family, n, nil
}

// Resolve finds the revision a Service's taskDefinition names: "web" is the family's
// latest revision, "web:3" revision 3. Its errors say which part is missing.
func Resolve(ctx context.Context, c client.Reader, namespace, ref string) (*Revision, error) {
	family, n, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	td := &ecsv1alpha1.TaskDefinition{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: family}, td); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%w: no TaskDefinition %q in namespace %q", ErrFamilyNotFound, family, namespace)
		}
		return nil, fmt.Errorf("reading TaskDefinition %s/%s: %w", namespace, family, err)
	}
	if n == 0 {
		n = td.Status.Revision
		if n == 0 {
			return nil, fmt.Errorf("%w: TaskDefinition %q has no registered revision yet", ErrRevisionNotFound, family)
		}
	}
	cr := &appsv1.ControllerRevision{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: Name(family, n)}, cr); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%w: revision %d of %q does not exist (latest is %d)", ErrRevisionNotFound, n, family, td.Status.Revision)
		}
		return nil, fmt.Errorf("reading revision %s:%d: %w", family, n, err)
	}
	if !metav1.IsControlledBy(cr, td) {
		return nil, fmt.Errorf("%w: ControllerRevision %q does not belong to TaskDefinition %q", ErrRevisionNotFound, cr.Name, family)
	}
	return revisionFromControllerRevision(cr)
}

// revisionFromControllerRevision decodes a stored revision.
func revisionFromControllerRevision(cr *appsv1.ControllerRevision) (*Revision, error) {
	r := &Revision{Family: cr.Labels[FamilyLabel], Number: cr.Revision, Name: cr.Name, Hash: cr.Annotations[SpecHashAnnotation]}
	if err := json.Unmarshal(cr.Data.Raw, &r.Spec); err != nil {
		return nil, fmt.Errorf("decoding revision %s: %w", cr.Name, err)
	}
	return r, nil
}
