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
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs/revisions"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/taskdef"
	regclient "github.com/berth-dev/berth/registry/client"
)

// PullCredentialsLabel marks the ServiceAccounts, RoleBindings and Secrets the controller keeps
// so that task Pods can pull from the bundled registry; only objects carrying it are cached,
// changed or deleted. Its value is the execution ServiceAccount they serve.
const PullCredentialsLabel = "berth.dev/pull-credentials" //nolint:gosec // a label key, not a credential

// Annotations on a pull Secret recording what its token was issued for, so a pass can tell
// without a token review whether the token is still good.
const (
	// pullTokenRefreshAnnotation is when the token reaches half its lifetime (RFC 3339).
	pullTokenRefreshAnnotation = "berth.dev/token-refresh-at" //nolint:gosec // an annotation key
	// pullTokenExpiryAnnotation is when the token expires (RFC 3339).
	pullTokenExpiryAnnotation = "berth.dev/token-expires-at" //nolint:gosec // an annotation key
	// pullTokenSAUIDAnnotation is the UID of the ServiceAccount the token belongs to: a
	// ServiceAccount deleted and created again invalidates its tokens.
	pullTokenSAUIDAnnotation = "berth.dev/service-account-uid" //nolint:gosec // an annotation key
	// pullTokenHostAnnotation is the registry host the Secret's auths entry is for.
	pullTokenHostAnnotation = "berth.dev/registry-host" //nolint:gosec // an annotation key
)

// Defaults of PullCredentialsReconciler.
const (
	// DefaultPullSecretName is the default execution identity's pull Secret.
	DefaultPullSecretName = "berth-registry-pull"
	// DefaultPullTokenLifetime is ECR's: its authorization tokens last 12 hours.
	DefaultPullTokenLifetime = 12 * time.Hour
)

// RegistryReaderRole is the default ClusterRole granting pull on a namespace's repositories;
// execution ServiceAccounts are bound to it in their own namespace, like ECR's
// AmazonEC2ContainerRegistryReadOnly on an ECS task execution role.
const RegistryReaderRole = "berth-registry-reader"

// pullCredentialsRequestName is the name of every request of the namespace-keyed reconciler.
const pullCredentialsRequestName = "pull-credentials"

// PullCredentialsReconciler keeps, in every namespace whose Services or Tasks run task
// definitions with bundled-registry images, what their Pods need to pull them: the execution
// ServiceAccount (created when missing), a RoleBinding of it to berth-registry-reader, and a
// kubernetes.io/dockerconfigjson Secret with a registry token of it (TokenRequest, audience
// Audience, Lifetime long, renewed at half-life). It removes what it made once no Service
// or running Task needs it. It works per namespace because Secrets, tokens and bindings are per namespace.
type PullCredentialsReconciler struct {
	Client client.Client
	// APIReader reads execution ServiceAccounts the user made, which the label-scoped cache
	// does not hold.
	APIReader client.Reader
	// RegistryHost is the bundled registry's host[:port] as kubelets reach it.
	RegistryHost string
	// SecretName is the default execution identity's pull Secret (taskdef.PullSecretName).
	SecretName string
	// Audience is the registry's token audience (registry/client.DefaultAudience when not
	// set).
	Audience string
	// Lifetime is the lifetime asked of each token (DefaultPullTokenLifetime, ECR's 12 hours,
	// when not set).
	Lifetime time.Duration
	// ReaderRole is the ClusterRole execution ServiceAccounts are bound to (RegistryReaderRole
	// when not set).
	ReaderRole string
	// Recorder reports, on the Services that need them, pull credentials that cannot be kept
	// (a Secret of that name Berth does not manage, a refused TokenRequest); nil reports none.
	Recorder recorder.EventRecorder
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=serviceaccounts/token,verbs=create
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=rolebindings,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=clusterroles,verbs=bind,resourceNames=berth-registry-reader
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=tasks,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitions,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=get;list;watch

// Reconcile brings one namespace's pull credentials to what its Services and Tasks need.
func (r *PullCredentialsReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ns := req.Namespace
	needed, users, err := r.neededIdentities(ctx, r.Client, ns)
	if err != nil {
		return ctrl.Result{}, err
	}
	var refresh time.Time
	var errs []error
	for _, sa := range needed {
		next, err := r.reconcileIdentity(ctx, ns, sa)
		if err != nil {
			errs = append(errs, err)
			r.reportFailure(users[sa], sa, err)
			continue
		}
		if refresh.IsZero() || next.Before(refresh) {
			refresh = next
		}
	}
	if err := r.reconcileLeftovers(ctx, ns, needed); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return ctrl.Result{}, err
	}
	if refresh.IsZero() {
		return ctrl.Result{}, nil
	}
	// Time-based work: the token must be renewed at half-life even if nothing changes.
	return ctrl.Result{RequeueAfter: max(time.Second, refresh.Sub(r.now()))}, nil
}

