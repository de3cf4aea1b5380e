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

// Package controllers holds one reconciler per Berth kind. Reconcilers stay thin: they read
// state, call the pure planners in internal/, apply the result and write status once.
package controllers

import (
	"context"
	"flag"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// Options configure the reconcilers; cmd/manager binds them to flags.
type Options struct {
	// ServiceConcurrency is how many Services are reconciled at once.
	ServiceConcurrency int
	// TaskWorkers bounds the task Pod creations and deletions one Service reconcile issues
	// at once; the client's QPS and burst bound them further.
	TaskWorkers int
	// BinpackSchedulerName is the scheduler profile that scores nodes MostAllocated, used for
	// binpack placement strategies; empty: binpack is reported as not applied.
	BinpackSchedulerName string
	// ContainerRestartRules says the cluster has per-container restart rules, so an ECS
	// restartPolicy restarts only its own container.
	ContainerRestartRules bool

	// RegistryHost is the bundled registry's host[:port]; task images under it are pulled
	// with PullSecretName. This is the hook of the registry work: empty adds no pull secret.
	RegistryHost string
	// PullSecretName is the execution pull Secret listed in task Pods that pull from
	// RegistryHost (for the default execution ServiceAccount; others get
	// <PullSecretName>-<serviceaccount>). With RegistryHost set, the pull credentials
	// controller keeps these Secrets; empty lists and keeps none.
	PullSecretName string
	// PullTokenLifetime is the lifetime of the tokens in pull Secrets, renewed at half-life.
	PullTokenLifetime time.Duration
	// RegistryReaderRole is the ClusterRole execution ServiceAccounts are bound to (the Helm
	// chart names it after its release).
	RegistryReaderRole string
	// Repository configures the Repository controller and how it reaches the registry; an
	// empty Repository.RegistryURL leaves the Repository controller out (tests of other kinds).
	Repository RepositoryOptions

	// Digests pins the images of a new deployment to the digests they resolve to when the
	// deployment starts (ECS versionConsistency); nil pins nothing.
	Digests DigestResolver
}

// Defaults of Options.
const (
	defaultServiceConcurrency = 4
	defaultTaskWorkers        = 16
	// DefaultPullSecretName is the default execution identity's pull Secret.
	DefaultPullSecretName = "berth-registry-pull"
	// defaultPullTokenLifetime is ECR's: its authorization tokens last 12 hours.
	defaultPullTokenLifetime = 12 * time.Hour
)

// BindFlags registers the reconcilers' flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	o.Repository.BindFlags(fs)
	fs.IntVar(&o.ServiceConcurrency, "service-concurrency", defaultServiceConcurrency, "Services reconciled at once.")
	fs.IntVar(&o.TaskWorkers, "task-workers", defaultTaskWorkers, "Task Pod creations and deletions one Service reconcile issues at once.")
	fs.StringVar(&o.BinpackSchedulerName, "binpack-scheduler-name", "", "Scheduler profile scoring nodes MostAllocated, for binpack placement strategies (empty: binpack is not applied).")
	fs.BoolVar(&o.ContainerRestartRules, "container-restart-rules", false, "The cluster supports per-container restart rules (ContainerRestartRules feature).")
	fs.StringVar(&o.PullSecretName, "pull-secret-name", DefaultPullSecretName, "Pull Secret of the default execution ServiceAccount in each namespace whose tasks use bundled-registry images (empty: keep none).")
	fs.DurationVar(&o.PullTokenLifetime, "pull-token-lifetime", defaultPullTokenLifetime, "Lifetime of the registry tokens in pull Secrets (renewed at half-life).")
	fs.StringVar(&o.RegistryReaderRole, "registry-reader-role", RegistryReaderRole, "ClusterRole granting pull, bound to execution ServiceAccounts in their namespace.")
}

