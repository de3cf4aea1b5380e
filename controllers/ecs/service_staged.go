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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/tasks"
)

// maxServiceDeployments is the API's bound on status.serviceDeployments.
const maxServiceDeployments = 10

// trafficPlan is what this pass's core Services and HTTPRoutes select.
type trafficPlan struct {
	// production is the deployment the loadBalancers' Services select; "" selects every task
	// of the service (ROLLING, and TaskCount traffic between its first and last step).
	production string
	// alternate is the deployment the alternate (test) Services select; "" every task.
	alternate string
	// routeWeight is the alternate backendRef's weight in the HTTPRoutes (tenths of a percent).
	routeWeight int32
}

// trafficControlOf says how a staged deployment of spec moves production traffic: nothing to
// move without loadBalancers, a selector switch for BLUE_GREEN, HTTPRoute weights for CANARY
// and LINEAR where a route is named, task counts otherwise.
func trafficControlOf(spec *ecsv1alpha1.ServiceSpec) ecsv1alpha1.TrafficControl {
	switch {
	case len(spec.LoadBalancers) == 0:
		return ecsv1alpha1.TrafficNone
	case rollout.StrategyOf(spec) == ecsv1alpha1.DeploymentStrategyBlueGreen:
		return ecsv1alpha1.TrafficServiceSelector
	case slices.ContainsFunc(spec.LoadBalancers, func(l ecsv1alpha1.LoadBalancer) bool {
		return l.AdvancedConfiguration != nil && l.AdvancedConfiguration.HTTPRouteName != ""
	}):
		return ecsv1alpha1.TrafficHTTPRoute
	default:
		return ecsv1alpha1.TrafficTaskCount
	}
}

// planDeployment runs the planner that fits the pass: the staged one for a BLUE_GREEN,
// CANARY or LINEAR deployment that starts or is in progress (its stage is in
// status.serviceDeployments[0]), the rolling one otherwise (ROLLING, a steady service, and
// the drain after a staged rollback). It also keeps the deployment history and decides what
// the core Services and HTTPRoutes select.
func (s *serviceScope) planDeployment(in rollout.Input) {
	spec := &s.svc.Spec
	strategy := rollout.StrategyOf(spec)
	hist := slices.Clone(s.svc.Status.ServiceDeployments)
	var cur *ecsv1alpha1.ServiceDeployment
	if len(hist) > 0 {
		cur = &hist[0]
	}
	s.failureSignals(&in, cur)
	primaryBefore := ""
	for _, d := range s.svc.Status.Deployments {
		if d.Status == ecsv1alpha1.DeploymentPrimary {
			primaryBefore = d.ID
		}
	}
	staged := strategy != ecsv1alpha1.DeploymentStrategyRolling && s.target.ID != ""
	resume := staged && cur != nil && cur.ID == s.target.ID && cur.Status == ecsv1alpha1.ServiceDeploymentInProgress
	fresh := staged && !resume && (cur == nil || cur.ID != s.target.ID) && primaryBefore != s.target.ID
	s.history, s.historyKnown = hist, true
	defer s.recordAlarms()

	if resume || fresh {
		sin := rollout.StagedInput{Input: in, Staged: rollout.StagedConfigFrom(spec, trafficControlOf(spec))}
		if resume {
			sin.State = rollout.StagedState{Stage: cur.LifecycleStage, Weight: cur.TargetWeight}
			if cur.StageStartedAt != nil {
				sin.State.StageStartedAt = cur.StageStartedAt.Time
			}
			sin.Source = cur.SourceDeployment
		}
		if g := s.hooks; g != nil {
			sin.Hooked, sin.HookPassed, sin.HookFailure = g.hooked, g.passed, g.failure
		}
		sp := rollout.ComputeStaged(sin)
		s.plan = sp.Plan
		entry := s.stagedEntry(sin.Staged, sp, resume)
		if fresh {
			s.supersede()
			s.push(entry)
		} else {
			s.history[0] = entry
		}
		s.traffic = trafficOf(sp)
		s.requeue(sp.Step.Wait)
		if g := s.hooks; g != nil && g.hooked[sp.Step.Next.Stage] && g.stage != sp.Step.Next.Stage && !sp.Step.RollBack {
			s.requeue(s.now) // a stage with hooks was entered: call them in the next pass
		}
		s.history = s.history[:min(len(s.history), maxServiceDeployments)]
		return
	}

	s.plan = rollout.Compute(in)
	s.rollingHistory(strategy, cur)
	if strategy != ecsv1alpha1.DeploymentStrategyRolling {
		if p, ok := s.plan.Primary(); ok {
			s.traffic = trafficPlan{production: p.ID, alternate: p.ID}
		}
	}
	s.history = s.history[:min(len(s.history), maxServiceDeployments)]
}

