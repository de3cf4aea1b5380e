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
	"net/http"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs/revisions"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/statuspace"
	"github.com/berth-dev/berth/internal/tasks"
)

// serviceFieldOwner is the server-side apply field manager of the Service controller.
const serviceFieldOwner = "berth-service-controller"

// Defaults of ServiceReconciler.
const (
	// DefaultServiceConcurrency is how many Services are reconciled at once by default.
	DefaultServiceConcurrency = 4
	// DefaultTaskWorkers is how many task Pod creations and deletions one Service reconcile
	// issues at once by default (slow start doubles up to it). 32, not 16: a 3,000-task start
	// on the sandbox's 2 cores created its Pods 10–25% sooner and had them RUNNING about 4%
	// sooner (docs/decisions.md); the client's QPS still bounds the rate.
	DefaultTaskWorkers = 32
)

// ServiceReconciler keeps an ECS service's tasks: it creates and deletes task Pods as the
// rollout planner (internal/rollout) decides, derives ECS task states from the Pods, keeps
// zones balanced, fronts the tasks with core Services, and reports ECS-style deployments and
// events in the status, written once per pass.
type ServiceReconciler struct {
	client.Client
	// APIReader reads from the API server, uncached: deployment templates (the cache holds
	// only task definition revisions), names the cache may not show taken yet.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  recorder.EventRecorder

	// Concurrency is how many Services are reconciled at once (DefaultServiceConcurrency when
	// not set).
	Concurrency int
	// TaskWorkers bounds the task Pod creations and deletions one Service reconcile issues at
	// once (DefaultTaskWorkers when not set); the client's QPS and burst bound them further.
	TaskWorkers int
	// BinpackSchedulerName is the scheduler profile that scores nodes MostAllocated, used for
	// binpack placement strategies; empty: binpack is reported as not applied.
	BinpackSchedulerName string
	// ContainerRestartRules says the cluster has per-container restart rules, so an ECS
	// restartPolicy restarts only its own container.
	ContainerRestartRules bool
	// RegistryHost is the bundled registry's host[:port]; task images under it are pulled
	// with PullSecretName. Empty adds no pull secret.
	RegistryHost string
	// PullSecretName is the execution pull Secret listed in task Pods that pull from
	// RegistryHost (taskdef.PullSecretName); empty lists none.
	PullSecretName string
	// Digests pins the images of a new deployment to the digests they resolve to when the
	// deployment starts (ECS versionConsistency); nil pins nothing.
	Digests DigestResolver
	// StatusInterval is the least time between two status writes that only move task
	// counts (statuspace.DefaultInterval when not set); other changes are written at once.
	StatusInterval time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// HTTPClient calls lifecycle hooks and sends alarm queries; nil is http.DefaultClient
	// (each call is bounded to 5s).
	HTTPClient *http.Client
	// AlarmPrometheusURL is the Prometheus-compatible HTTP API alarm queries go to when a
	// Service names none (deploymentConfiguration.alarms.prometheus); empty: none.
	AlarmPrometheusURL string

	// memories and templates are the reconciler's memory of the Services it keeps, made by
	// SetupWithManager; pacer times the passes their task Pods' events start.
	memories  *serviceMemories
	templates *templateCache
	pacer     passPacer
	// taskPods reads a Service's task Pods: the manager's cache, indexed by Service, from
	// SetupWithManager.
	taskPods taskPodReader
}