// neededIdentities are the execution ServiceAccounts whose task definitions pull from the
// bundled registry, for the namespace's Services (the task definition in spec and those of
// their running deployments) and its Tasks that have not stopped (the revision they run, or
// the one they will resolve), sorted, and the objects needing each, read through c (the
// cache, or the API server to confirm a deletion).
func (r *PullCredentialsReconciler) neededIdentities(ctx context.Context, c client.Reader, ns string) ([]string, map[string][]client.Object, error) {
	var services ecsv1alpha1.ServiceList
	if err := c.List(ctx, &services, client.InNamespace(ns)); err != nil {
		return nil, nil, fmt.Errorf("listing the Services of namespace %s: %w", ns, err)
	}
	var standalone ecsv1alpha1.TaskList
	if err := c.List(ctx, &standalone, client.InNamespace(ns)); err != nil {
		return nil, nil, fmt.Errorf("listing the Tasks of namespace %s: %w", ns, err)
	}
	var out []string
	users := map[string][]client.Object{}
	need := func(user client.Object, refs []string) {
		for _, ref := range refs {
			if ref == "" {
				continue
			}
			rev, err := revisions.Resolve(ctx, c, ns, ref)
			if err != nil {
				// A missing family or revision runs no task; the Service or Task reports it.
				continue
			}
			if len(taskdef.RegistryImages(&rev.Spec, r.RegistryHost)) > 0 {
				sa := taskdef.ExecutionServiceAccount(&rev.Spec)
				if !slices.Contains(out, sa) {
					out = append(out, sa)
				}
				if !slices.Contains(users[sa], user) {
					users[sa] = append(users[sa], user)
				}
			}
		}
	}
	for i := range services.Items {
		svc := &services.Items[i]
		if !svc.DeletionTimestamp.IsZero() {
			continue
		}
		need(svc, append([]string{svc.Spec.TaskDefinition}, deploymentRefs(svc)...))
	}
	for i := range standalone.Items {
		if t := &standalone.Items[i]; t.DeletionTimestamp.IsZero() && t.Status.LastStatus != ecsv1alpha1.TaskStopped {
			need(t, []string{taskRef(t)})
		}
	}
	slices.Sort(out)
	return out, users, nil
}

// taskRef is the revision a Task runs, or the reference it will resolve when it starts.
func taskRef(t *ecsv1alpha1.Task) string {
	if t.Status.TaskDefinition != "" {
		return t.Status.TaskDefinition
	}
	return t.Spec.TaskDefinition
}

// reportFailure tells the Services and Tasks that need an execution identity's pull
// credentials why they could not be kept: their tasks will fail to pull from the bundled
// registry.
func (r *PullCredentialsReconciler) reportFailure(users []client.Object, sa string, err error) {
	if r.Recorder == nil {
		return
	}
	for _, user := range users {
		r.Recorder.Eventf(user, nil, corev1.EventTypeWarning, "PullCredentialsFailed", "KeepPullCredentials",
			"pull credentials of execution ServiceAccount %s: %s", sa, conditions.Truncate(err.Error(), 900))
	}
}

// reconcileIdentity makes sure one execution ServiceAccount exists, is bound to the reader
// role and has a fresh pull Secret; it returns when the Secret's token needs renewing.
func (r *PullCredentialsReconciler) reconcileIdentity(ctx context.Context, ns, name string) (time.Time, error) {
	sa, err := r.reconcileServiceAccount(ctx, ns, name)
	if err != nil {
		return time.Time{}, err
	}
	if err := r.reconcileRoleBinding(ctx, ns, name); err != nil {
		return time.Time{}, err
	}
	return r.reconcileSecret(ctx, sa)
}