// failureSignals puts into the planner's input what can fail the target deployment besides
// its tasks (a rollback request, a fired alarm) and where a ROLLING deployment's alarm bake
// stands (kept in the newest history entry, cur).
func (s *serviceScope) failureSignals(in *rollout.Input, cur *ecsv1alpha1.ServiceDeployment) {
	in.RollbackRequested = s.svc.Annotations[ecsv1alpha1.RollbackAnnotation]
	if g := s.alarms; g != nil && g.id == s.target.ID {
		in.AlarmFailure = g.failure
	}
	if cur != nil && cur.ID == s.target.ID && cur.LifecycleStage == ecsv1alpha1.StageBakeTime && cur.StageStartedAt != nil {
		in.BakeStartedAt = cur.StageStartedAt.Time
	}
}

// stagedEntry is the history entry of a staged pass: the state to resume from, and the
// status ECS would show.
func (s *serviceScope) stagedEntry(cfg rollout.StagedConfig, sp rollout.StagedPlan, resume bool) ecsv1alpha1.ServiceDeployment {
	var e ecsv1alpha1.ServiceDeployment
	if resume {
		e = s.history[0]
	} else {
		e = ecsv1alpha1.ServiceDeployment{ID: s.target.ID, Strategy: cfg.Strategy, CreatedAt: metav1.NewTime(s.now),
			Status: ecsv1alpha1.ServiceDeploymentInProgress, TargetTaskDefinition: s.target.TaskDefinition, Images: s.imagesOf(s.target.ID)}
	}
	e.SourceDeployment = sp.Source
	for _, d := range sp.Deployments {
		if d.ID == sp.Source {
			e.SourceTaskDefinition = d.TaskDefinition
		}
		if d.ID == s.target.ID {
			e.FailedTasks = d.FailedTasks
		}
	}
	e.TrafficControl = cfg.Traffic
	e.Hooks = nil
	if g := s.hooks; g != nil && (g.stage == sp.Step.Next.Stage || sp.Step.RollBack) {
		e.Hooks = g.statuses
	}
	e.LifecycleStage, e.TargetWeight = sp.Step.Next.Stage, sp.Step.Next.Weight
	started := metav1.NewTime(sp.Step.Next.StageStartedAt)
	e.StageStartedAt = &started
	e.StatusReason = fmt.Sprintf("In the %s stage; %s of production traffic on the target.", e.LifecycleStage, rollout.PercentOf(e.TargetWeight))
	switch {
	case sp.Step.RollBack:
		e.Status = ecsv1alpha1.ServiceDeploymentRollbackInProgress
		e.StatusReason = fmt.Sprintf("Rolled back in the %s stage: ", e.LifecycleStage)
		if p, ok := sp.Primary(); ok {
			e.StatusReason += "deployment " + p.ID + " serves production traffic again."
		}
		if sp.Rollback == nil {
			e.Status = ecsv1alpha1.ServiceDeploymentRollbackFailed
			e.StatusReason = "No source revision to roll back to."
			e.FinishedAt = ptrTime(s.now)
		}
	case sp.Step.Done:
		e.Status = ecsv1alpha1.ServiceDeploymentSuccessful
		e.StatusReason = "The target revision serves all production traffic."
		e.FinishedAt = ptrTime(s.now)
	}
	return e
}

// supersede marks an unfinished newest history entry STOPPED: a newer deployment replaced it.
func (s *serviceScope) supersede() {
	if len(s.history) == 0 {
		return
	}
	if e := &s.history[0]; e.Status == ecsv1alpha1.ServiceDeploymentInProgress || e.Status == ecsv1alpha1.ServiceDeploymentPending {
		e.Status, e.StatusReason, e.FinishedAt = ecsv1alpha1.ServiceDeploymentStopped, "Superseded by deployment "+s.target.ID+".", ptrTime(s.now)
	}
}

