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

package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs/revisions"
	"github.com/berth-dev/berth/internal/placement"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/taskdef"
	"github.com/berth-dev/berth/internal/tasks"
)

// DigestResolver resolves image references to digests when a deployment starts, so that all
// of its tasks run the same image even if a tag moves (ECS versionConsistency). The registry
// work provides it; without one, images are used as written.
type DigestResolver interface {
	// Resolve returns image reference → digest ("sha256:…") for the images it can resolve
	// in namespace; others are left out and used as written.
	Resolve(ctx context.Context, namespace string, images []string) (map[string]string, error)
}

// deploymentTemplate is what a deployment's ControllerRevision holds: the task Pod template
// exactly as its first task got it. Tasks of a deployment are always started from it, so a
// rollback, or the revert of a spec change, starts what ran before, digests included, even
// after the service's spec or the controller's translation changed.
type deploymentTemplate struct {
	// TaskDefinition is the "family:revision" the deployment runs.
	TaskDefinition string `json:"taskDefinition"`
	// Template is the task Pod template, labelled with the deployment ID.
	Template corev1.PodTemplateSpec `json:"template"`
}

// templateCache keeps decoded deployment templates by ControllerRevision, which are
// immutable, so that a pass reads each at most once per controller lifetime.
type templateCache struct {
	mu sync.Mutex
	m  map[types.NamespacedName]*deploymentTemplate
}

func (c *templateCache) get(key types.NamespacedName) *deploymentTemplate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

func (c *templateCache) put(key types.NamespacedName, t *deploymentTemplate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[types.NamespacedName]*deploymentTemplate{}
	}
	c.m[key] = t
}

func (c *templateCache) drop(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}

// deploymentRevisionName names the ControllerRevision of a deployment:
// "<service>-<deployment hash>". The hash always ends the name, so it never takes the form
// "<family>-<number>" of a task definition revision unless it is all digits, which its
// alphabet makes vanishingly rare and a revision number that large unthinkable.
func deploymentRevisionName(service, id string) string {
	return service + "-" + tasks.DeploymentHash(id)
}

// builtTemplate is the template the spec asks for now.
type builtTemplate struct {
	revision *revisions.Revision
	template corev1.PodTemplateSpec
	notes    []string
}

// reconcileTarget resolves the task definition revision the spec names, builds its task
// template and the deployment ID, and makes sure the deployment's template is stored.
// Configuration the controller cannot act on stalls the Service (and keeps the current
// deployment running) instead of failing the pass.
func (r *ServiceReconciler) reconcileTarget(ctx context.Context, s *serviceScope) error {
	rev, err := revisions.Resolve(ctx, r.Client, s.svc.Namespace, s.svc.Spec.TaskDefinition)
	if errors.Is(err, revisions.ErrFamilyNotFound) || errors.Is(err, revisions.ErrRevisionNotFound) {
		// The cache may hold a TaskDefinition's new status before the revision it names (or
		// miss a family created a moment ago): confirm before reporting the Service stalled.
		rev, err = revisions.Resolve(ctx, r.APIReader, s.svc.Namespace, s.svc.Spec.TaskDefinition)
	}
	switch {
	case errors.Is(err, revisions.ErrFamilyNotFound), errors.Is(err, revisions.ErrRevisionNotFound), errors.Is(err, revisions.ErrInvalidReference):
		s.stall(ecsv1alpha1.TaskDefinitionNotFoundReason, err.Error())
		return nil
	case err != nil:
		return err
	}
	built, err := r.buildTemplate(s.svc, rev, nil)
	switch {
	case errors.Is(err, placement.ErrInvalidPlacement):
		s.stall(ecsv1alpha1.InvalidPlacementReason, err.Error())
		return nil
	case err != nil:
		s.stall(ecsv1alpha1.InvalidTaskDefinitionReason, fmt.Sprintf("task definition %s: %v", rev.Ref(), err))
		return nil
	}
	id, err := tasks.DeploymentID(s.svc.Namespace, s.svc.Name, s.svc.Spec.ForceNewDeployment, &built.template)
	if err != nil {
		return err
	}
	s.target = rollout.Target{ID: id, TaskDefinition: rev.Ref()}
	s.notes = built.notes
	stored, err := r.loadTemplate(ctx, s, id)
	if err != nil || stored != nil {
		return err
	}
	return r.storeTemplate(ctx, s, id, built)
}

