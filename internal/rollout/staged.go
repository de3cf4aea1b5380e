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

package rollout

import (
	"fmt"
	"math"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// FullWeight is the whole of production traffic in the weights of a staged deployment:
// weights are in tenths of a percent, so the source's and the target's always add up to it.
const FullWeight int32 = 1000

// StagedConfig is the part of the spec a staged deployment (BLUE_GREEN, CANARY, LINEAR)
// obeys, with ECS's defaults applied (see StagedConfigFrom).
type StagedConfig struct {
	// Strategy is BLUE_GREEN, CANARY or LINEAR.
	Strategy ecsv1alpha1.DeploymentStrategy
	// Traffic is how production traffic moves: ServiceSelector, HTTPRoute, TaskCount or None.
	Traffic ecsv1alpha1.TrafficControl
	// Bake is bakeTimeInMinutes: how long blue stays after all production traffic moved.
	Bake time.Duration
	// FirstWeight is the target's weight after the first production step: FullWeight for
	// BLUE_GREEN, canaryPercent for CANARY, stepPercent for LINEAR (tenths of a percent).
	FirstWeight int32
	// StepWeight is what each later step adds: FullWeight for CANARY (the rest at once),
	// stepPercent for LINEAR.
	StepWeight int32
	// StepBake is how long each step but the last runs (canaryBakeTimeInMinutes,
	// stepBakeTimeInMinutes).
	StepBake time.Duration
}

// StagedConfigFrom reads the staged configuration of a spec; traffic is decided by the
// controller from the loadBalancers (see ecsv1alpha1.TrafficControl).
func StagedConfigFrom(spec *ecsv1alpha1.ServiceSpec, traffic ecsv1alpha1.TrafficControl) StagedConfig {
	dc := &spec.DeploymentConfiguration
	c := StagedConfig{Strategy: dc.Strategy, Traffic: traffic, FirstWeight: FullWeight, StepWeight: FullWeight}
	if dc.BakeTimeInMinutes != nil {
		c.Bake = time.Duration(*dc.BakeTimeInMinutes) * time.Minute
	}
	switch dc.Strategy {
	case ecsv1alpha1.DeploymentStrategyCanary:
		pct, bake := 5.0, int32(10)
		if cc := dc.CanaryConfiguration; cc != nil {
			if cc.CanaryPercent != nil {
				pct = *cc.CanaryPercent
			}
			if cc.CanaryBakeTimeInMinutes != nil {
				bake = *cc.CanaryBakeTimeInMinutes
			}
		}
		c.FirstWeight, c.StepBake = weightOf(pct), time.Duration(bake)*time.Minute
	case ecsv1alpha1.DeploymentStrategyLinear:
		pct, bake := 10.0, int32(6)
		if lc := dc.LinearConfiguration; lc != nil {
			if lc.StepPercent != nil {
				pct = *lc.StepPercent
			}
			if lc.StepBakeTimeInMinutes != nil {
				bake = *lc.StepBakeTimeInMinutes
			}
		}
		c.FirstWeight, c.StepWeight, c.StepBake = weightOf(pct), weightOf(pct), time.Duration(bake)*time.Minute
	}
	return c
}

// weightOf turns a percent into tenths of a percent, within 1 and FullWeight.
func weightOf(percent float64) int32 {
	return min(max(int32(math.Round(percent*10)), 1), FullWeight)
}

// StagedState is where a staged deployment stands; the controller keeps it in the status
// (status.serviceDeployments[0]) so a restarted controller resumes at the same stage.
type StagedState struct {
	// Stage is the ECS lifecycle stage; empty before the first pass.
	Stage ecsv1alpha1.LifecycleStage
	// Weight is the target's share of production traffic, in tenths of a percent.
	Weight int32
	// StageStartedAt is when Stage (or its current traffic step) began.
	StageStartedAt time.Time
}

// StagedObserved is what one pass of a staged deployment looks at.
type StagedObserved struct {
	// Service and Deployment name the events.
	Service, Deployment string
	// Desired is D.
	Desired int32
	// Source is whether a source (blue) revision has live tasks to move traffic from; without
	// one (a first deployment) the target simply scales up.
	Source bool
	// TargetHealthy is the target's healthy RUNNING tasks.
	TargetHealthy int32
	// SourceLive is the source's live tasks.
	SourceLive int32
	// Failure is a failure signal (the circuit breaker, a rollback request): non-empty rolls
	// the deployment back from whatever stage it is in, until CLEAN_UP.
	Failure string
	// Now is the clock.
	Now time.Time
	// Hooked are the stages that have lifecycle hooks: the deployment waits in such a stage
	// until HookPassed says its hooks all answered SUCCEEDED (a FAILED one is a Failure).
	Hooked map[ecsv1alpha1.LifecycleStage]bool
	// HookPassed: the hooks of the stage the pass starts in all answered SUCCEEDED.
	HookPassed bool
}

// Selects names the revision a Service selects.
type Selects string

// What the production Service selects.
const (
	// SelectSource: the source (blue) revision only.
	SelectSource Selects = "source"
	// SelectTarget: the target (green) revision only.
	SelectTarget Selects = "target"
	// SelectBoth: every task of the service (TaskCount traffic between its first and last
	// step: the share follows the task counts).
	SelectBoth Selects = "both"
)

// StagedStep is the next action of a staged deployment.
type StagedStep struct {
	// Next is the state to keep.
	Next StagedState
	// TargetCount and SourceCount are the tasks each revision should have now.
	TargetCount, SourceCount int32
	// Production is what the production Service selects; the alternate (test) Service always
	// selects the target while the deployment runs.
	Production Selects
	// RouteWeight is the weight of the alternate Service's backendRef in the HTTPRoute (the
	// production Service's is FullWeight − RouteWeight); HTTPRoute traffic only.
	RouteWeight int32
	// RollBack: the failure signal rolled the deployment back in this pass: production traffic
	// is back on the source (Production, RouteWeight) and the target scales in.
	RollBack bool
	// Done: the deployment finished (the target serves all traffic, the source is gone).
	Done bool
	// Wait is when the current stage's timer ends (zero when nothing waits on time).
	Wait time.Time
	// Events are the stage events of this pass.
	Events []Event
}

// Step decides the next action of a staged deployment from its state and what was observed.
// Stages that wait on nothing (PRE_ and POST_ ones without lifecycle hooks) are passed in the
// same pass; a stage waits on green's health (SCALE_UP, a TaskCount traffic step) or on time
// (a traffic step's bake, BAKE_TIME). The invariants its golden tests check: the source keeps
// D tasks until CLEAN_UP; at most 2D tasks are asked for; the two weights add up to
// FullWeight; a failure before CLEAN_UP rolls back from the stage it happens in.
func Step(cfg StagedConfig, st StagedState, o StagedObserved) StagedStep {
	d := max(o.Desired, 0)
	out := StagedStep{SourceCount: d, Production: SelectSource}
	if st.Stage == "" {
		st = StagedState{Stage: ecsv1alpha1.StageReconcileService, StageStartedAt: o.Now}
	}
	if st.Stage != ecsv1alpha1.StageCleanUp {
		switch {
		case o.Failure != "":
			out.Next = st
			out.Next.Weight = 0
			out.RollBack = true
			out.TargetCount, out.Production, out.RouteWeight = 0, SelectSource, 0
			out.Events = append(out.Events, stagedRollbackEvent(o.Service, o.Deployment, st.Stage, o.Failure))
			return out
		case !o.Source:
			// A first deployment (or one whose source is gone): nothing to move traffic from.
			out.SourceCount, out.TargetCount, out.Production, out.RouteWeight = 0, d, SelectTarget, 0
			st.Weight = FullWeight
			if o.TargetHealthy >= d {
				st.Stage, st.StageStartedAt = ecsv1alpha1.StageCleanUp, o.Now
				out.Done = true
			}
			out.Next = st
			return out
		}
	}
	first := st.Stage
	for range 16 { // each pass moves through at most every stage once
		if o.Hooked[st.Stage] && (st.Stage != first || !o.HookPassed) {
			break // its hooks have not all answered SUCCEEDED
		}
		next := advance(cfg, st, o, d, &out)
		if next == st {
			break
		}
		st = next
	}
	if st.Stage == ecsv1alpha1.StageCleanUp {
		out.SourceCount = 0
		out.Done = o.SourceLive == 0
	}
	out.TargetCount = targetCount(cfg, st, d)
	out.Production, out.RouteWeight = traffic(cfg, st)
	out.Next = st
	return out
}

// advance is one transition of the stage machine: the state after st, st itself when the
// stage waits (on green's health, or on time: then out.Wait is set). Events go to out.
func advance(cfg StagedConfig, st StagedState, o StagedObserved, d int32, out *StagedStep) StagedState {
	enter := func(stage ecsv1alpha1.LifecycleStage) StagedState {
		st.Stage, st.StageStartedAt = stage, o.Now
		if announced(stage) {
			out.Events = append(out.Events, stageEvent(o.Service, o.Deployment, stage, ""))
		}
		return st
	}
	ready := o.TargetHealthy >= targetCount(cfg, st, d)
	switch st.Stage {
	case ecsv1alpha1.StageReconcileService:
		return enter(ecsv1alpha1.StagePreScaleUp)
	case ecsv1alpha1.StagePreScaleUp:
		return enter(ecsv1alpha1.StageScaleUp)
	case ecsv1alpha1.StageScaleUp:
		if ready {
			return enter(ecsv1alpha1.StagePostScaleUp)
		}
	case ecsv1alpha1.StagePostScaleUp:
		if cfg.Traffic == ecsv1alpha1.TrafficNone {
			st.Weight = FullWeight
			return enter(ecsv1alpha1.StageBakeTime)
		}
		return enter(ecsv1alpha1.StageTestTrafficShift)
	case ecsv1alpha1.StageTestTrafficShift:
		return enter(ecsv1alpha1.StagePostTestTrafficShift)
	case ecsv1alpha1.StagePostTestTrafficShift:
		st.Weight = cfg.FirstWeight
		next := enter(ecsv1alpha1.StageProductionTrafficShift)
		out.Events = append(out.Events, trafficEvent(o.Service, o.Deployment, next.Weight))
		return next
	case ecsv1alpha1.StageProductionTrafficShift:
		switch {
		case !ready:
		case st.Weight >= FullWeight:
			return enter(ecsv1alpha1.StagePostProductionTrafficShift)
		case o.Now.Before(st.StageStartedAt.Add(cfg.StepBake)):
			out.Wait = st.StageStartedAt.Add(cfg.StepBake)
		default:
			st.Weight = min(st.Weight+cfg.StepWeight, FullWeight)
			st.StageStartedAt = o.Now
			out.Events = append(out.Events, trafficEvent(o.Service, o.Deployment, st.Weight))
		}
	case ecsv1alpha1.StagePostProductionTrafficShift:
		return enter(ecsv1alpha1.StageBakeTime)
	case ecsv1alpha1.StageBakeTime:
		if !o.Now.Before(st.StageStartedAt.Add(cfg.Bake)) {
			return enter(ecsv1alpha1.StageCleanUp)
		}
		out.Wait = st.StageStartedAt.Add(cfg.Bake)
	}
	return st
}

// targetCount is how many target tasks a stage wants: D, except with TaskCount traffic,
// where the target grows with its share (ceil(D × weight), at least one) until the last step.
func targetCount(cfg StagedConfig, st StagedState, d int32) int32 {
	if st.Stage == ecsv1alpha1.StageReconcileService || st.Stage == ecsv1alpha1.StagePreScaleUp {
		return 0 // before SCALE_UP (PRE_SCALE_UP hooks run before any green task)
	}
	if cfg.Traffic != ecsv1alpha1.TrafficTaskCount || st.Weight >= FullWeight || st.Stage == ecsv1alpha1.StageCleanUp {
		return d
	}
	if st.Weight == 0 {
		return 0
	}
	return min(max((d*st.Weight+FullWeight-1)/FullWeight, 1), d)
}

// traffic is what production selects and the route weight in a state.
func traffic(cfg StagedConfig, st StagedState) (Selects, int32) {
	switch {
	case st.Stage == ecsv1alpha1.StageCleanUp:
		// The production Service selects green alone; the route goes back to it.
		return SelectTarget, 0
	case cfg.Traffic == ecsv1alpha1.TrafficHTTPRoute:
		return SelectSource, st.Weight
	case st.Weight >= FullWeight:
		return SelectTarget, 0
	case cfg.Traffic == ecsv1alpha1.TrafficTaskCount && st.Weight > 0:
		return SelectBoth, 0
	default:
		return SelectSource, 0
	}
}

// announced are the stages that get a service event when entered.
func announced(stage ecsv1alpha1.LifecycleStage) bool {
	switch stage {
	case ecsv1alpha1.StageScaleUp, ecsv1alpha1.StageTestTrafficShift, ecsv1alpha1.StageProductionTrafficShift,
		ecsv1alpha1.StageBakeTime, ecsv1alpha1.StageCleanUp:
		return true
	}
	return false
}

// Reasons of the staged deployment events.
const (
	// ReasonLifecycleStage marks a staged deployment entering a lifecycle stage.
	ReasonLifecycleStage = "LifecycleStage"
	// ReasonTrafficShifted marks production traffic moving (weights or a selector switch).
	ReasonTrafficShifted = "TrafficShifted"
	// ReasonRollbackStarted marks a staged deployment rolling back.
	ReasonRollbackStarted = "RollbackStarted"
)

func stageEvent(service, id string, stage ecsv1alpha1.LifecycleStage, detail string) Event {
	msg := fmt.Sprintf("(service %s) (deployment %s) has entered the %s lifecycle stage.", service, id, stage)
	if detail != "" {
		msg += " " + detail
	}
	return Event{Type: EventNormal, Reason: ReasonLifecycleStage, Message: msg}
}

func trafficEvent(service, id string, weight int32) Event {
	return Event{Type: EventNormal, Reason: ReasonTrafficShifted,
		Message: fmt.Sprintf("(service %s) (deployment %s) shifted %s of production traffic to the target revision.", service, id, PercentOf(weight))}
}

func stagedRollbackEvent(service, id string, stage ecsv1alpha1.LifecycleStage, why string) Event {
	return Event{Type: EventWarning, Reason: ReasonRollbackStarted,
		Message: fmt.Sprintf("(service %s) (deployment %s) rolling back in the %s lifecycle stage: %s Production traffic is back on the source revision.", service, id, stage, why)}
}

// PercentOf prints a weight as a percent, such as "12.5%".
func PercentOf(weight int32) string {
	if weight%10 == 0 {
		return fmt.Sprintf("%d%%", weight/10)
	}
	return fmt.Sprintf("%d.%d%%", weight/10, weight%10)
}