// reconcileServiceAccount returns the execution ServiceAccount, creating it (labelled, so it
// is removed again when unused) when it does not exist. One the user made is used as it is.
func (r *PullCredentialsReconciler) reconcileServiceAccount(ctx context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	sa := &corev1.ServiceAccount{}
	err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, sa)
	if err == nil {
		return sa, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("reading ServiceAccount %s/%s: %w", ns, name, err)
	}
	sa = &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: ns, Name: name, Labels: map[string]string{PullCredentialsLabel: name},
	}}
	if err := r.Client.Create(ctx, sa); err != nil {
		return nil, fmt.Errorf("creating execution ServiceAccount %s/%s: %w", ns, name, err)
	}
	ctrl.LoggerFrom(ctx).Info("created execution ServiceAccount", "serviceAccount", klog.KObj(sa))
	return sa, nil
}

// readerBindingName is the RoleBinding of an execution ServiceAccount to the reader role.
func readerBindingName(sa string) string {
	return taskdef.PullSecretName(RegistryReaderRole, sa)
}

// reconcileRoleBinding binds the execution ServiceAccount to berth-registry-reader in its
// namespace. A binding of that name that binds something else is replaced (roleRef cannot be
// changed in place).
func (r *PullCredentialsReconciler) reconcileRoleBinding(ctx context.Context, ns, sa string) error {
	want := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: readerBindingName(sa), Labels: map[string]string{PullCredentialsLabel: sa}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: r.ReaderRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: sa}},
	}
	got := &rbacv1.RoleBinding{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(want), got)
	switch {
	case err == nil && got.RoleRef == want.RoleRef && slices.Equal(got.Subjects, want.Subjects):
		return nil
	case err == nil:
		if err := r.Client.Delete(ctx, got, client.Preconditions{UID: &got.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("replacing RoleBinding %s/%s: %w", ns, want.Name, err)
		}
	case !apierrors.IsNotFound(err):
		return fmt.Errorf("reading RoleBinding %s/%s: %w", ns, want.Name, err)
	}
	if err := r.Client.Create(ctx, want); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("binding %s/%s to %s: %w", ns, sa, r.ReaderRole, err)
	}
	return nil
}

// reconcileSecret renews the pull Secret of sa when it is missing or its token is due, and
// returns when it is next due.
func (r *PullCredentialsReconciler) reconcileSecret(ctx context.Context, sa *corev1.ServiceAccount) (time.Time, error) {
	name := taskdef.PullSecretName(r.SecretName, sa.Name)
	key := types.NamespacedName{Namespace: sa.Namespace, Name: name}
	got := &corev1.Secret{}
	// From the API server: a Secret written a moment ago may not be in the cache yet, and a
	// create would then collide with it.
	err := r.APIReader.Get(ctx, key, got)
	if err != nil && !apierrors.IsNotFound(err) {
		return time.Time{}, fmt.Errorf("reading pull Secret %s: %w", key, err)
	}
	exists := err == nil
	now := r.now()
	if exists {
		if due, ok := pullTokenDue(got, string(sa.UID), r.RegistryHost, now); !ok {
			return due, nil
		}
	}
	t, err := regclient.RequestToken(ctx, r.Client, sa, r.Audience, r.Lifetime, now)
	if err != nil {
		return time.Time{}, err
	}
	refresh := t.RenewAt
	want := pullSecret(sa, name, r.RegistryHost, t.Token, refresh, t.Expiry)
	if !exists {
		if err := r.Client.Create(ctx, want); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return time.Time{}, fmt.Errorf("a Secret %s exists that Berth does not manage (no %s label): rename it or "+
					"remove it so task Pods can pull from the bundled registry: %w", key, PullCredentialsLabel, err)
			}
			return time.Time{}, fmt.Errorf("creating pull Secret %s: %w", key, err)
		}
	} else {
		got.Labels, got.Annotations, got.Type, got.Data = want.Labels, want.Annotations, want.Type, want.Data
		if err := r.Client.Update(ctx, got); err != nil {
			return time.Time{}, fmt.Errorf("renewing pull Secret %s: %w", key, err)
		}
	}
	ctrl.LoggerFrom(ctx).V(1).Info("issued a registry pull token", "secret", klog.KRef(key.Namespace, key.Name), "refreshAt", refresh)
	return refresh, nil
}