// buildTemplate translates a revision with the service's configuration into the task
// template (without the deployment label). digests pins images (nil: none).
func (r *ServiceReconciler) buildTemplate(svc *ecsv1alpha1.Service, rev *revisions.Revision, digests map[string]string) (*builtTemplate, error) {
	res, err := taskdef.Translate(&rev.Spec, taskdef.Options{
		Family:                rev.Family,
		Revision:              rev.Number,
		RegistryHost:          r.RegistryHost,
		PullSecretName:        r.PullSecretName,
		Digests:               digests,
		ContainerRestartRules: r.ContainerRestartRules,
	})
	if err != nil {
		return nil, err
	}
	sched, err := placement.Translate(svc.Spec.PlacementStrategy, svc.Spec.PlacementConstraints, rev.Spec.PlacementConstraints,
		placement.Options{ServiceName: svc.Name, BinpackSchedulerName: r.BinpackSchedulerName})
	if err != nil {
		return nil, err
	}
	in := tasks.TemplateInput{
		Service:        svc.Name,
		Namespace:      svc.Namespace,
		Translated:     res,
		Scheduling:     sched,
		Tags:           tasks.PropagatedTags(&svc.Spec, &rev.Spec),
		ManagedTags:    svc.Spec.EnableECSManagedTags != nil && *svc.Spec.EnableECSManagedTags,
		RestartEnabled: tasks.RestartEnabledContainers(&rev.Spec),
	}
	if g := svc.Spec.HealthCheckGracePeriodSeconds; g != nil {
		in.HealthCheckGracePeriodSeconds = *g
	}
	return &builtTemplate{revision: rev, template: tasks.BuildTemplate(in), notes: sched.Notes}, nil
}

// loadTemplate returns a deployment's stored template: from memory, else from its
// ControllerRevision (read from the API server: the cache holds only task definition
// revisions), or nil when there is none.
func (r *ServiceReconciler) loadTemplate(ctx context.Context, s *serviceScope, id string) (*deploymentTemplate, error) {
	if t := s.templates[id]; t != nil {
		return t, nil
	}
	key := types.NamespacedName{Namespace: s.svc.Namespace, Name: deploymentRevisionName(s.svc.Name, id)}
	if t := r.templates.get(key); t != nil {
		s.templates[id] = t
		return t, nil
	}
	cr := &appsv1.ControllerRevision{}
	if err := r.APIReader.Get(ctx, key, cr); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading the template of deployment %s: %w", id, err)
	}
	if !metav1.IsControlledBy(cr, s.svc) {
		return nil, nil
	}
	t := &deploymentTemplate{}
	if err := json.Unmarshal(cr.Data.Raw, t); err != nil {
		return nil, fmt.Errorf("decoding the template of deployment %s: %w", id, err)
	}
	r.templates.put(key, t)
	s.templates[id] = t
	return t, nil
}