// now reads the clock.
func (r *ServiceReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// taskWorkers is TaskWorkers or its default.
func (r *ServiceReconciler) taskWorkers() int {
	if r.TaskWorkers > 0 {
		return r.TaskWorkers
	}
	return DefaultTaskWorkers
}

// serviceScope is what one pass read and decided; the status is computed from it.
type serviceScope struct {
	svc *ecsv1alpha1.Service
	mem *serviceMemory
	now time.Time

	// target is the deployment the spec asks for; empty when the spec cannot be acted on.
	target rollout.Target
	// templates are the deployments' task templates read in this pass, by deployment ID.
	templates map[string]*deploymentTemplate
	// notes are placement approximations of the target, for the Progressing message.
	notes []string
	// stalledReason and stalledMessage say why the spec cannot be acted on.
	stalledReason, stalledMessage string

	// nodes are the cluster's Nodes by name; eligible the names of those a task may run on
	// and zones their zones (DAEMON and rebalancing only).
	nodes    map[string]*corev1.Node
	eligible []string
	zones    []string
	// eligibleKnown is set once eligible was computed from a task template.
	eligibleKnown bool

	// tasks are the observed tasks, STOPPING and STOPPED ones included.
	tasks []observedTask
	// tasksRead: the pass read the task Pods (tasks is complete).
	tasksRead bool
	// desired is D: desiredCount, or the eligible nodes of a DAEMON service.
	desired int32

	// planned is set once the planner ran; plan is its outcome.
	planned bool
	plan    rollout.Plan
	// steady is the service's steady state (the planner's, kept during rebalancing).
	steady bool
	// rebalanceZone is where this pass starts a task to rebalance the service.
	rebalanceZone string
	// rebalanceBlocked says why the bounds allow no rebalancing move, for the conditions.
	rebalanceBlocked string
	// rebalancing is the AZ rebalancing state to keep in status, once rebalanced is set
	// (the decision ran this pass).
	rebalancing *ecsv1alpha1.RebalancingStatus
	rebalanced  bool
	// isolated is set once the deny-all NetworkPolicy is known to be in force in this pass;
	// tasks without networking are started only then.
	isolated bool

	// hooks is what the lifecycle hooks of the current stage decided (nil: no hooks).
	hooks *hookGate
	// alarms is what the deployment alarms decided in this pass (nil: none watched).
	alarms *alarmGate
	// traffic is what the core Services and HTTPRoutes select (see planDeployment).
	traffic trafficPlan
	// history is status.serviceDeployments as this pass leaves it, once historyKnown is set.
	history      []ecsv1alpha1.ServiceDeployment
	historyKnown bool
	// servicesApplied is set once the core Services match this pass's traffic plan; routes
	// are only written then.
	servicesApplied bool

	// events are the service events of this pass, in the order they happened.
	events []rollout.Event
	// requeueAfter is when time-based work (expectations) needs another pass.
	requeueAfter time.Duration
}

// stall records configuration the controller cannot act on.
func (s *serviceScope) stall(reason, message string) {
	s.stalledReason, s.stalledMessage = reason, message
}

// event records a service event of this pass.
func (s *serviceScope) event(typ rollout.EventType, reason, message string) {
	s.events = append(s.events, rollout.Event{Type: typ, Reason: reason, Message: message})
}

// requeue asks for another pass at t at the latest.
func (s *serviceScope) requeue(t time.Time) {
	if t.IsZero() {
		return
	}
	d := max(t.Sub(s.now), time.Second)
	if s.requeueAfter == 0 || d < s.requeueAfter {
		s.requeueAfter = d
	}
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services/finalizers,verbs=update
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitions,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;update;patch;delete

// Reconcile runs one pass over a Service: read the target, the nodes and the tasks, plan,
// stop and start tasks, update the core Services, and write the status once (writeStatus).
func (r *ServiceReconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	svc := &ecsv1alpha1.Service{}
	if err := r.Get(ctx, req.NamespacedName, svc); err != nil {
		if apierrors.IsNotFound(err) {
			r.memories.forget(req.NamespacedName)
			r.pacer.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !svc.DeletionTimestamp.IsZero() {
		// Owner references remove the tasks and core Services; start nothing meanwhile.
		return ctrl.Result{}, nil
	}
	mem := r.memories.get(req.NamespacedName, svc.UID)
	if mem.status != nil {
		// The cache may not show our last status write yet; plan from what was written.
		svc.Status = *mem.status.DeepCopy()
	}
	orig := svc.DeepCopy()
	s := &serviceScope{svc: svc, mem: mem, now: r.now().Truncate(time.Second), templates: map[string]*deploymentTemplate{}}
	r.pacer.begin(req.NamespacedName)
	defer func() {
		// After the status write (its time is part of the pass the gap follows), and deferred
		// so that a panic in the status code cannot leave the pass marked running.
		defer func() { r.pacer.end(req.NamespacedName, len(s.tasks), s.tasksRead, time.Now()) }()
		computeServiceStatus(s, retErr)
		r.emitEvents(s)
		wait, err := r.writeStatus(ctx, s, orig, retErr)
		retErr = errors.Join(retErr, err)
		if wait > 0 && (res.RequeueAfter == 0 || wait < res.RequeueAfter) {
			res.RequeueAfter = wait
		}
	}()

	if err := r.reconcileNormal(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: s.requeueAfter}, nil
}

// writeStatus writes the pass's status when it changed, once. A change of task counts only
// waits until StatusInterval has passed since the last write (internal/statuspace) and
// returns how long, for a requeue; a failed pass writes at once (its requeue may be far off).
func (r *ServiceReconciler) writeStatus(ctx context.Context, s *serviceScope, orig *ecsv1alpha1.Service, reconcileErr error) (time.Duration, error) {
	svc, mem := s.svc, s.mem
	if equality.Semantic.DeepEqual(orig.Status, svc.Status) {
		return 0, nil
	}
	if reconcileErr == nil {
		countsOnly := statuspace.CountsOnly(&orig.Status, &svc.Status)
		if wait := statuspace.Delay(countsOnly, mem.statusWrittenAt, r.now(), r.statusInterval()); wait > 0 {
			return wait, nil
		}
	}
	if err := r.Status().Patch(ctx, svc, client.MergeFrom(orig)); err != nil {
		mem.status = nil // read the status back from the cache next time
		return 0, fmt.Errorf("writing status: %w", err)
	}
	mem.status, mem.statusWrittenAt = svc.Status.DeepCopy(), r.now()
	return 0, nil
}

// statusInterval is StatusInterval or its default.
func (r *ServiceReconciler) statusInterval() time.Duration {
	if r.StatusInterval > 0 {
		return r.StatusInterval
	}
	return statuspace.DefaultInterval
}

// serviceStep is one step of a Service pass.
type serviceStep func(context.Context, *serviceScope) error

// reconcileNormal reads what the service is (its target, the nodes, its tasks), then acts.
// A read that fails ends the pass: nothing can be decided safely without it. The actions all
// run, whatever one of them returns, and their errors are joined: isolation comes first, so
// the deny-all NetworkPolicy exists before any task that needs it is started, and a start
// that fails (a quota, an admission webhook) stops neither the core Services nor the pruning.
// Traffic moves before tasks stop: a staged rollback (or CLEAN_UP) points the core Services
// and the HTTPRoutes away from the tasks it is about to delete first, so production traffic is
// restored in the time of one write, not after a hundred task deletions.
func (r *ServiceReconciler) reconcileNormal(ctx context.Context, s *serviceScope) error {
	for _, read := range []serviceStep{r.reconcileTarget, r.reconcileNodes, r.reconcileTasks} {
		if err := read(ctx, s); err != nil {
			return err
		}
	}
	var errs []error
	for _, act := range []serviceStep{
		r.reconcileNetworkPolicy,
		r.reconcilePlan,
		r.reconcileLoadBalancers,
		r.reconcileRoutes,
		r.reconcileStops,
		r.reconcileStarts,
		r.reconcileTemplatesPrune,
	} {
		errs = append(errs, act(ctx, s))
	}
	return errors.Join(errs...)
}

// SetupWithManager watches Services, their task Pods, core Services and NetworkPolicies, the
// TaskDefinitions (and revisions) they use, and Nodes for the Services that depend on them.
func (r *ServiceReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.memories, r.templates = newServiceMemories(), &templateCache{}
	taskPods, err := newIndexedTaskPods(context.Background(), mgr.GetCache())
	if err != nil {
		return err
	}
	r.taskPods = taskPods
	if r.Concurrency <= 0 {
		r.Concurrency = DefaultServiceConcurrency
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("service").
		// Annotations: the rollback request (ecsv1alpha1.RollbackAnnotation) is one.
		For(&ecsv1alpha1.Service{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// Task Pods map to their Service by the controller reference alone (Owns' handler
		// also looks the owner's kind up in the REST mapper on every event, a tenth of the
		// controller's CPU while a Service starts 3,000 tasks, four events each),
		// and their events wait internal/passpace's gap after the Service's last pass.
		Watches(&corev1.Pod{}, r.taskPodEvents()).
		Owns(&corev1.Service{}).
		Owns(&networkingv1.NetworkPolicy{}).
		Watches(&ecsv1alpha1.TaskDefinition{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfTaskDefinition),
			builder.WithPredicates(taskDefinitionRevisionChanged)).
		Watches(&appsv1.ControllerRevision{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfRevision),
			builder.WithPredicates(predicate.Funcs{
				UpdateFunc: func(event.UpdateEvent) bool { return false },
				DeleteFunc: func(event.DeleteEvent) bool { return false },
			})).
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfNode), builder.WithPredicates(nodeChanged)).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Concurrency}).
		Complete(r)
}

// serviceOfTask maps a task Pod to the Service that controls it, as Owns would.
func serviceOfTask(_ context.Context, o client.Object) []reconcile.Request {
	ref := metav1.GetControllerOfNoCopy(o)
	if ref == nil || ref.Kind != "Service" {
		return nil
	}
	if gv, err := schema.ParseGroupVersion(ref.APIVersion); err != nil || gv.Group != ecsv1alpha1.GroupVersion.Group {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: ref.Name}}}
}

// servicesOfTaskDefinition maps a TaskDefinition to the Services using its family.
func (r *ServiceReconciler) servicesOfTaskDefinition(ctx context.Context, o client.Object) []reconcile.Request {
	return r.servicesOfFamily(ctx, o.GetNamespace(), o.GetName())
}

// servicesOfRevision maps a newly stored task definition revision to the Services using its
// family: the cache may see the TaskDefinition's new status before the revision itself.
func (r *ServiceReconciler) servicesOfRevision(ctx context.Context, o client.Object) []reconcile.Request {
	family := o.GetLabels()[revisions.FamilyLabel]
	if family == "" {
		return nil
	}
	return r.servicesOfFamily(ctx, o.GetNamespace(), family)
}

func (r *ServiceReconciler) servicesOfFamily(ctx context.Context, namespace, family string) []reconcile.Request {
	services, err := servicesUsingFamily(ctx, r.Client, namespace, family)
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Mapping a TaskDefinition to Services")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(services))
	for _, svc := range services {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}})
	}
	return reqs
}