// reconcileLeftovers deletes the labelled ServiceAccounts, RoleBindings and Secrets of
// execution identities no Service of the namespace needs any more. The cache suggests them;
// the API server confirms before anything is deleted, since a Service or task definition
// revision written a moment ago may not be cached yet (deleting a ServiceAccount also voids
// every token issued for it).
func (r *PullCredentialsReconciler) reconcileLeftovers(ctx context.Context, ns string, needed []string) error {
	lists := []client.ObjectList{&corev1.SecretList{}, &rbacv1.RoleBindingList{}, &corev1.ServiceAccountList{}}
	var errs []error
	var leftovers []client.Object
	for _, l := range lists {
		if err := r.Client.List(ctx, l, client.InNamespace(ns), client.HasLabels{PullCredentialsLabel}); err != nil {
			errs = append(errs, fmt.Errorf("listing pull credentials of namespace %s: %w", ns, err))
			continue
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading pull credentials of namespace %s: %w", ns, err))
			continue
		}
		for _, item := range items {
			if obj, ok := item.(client.Object); ok && !slices.Contains(needed, obj.GetLabels()[PullCredentialsLabel]) {
				leftovers = append(leftovers, obj)
			}
		}
	}
	if len(leftovers) == 0 {
		return errors.Join(errs...)
	}
	live, _, err := r.neededIdentities(ctx, r.APIReader, ns)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, obj := range leftovers {
		if slices.Contains(live, obj.GetLabels()[PullCredentialsLabel]) {
			continue
		}
		uid := obj.GetUID()
		if err := r.Client.Delete(ctx, obj, client.Preconditions{UID: &uid}); client.IgnoreNotFound(err) != nil && !apierrors.IsConflict(err) {
			errs = append(errs, fmt.Errorf("deleting unused %T %s/%s: %w", obj, ns, obj.GetName(), err))
		}
	}
	return errors.Join(errs...)
}

func (r *PullCredentialsReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// SetupWithManager reconciles a namespace when one of its Services changes spec or
// deployments, a TaskDefinition changes (a new revision shows in its status), or one of its
// pull credentials changes or disappears. It sets the defaults of ReaderRole, Audience and
// Lifetime.
func (r *PullCredentialsReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.ReaderRole == "" {
		r.ReaderRole = RegistryReaderRole
	}
	if r.Audience == "" {
		r.Audience = regclient.DefaultAudience
	}
	if r.Lifetime <= 0 {
		r.Lifetime = DefaultPullTokenLifetime
	}
	toNamespace := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, obj client.Object) []ctrl.Request {
		return []ctrl.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: pullCredentialsRequestName}}}
	})
	// A Service's deployments (status) name the task definitions still running.
	specOrDeployments := predicate.Or(predicate.GenerationChangedPredicate{}, predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(*ecsv1alpha1.Service)
			n, ok2 := e.ObjectNew.(*ecsv1alpha1.Service)
			return ok1 && ok2 && !slices.Equal(deploymentRefs(o), deploymentRefs(n))
		},
	})
	managed := predicate.NewPredicateFuncs(func(obj client.Object) bool {
		_, ok := obj.GetLabels()[PullCredentialsLabel]
		return ok
	})
	if err := ctrl.NewControllerManagedBy(mgr).
		Named("pullcredentials").
		Watches(&ecsv1alpha1.Service{}, toNamespace, builder.WithPredicates(specOrDeployments)).
		// A Task needs credentials from its creation until it stops.
		Watches(&ecsv1alpha1.Task{}, toNamespace, builder.WithPredicates(taskRefOrStopped)).
		// Every change: a new revision shows in the TaskDefinition's status, after its
		// ControllerRevision exists, and may bring or drop registry images.
		Watches(&ecsv1alpha1.TaskDefinition{}, toNamespace).
		Watches(&corev1.Secret{}, toNamespace, builder.WithPredicates(managed)).
		Watches(&rbacv1.RoleBinding{}, toNamespace, builder.WithPredicates(managed)).
		Watches(&corev1.ServiceAccount{}, toNamespace, builder.WithPredicates(managed)).
		Complete(r); err != nil {
		return fmt.Errorf("setting up the pull credentials controller: %w", err)
	}
	return nil
}

// taskRefOrStopped lets through Task creations, deletions, and updates that change the
// revision it runs or whether it stopped.
var taskRefOrStopped = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*ecsv1alpha1.Task)
		n, ok2 := e.ObjectNew.(*ecsv1alpha1.Task)
		return !ok1 || !ok2 || taskRef(o) != taskRef(n) ||
			(o.Status.LastStatus == ecsv1alpha1.TaskStopped) != (n.Status.LastStatus == ecsv1alpha1.TaskStopped)
	},
}

// deploymentRefs are the task definitions of a Service's deployments.
func deploymentRefs(s *ecsv1alpha1.Service) []string {
	out := make([]string, 0, len(s.Status.Deployments))
	for _, d := range s.Status.Deployments {
		out = append(out, d.TaskDefinition)
	}
	return out
}