// storeTemplate records a new deployment's template: images resolved to digests now, when
// the deployment starts, and the deployment label added.
func (r *ServiceReconciler) storeTemplate(ctx context.Context, s *serviceScope, id string, built *builtTemplate) error {
	tmpl := built.template
	if r.Digests != nil {
		digests, err := r.Digests.Resolve(ctx, s.svc.Namespace, images(&built.template.Spec))
		if err != nil {
			return fmt.Errorf("resolving image digests: %w", err)
		}
		if len(digests) > 0 {
			pinned, err := r.buildTemplate(s.svc, built.revision, digests)
			if err != nil {
				return err
			}
			tmpl = pinned.template
		}
	}
	t := &deploymentTemplate{TaskDefinition: built.revision.Ref(), Template: tasks.WithDeployment(tmpl, id)}
	data, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encoding the template of deployment %s: %w", id, err)
	}
	cr := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:      deploymentRevisionName(s.svc.Name, id),
			Namespace: s.svc.Namespace,
			Labels:    map[string]string{ecsv1alpha1.ServiceLabel: s.svc.Name, ecsv1alpha1.DeploymentLabel: id},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: built.revision.Number,
	}
	if err := controllerutil.SetControllerReference(s.svc, cr, r.Scheme); err != nil {
		return fmt.Errorf("owning the template of deployment %s: %w", id, err)
	}
	if err := r.Create(ctx, cr); err != nil {
		if apierrors.IsAlreadyExists(err) { // stored by an earlier pass whose memory is gone
			_, err := r.loadTemplate(ctx, s, id)
			return err
		}
		return fmt.Errorf("storing the template of deployment %s: %w", id, err)
	}
	ctrl.LoggerFrom(ctx).Info("Stored deployment template", "deployment", id, "taskDefinition", t.TaskDefinition)
	r.templates.put(client.ObjectKeyFromObject(cr), t)
	s.templates[id] = t
	return nil
}

// templateFor returns the template to start tasks of a deployment from. A deployment whose
// revision was lost (deleted by hand) is rebuilt from its task definition revision and the
// current spec, so a rollback can still proceed.
func (r *ServiceReconciler) templateFor(ctx context.Context, s *serviceScope, dep rollout.Deployment) (*deploymentTemplate, error) {
	t, err := r.loadTemplate(ctx, s, dep.ID)
	if err != nil || t != nil {
		return t, err
	}
	rev, err := revisions.Resolve(ctx, r.Client, s.svc.Namespace, dep.TaskDefinition)
	if err != nil {
		return nil, fmt.Errorf("deployment %s has no stored template and its task definition cannot be read: %w", dep.ID, err)
	}
	built, err := r.buildTemplate(s.svc, rev, nil)
	if err != nil {
		return nil, fmt.Errorf("deployment %s has no stored template and %s does not translate: %w", dep.ID, rev.Ref(), err)
	}
	ctrl.LoggerFrom(ctx).Info("Rebuilding a lost deployment template", "deployment", dep.ID, "taskDefinition", rev.Ref())
	if err := r.storeTemplate(ctx, s, dep.ID, built); err != nil {
		return nil, err
	}
	return s.templates[dep.ID], nil
}

// reconcileTemplatesPrune deletes the stored templates of deployments the status no longer
// lists; owner references remove the rest with the Service.
func (r *ServiceReconciler) reconcileTemplatesPrune(ctx context.Context, s *serviceScope) error {
	if !s.planned {
		return nil
	}
	kept := map[string]bool{s.target.ID: true}
	for _, d := range s.plan.Deployments {
		kept[d.ID] = true
	}
	var errs []error
	for _, d := range s.svc.Status.Deployments {
		if kept[d.ID] {
			continue
		}
		key := types.NamespacedName{Namespace: s.svc.Namespace, Name: deploymentRevisionName(s.svc.Name, d.ID)}
		r.templates.drop(key)
		cr := &appsv1.ControllerRevision{}
		if err := r.APIReader.Get(ctx, key, cr); err != nil {
			if !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("reading the template of deployment %s: %w", d.ID, err))
			}
			continue
		}
		if !metav1.IsControlledBy(cr, s.svc) {
			continue
		}
		if err := r.Delete(ctx, cr, client.Preconditions{UID: &cr.UID}); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("deleting the template of deployment %s: %w", d.ID, err))
		}
	}
	return errors.Join(errs...)
}

// images lists the distinct images of a Pod spec.
func images(spec *corev1.PodSpec) []string {
	var out []string
	for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range list {
			if !slices.Contains(out, c.Image) {
				out = append(out, c.Image)
			}
		}
	}
	return out
}