// rollingHistory keeps the history through a rolling pass: a new PRIMARY that is the spec's
// target starts an entry, a COMPLETED one ends it, a rollback (circuit breaker or request)
// marks it ROLLBACK_IN_PROGRESS until the rolled-back deployment has no task left.
func (s *serviceScope) rollingHistory(strategy ecsv1alpha1.DeploymentStrategy, cur *ecsv1alpha1.ServiceDeployment) {
	p, ok := s.plan.Primary()
	if !ok {
		return
	}
	live := map[string]int32{}
	for _, d := range s.plan.Deployments {
		live[d.ID] = d.RunningCount + d.PendingCount
	}
	switch {
	case s.plan.Rollback != nil && cur != nil && cur.ID == s.plan.Rollback.From:
		s.history[0].Status = ecsv1alpha1.ServiceDeploymentRollbackInProgress
		s.history[0].StatusReason = "Rolled back to deployment " + s.plan.Rollback.To + "."
	case cur != nil && cur.Status == ecsv1alpha1.ServiceDeploymentRollbackInProgress && live[cur.ID] == 0:
		s.history[0].Status, s.history[0].FinishedAt = ecsv1alpha1.ServiceDeploymentRollbackSuccessful, ptrTime(s.now)
	case p.ID == s.target.ID && p.RolloutState == ecsv1alpha1.RolloutInProgress && (cur == nil || cur.ID != p.ID):
		s.supersede()
		s.push(s.rollingEntry(p, strategy, live))
	case cur != nil && cur.ID == p.ID && cur.Status == ecsv1alpha1.ServiceDeploymentInProgress && p.RolloutState == ecsv1alpha1.RolloutCompleted:
		s.history[0].Status, s.history[0].StatusReason, s.history[0].FinishedAt = ecsv1alpha1.ServiceDeploymentSuccessful, p.RolloutStateReason, ptrTime(s.now)
	case cur != nil && cur.ID == p.ID && cur.Status == ecsv1alpha1.ServiceDeploymentInProgress && p.RolloutState == ecsv1alpha1.RolloutFailed:
		s.history[0].Status, s.history[0].StatusReason, s.history[0].FinishedAt = ecsv1alpha1.ServiceDeploymentRollbackFailed, p.RolloutStateReason, ptrTime(s.now)
	}
	if len(s.history) > 0 && s.history[0].ID == p.ID {
		s.history[0].FailedTasks = p.FailedTasks
		if !s.plan.BakeStartedAt.IsZero() && s.history[0].Status == ecsv1alpha1.ServiceDeploymentInProgress {
			// Steady, and the alarms are watched until the bake ends.
			s.history[0].LifecycleStage, s.history[0].StageStartedAt = ecsv1alpha1.StageBakeTime, ptrTime(s.plan.BakeStartedAt)
			s.requeue(s.plan.Wait)
		}
	}
}

// push puts an entry in front of the history; an older entry of the same deployment (a
// revision deployed again) is dropped, the list being keyed by id.
func (s *serviceScope) push(e ecsv1alpha1.ServiceDeployment) {
	s.history = slices.DeleteFunc(s.history, func(o ecsv1alpha1.ServiceDeployment) bool { return o.ID == e.ID })
	s.history = append([]ecsv1alpha1.ServiceDeployment{e}, s.history...)
}

// rollingEntry is the history entry a rolling deployment starts with.
func (s *serviceScope) rollingEntry(p rollout.Deployment, strategy ecsv1alpha1.DeploymentStrategy, live map[string]int32) ecsv1alpha1.ServiceDeployment {
	e := ecsv1alpha1.ServiceDeployment{ID: p.ID, Strategy: strategy, CreatedAt: metav1.NewTime(s.now),
		Status: ecsv1alpha1.ServiceDeploymentInProgress, TargetTaskDefinition: p.TaskDefinition, StatusReason: p.RolloutStateReason,
		Images: s.imagesOf(p.ID)}
	for _, d := range s.plan.Deployments {
		if d.ID != p.ID && d.RolloutState == ecsv1alpha1.RolloutCompleted && live[d.ID] > 0 {
			e.SourceDeployment, e.SourceTaskDefinition = d.ID, d.TaskDefinition
			break
		}
	}
	return e
}

// imagesOf lists the containers' images of a deployment's template read in this pass.
func (s *serviceScope) imagesOf(id string) []ecsv1alpha1.ContainerImage {
	t := s.templates[id]
	if t == nil {
		return nil
	}
	var out []ecsv1alpha1.ContainerImage
	for _, c := range t.Template.Spec.Containers[:min(len(t.Template.Spec.Containers), 10)] {
		out = append(out, ecsv1alpha1.ContainerImage{Name: c.Name, Image: c.Image})
	}
	return out
}

// trafficOf is what the Services and routes select after a staged step.
func trafficOf(sp rollout.StagedPlan) trafficPlan {
	target := ""
	if p, ok := sp.Primary(); ok {
		target = p.ID
	}
	if sp.Step.RollBack {
		// The source is PRIMARY again; the target is drained.
		return trafficPlan{production: sp.Source, alternate: sp.Source}
	}
	t := trafficPlan{alternate: target, routeWeight: sp.Step.RouteWeight}
	switch sp.Step.Production {
	case rollout.SelectTarget:
		t.production = target
	case rollout.SelectSource:
		t.production = sp.Source
		if sp.Source == "" {
			t.production = target
		}
	}
	return t
}