// servicesOfNode maps a Node change to the Services whose tasks depend on the set of Nodes.
func (r *ServiceReconciler) servicesOfNode(ctx context.Context, _ client.Object) []reconcile.Request {
	list := &ecsv1alpha1.ServiceList{}
	if err := r.List(ctx, list, client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector(ServiceNodeAwareIndex, "true")}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Mapping a Node to Services")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, svc := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}})
	}
	return reqs
}

// taskDefinitionRevisionChanged lets through TaskDefinition events that can change what a
// Service runs: creation, deletion, and a new latest revision.
var taskDefinitionRevisionChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*ecsv1alpha1.TaskDefinition)
		n, ok2 := e.ObjectNew.(*ecsv1alpha1.TaskDefinition)
		return !ok1 || !ok2 || o.Status.Revision != n.Status.Revision
	},
}

// nodeChanged lets through Node events that change where tasks may run: creation,
// deletion, readiness, cordoning, labels and taints; not the periodic status updates.
var nodeChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*corev1.Node)
		n, ok2 := e.ObjectNew.(*corev1.Node)
		if !ok1 || !ok2 {
			return true
		}
		return tasks.NodeReady(o) != tasks.NodeReady(n) ||
			o.Spec.Unschedulable != n.Spec.Unschedulable ||
			!equality.Semantic.DeepEqual(o.Labels, n.Labels) ||
			!equality.Semantic.DeepEqual(o.Spec.Taints, n.Spec.Taints) ||
			(o.DeletionTimestamp == nil) != (n.DeletionTimestamp == nil)
	},
}