// Events are written through the events.k8s.io API.
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// CacheOptions limits what the manager caches to Berth's own children: ControllerRevisions
// of task definition families, not every StatefulSet's and DaemonSet's; task Pods, core
// Services and NetworkPolicies of ECS services, not every workload's. Pods and Nodes are
// cached without managedFields (and Nodes without their image lists), which are most of
// their size and never read.
func CacheOptions() (cache.Options, error) {
	family, err := labels.NewRequirement(FamilyLabel, selection.Exists, nil)
	if err != nil {
		return cache.Options{}, fmt.Errorf("building cache selector: %w", err)
	}
	service, err := labels.NewRequirement(ecsv1alpha1.ServiceLabel, selection.Exists, nil)
	if err != nil {
		return cache.Options{}, fmt.Errorf("building cache selector: %w", err)
	}
	ofServices := labels.NewSelector().Add(*service)
	managed, err := labels.NewRequirement(PullCredentialsLabel, selection.Exists, nil)
	if err != nil {
		return cache.Options{}, fmt.Errorf("building cache selector: %w", err)
	}
	pullCredentials := labels.NewSelector().Add(*managed)
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&appsv1.ControllerRevision{}:  {Label: labels.NewSelector().Add(*family)},
		&corev1.Pod{}:                 {Label: ofServices, Transform: cache.TransformStripManagedFields()},
		&corev1.Service{}:             {Label: ofServices, Transform: cache.TransformStripManagedFields()},
		&networkingv1.NetworkPolicy{}: {Label: ofServices, Transform: cache.TransformStripManagedFields()},
		&corev1.Node{}:                {Transform: stripNode},
		// Only the pull credentials the controller keeps, not every Secret of the cluster.
		&corev1.Secret{}:         {Label: pullCredentials, Transform: cache.TransformStripManagedFields()},
		&corev1.ServiceAccount{}: {Label: pullCredentials, Transform: cache.TransformStripManagedFields()},
		&rbacv1.RoleBinding{}:    {Label: pullCredentials, Transform: cache.TransformStripManagedFields()},
	}}, nil
}

// stripNode drops what the Service controller never reads from cached Nodes: managedFields
// and the image list, which can be most of a Node's size.
func stripNode(obj any) (any, error) {
	if n, ok := obj.(*corev1.Node); ok {
		n.ManagedFields = nil
		n.Status.Images = nil
	}
	return obj, nil
}

// Setup registers the indexes and every reconciler with the manager.
func Setup(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if err := SetupIndexes(ctx, mgr); err != nil {
		return err
	}
	if err := (&TaskDefinitionReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scheme:    mgr.GetScheme(),
		Recorder:  mgr.GetEventRecorder("berth-taskdefinition-controller"),
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the TaskDefinition controller: %w", err)
	}
	if err := (&RepositoryPolicyReconciler{Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("berth-repositorypolicy-controller")}).SetupWithManager(ctx, mgr); err != nil {
		return fmt.Errorf("setting up the RepositoryPolicy controller: %w", err)
	}
	if opts.RegistryHost == "" {
		opts.RegistryHost = opts.Repository.RegistryHost
	}
	var reg *registryClient
	if opts.Repository.RegistryURL != "" {
		var err error
		if reg, err = newRepositoryRegistry(mgr, opts.Repository); err != nil {
			return err
		}
		if opts.Digests == nil && opts.RegistryHost != "" {
			opts.Digests = &registryDigests{client: reg, host: opts.RegistryHost}
		}
	}
	if err := NewServiceReconciler(mgr, opts).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Service controller: %w", err)
	}
	if opts.RegistryHost != "" && opts.PullSecretName != "" {
		if err := newPullCredentialsReconciler(mgr, opts).SetupWithManager(mgr); err != nil {
			return err
		}
	}
	if reg != nil {
		if err := setupRepository(ctx, mgr, opts.Repository, reg); err != nil {
			return err
		}
	}
	return registerMetrics(mgr.GetCache(), mgr.GetLogger().WithName("metrics"))
}

// newPullCredentialsReconciler is the pull credentials controller of opts.
func newPullCredentialsReconciler(mgr ctrl.Manager, opts Options) *PullCredentialsReconciler {
	r := &PullCredentialsReconciler{
		Client:       mgr.GetClient(),
		APIReader:    mgr.GetAPIReader(),
		RegistryHost: opts.RegistryHost,
		SecretName:   opts.PullSecretName,
		Audience:     opts.Repository.TokenAudience,
		Lifetime:     opts.PullTokenLifetime,
		ReaderRole:   opts.RegistryReaderRole,
		Recorder:     mgr.GetEventRecorder("berth-pullcredentials-controller"),
	}
	if r.ReaderRole == "" {
		r.ReaderRole = RegistryReaderRole
	}
	if r.Audience == "" {
		r.Audience = defaultRegistryAudience
	}
	if r.Lifetime <= 0 {
		r.Lifetime = defaultPullTokenLifetime
	}
	return r
}