// stagedServices applies the traffic plan to the core Services: the loadBalancers' Services
// select the production deployment, and each alternateServiceName is a copy of its
// production Service selecting the alternate deployment.
func (s *serviceScope) stagedServices(services []corev1.Service) []corev1.Service {
	production := map[string]string{}
	for i, lb := range s.svc.Spec.LoadBalancers {
		name := tasks.LoadBalancerServiceName(s.svc, i)
		production[name] = ""
		if lb.AdvancedConfiguration != nil && lb.AdvancedConfiguration.AlternateServiceName != "" {
			production[name] = lb.AdvancedConfiguration.AlternateServiceName
		}
	}
	pin := func(svc *corev1.Service, dep string) {
		if dep != "" {
			svc.Spec.Selector[ecsv1alpha1.DeploymentLabel] = dep
		}
	}
	out := slices.Clone(services)
	for i := range services {
		alt, ok := production[services[i].Name]
		if !ok {
			continue
		}
		if alt != "" && !slices.ContainsFunc(out, func(c corev1.Service) bool { return c.Name == alt }) {
			a := *services[i].DeepCopy()
			a.Name = alt
			pin(&a, s.traffic.alternate)
			out = append(out, a)
		}
		pin(&out[i], s.traffic.production)
	}
	return out
}

// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes,verbs=get;update;patch

// reconcileRoutes writes the weights of the HTTPRoutes the loadBalancers name: the production
// Service's backendRefs get FullWeight − w, the alternate Service's w, where w is the
// target's share while a CANARY or LINEAR deployment runs and 0 otherwise. Only the weights
// change; everything else in a route is the user's. Routes are read from the API server (no
// informer, so clusters without Gateway API CRDs need nothing), and written only when a
// weight differs, after the core Services (skipped when those failed: a route must never
// send traffic to a Service whose selector is not yet right).
func (r *ServiceReconciler) reconcileRoutes(ctx context.Context, s *serviceScope) error {
	if !s.servicesApplied || trafficControlOf(&s.svc.Spec) != ecsv1alpha1.TrafficHTTPRoute {
		return nil
	}
	var errs []error
	for i, lb := range s.svc.Spec.LoadBalancers {
		ac := lb.AdvancedConfiguration
		if ac == nil || ac.HTTPRouteName == "" || ac.AlternateServiceName == "" {
			continue
		}
		prod := tasks.LoadBalancerServiceName(s.svc, i)
		route := &gatewayv1.HTTPRoute{}
		if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: s.svc.Namespace, Name: ac.HTTPRouteName}, route); err != nil {
			if apierrors.IsNotFound(err) {
				msg := fmt.Sprintf("(service %s) cannot shift traffic: HTTPRoute %s not found.", s.svc.Name, ac.HTTPRouteName)
				if !recentEvent(s.svc.Status.Events, msg) {
					s.event(rollout.EventWarning, reasonRouteNotFound, msg)
				}
			}
			errs = append(errs, fmt.Errorf("reading HTTPRoute %s: %w", ac.HTTPRouteName, err))
			continue
		}
		if !setRouteWeights(route, prod, ac.AlternateServiceName, rollout.FullWeight-s.traffic.routeWeight, s.traffic.routeWeight) {
			continue
		}
		if err := r.Update(ctx, route); err != nil {
			errs = append(errs, fmt.Errorf("writing the weights of HTTPRoute %s: %w", ac.HTTPRouteName, err))
			continue
		}
		ctrl.LoggerFrom(ctx).Info("Wrote HTTPRoute weights", "httpRoute", ac.HTTPRouteName, prod, rollout.FullWeight-s.traffic.routeWeight, ac.AlternateServiceName, s.traffic.routeWeight)
	}
	return errors.Join(errs...)
}

// reasonRouteNotFound: an HTTPRoute the loadBalancers name does not exist.
const reasonRouteNotFound = "HTTPRouteNotFound"

// setRouteWeights sets the weights of the backendRefs naming the two core Services (in the
// route's namespace) and reports whether any changed.
func setRouteWeights(route *gatewayv1.HTTPRoute, prod, alt string, prodWeight, altWeight int32) bool {
	changed := false
	for i := range route.Spec.Rules {
		for j := range route.Spec.Rules[i].BackendRefs {
			ref := &route.Spec.Rules[i].BackendRefs[j].BackendRef
			if ref.Kind != nil && *ref.Kind != "Service" || ref.Group != nil && *ref.Group != "" ||
				ref.Namespace != nil && string(*ref.Namespace) != route.Namespace {
				continue
			}
			w := int32(-1)
			switch string(ref.Name) {
			case prod:
				w = prodWeight
			case alt:
				w = altWeight
			}
			if w < 0 || ref.Weight != nil && *ref.Weight == w {
				continue
			}
			ref.Weight = &w
			changed = true
		}
	}
	return changed
}

// ptrTime is t as an API time pointer.
func ptrTime(t time.Time) *metav1.Time {
	m := metav1.NewTime(t)
	return &m
}
