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
	"slices"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// violations collects broken promises.
type violations []string

func (v *violations) add(format string, args ...any) { *v = append(*v, fmt.Sprintf(format, args...)) }

// planViolations lists every way p breaks the planner's promises for in; the golden
// simulator and the property tests share it.
func planViolations(in Input, p Plan) []string {
	var v violations
	desired := max(in.Config.DesiredCount, 0)
	lower, upper := Bounds(desired, in.Config.MinimumHealthyPercent, in.Config.MaximumPercent)
	if p.Lower != lower || p.Upper != upper {
		v.add("bounds (%d, %d), want (%d, %d)", p.Lower, p.Upper, lower, upper)
	}
	after := checkTasks(&v, in, p, lower)
	starts := int(p.StartCount())
	primary, ok := p.Primary()
	// Without a PRIMARY the planner does nothing, so only starts are bound by U there.
	if (ok || starts > 0) && len(after)+starts > int(upper) {
		v.add("%d live tasks after stops + %d starts exceed U=%d", len(after), starts, upper)
	}
	if in.Target.ID != "" && !ok {
		v.add("no PRIMARY deployment first in %v", ids(p.Deployments))
	}
	checkStarts(&v, p, primary, ok, after, desired)
	checkDeployments(&v, p)
	if p.SteadyState && (len(after) != int(desired) || starts > 0 || len(p.Stop) > 0) {
		v.add("steady state with %d tasks, %d starts, %d stops", len(after), starts, len(p.Stop))
	}
	return v
}

// checkTasks checks the stops and removals and returns the live tasks left after the stops.
func checkTasks(v *violations, in Input, p Plan, lower int32) map[string]Task {
	live := map[string]Task{}
	var stoppedNames []string
	first := map[string]bool{} // Compute keeps the first task of a name
	for _, t := range in.Tasks {
		if first[t.Name] {
			continue
		}
		first[t.Name] = true
		switch t.State {
		case TaskProvisioning, TaskPending, TaskRunning:
			live[t.Name] = t
		case TaskStopped:
			stoppedNames = append(stoppedNames, t.Name)
		}
	}
	slices.Sort(stoppedNames)
	if !slices.Equal(p.Remove, stoppedNames) {
		v.add("removes %v, want the STOPPED tasks %v", p.Remove, stoppedNames)
	}
	after := map[string]Task{}
	for n, t := range live {
		after[n] = t
	}
	var stopNames []string
	for _, s := range p.Stop {
		stopNames = append(stopNames, s.Task)
		if _, ok := after[s.Task]; !ok {
			v.add("stops %s, which is not a live task (or is stopped twice)", s.Task)
			continue
		}
		delete(after, s.Task)
		if s.Reason == "" || s.Deployment == "" {
			v.add("stop of %s has no reason or deployment", s.Task)
		}
	}
	if !slices.IsSorted(stopNames) {
		v.add("stops not sorted: %v", stopNames)
	}
	if before, now := countHealthy(live), countHealthy(after); now < min(before, int(lower)) {
		v.add("stops leave %d healthy tasks, below L=%d (had %d)", now, lower, before)
	}
	return after
}

func countHealthy(tasks map[string]Task) int {
	n := 0
	for _, t := range tasks {
		if healthy(t) {
			n++
		}
	}
	return n
}

// checkStarts checks that only the PRIMARY starts tasks, never beyond D, never when FAILED.
func checkStarts(v *violations, p Plan, primary Deployment, ok bool, after map[string]Task, desired int32) {
	starts := int(p.StartCount())
	for id, n := range p.Start {
		if !ok || id != primary.ID {
			v.add("starts %d tasks for %s, which is not the PRIMARY", n, id)
		}
		if n <= 0 {
			v.add("start entry %s=%d is not positive", id, n)
		}
	}
	if !ok || starts == 0 {
		return
	}
	prim := 0
	for _, t := range after {
		if t.Deployment == primary.ID {
			prim++
		}
	}
	if prim+starts > int(desired) {
		v.add("PRIMARY would have %d tasks, above D=%d", prim+starts, desired)
	}
	if primary.RolloutState == ecsv1alpha1.RolloutFailed {
		v.add("a FAILED PRIMARY starts %d tasks", starts)
	}
}

// checkDeployments checks the shape of the deployment list: one PRIMARY first, statuses
// matching tasks, newest first within a status, bounded history.
func checkDeployments(v *violations, p Plan) {
	seen := map[string]bool{}
	inactive := 0
	for i, d := range p.Deployments {
		if seen[d.ID] {
			v.add("deployment %s listed twice", d.ID)
		}
		seen[d.ID] = true
		tasks := d.RunningCount + d.PendingCount
		switch {
		case d.Status == ecsv1alpha1.DeploymentPrimary && i != 0:
			v.add("PRIMARY %s is not first", d.ID)
		case d.Status == ecsv1alpha1.DeploymentInactive && tasks > 0:
			v.add("INACTIVE %s has tasks", d.ID)
		case d.Status == ecsv1alpha1.DeploymentActive && tasks == 0:
			v.add("ACTIVE %s has no tasks", d.ID)
		case !slices.Contains([]ecsv1alpha1.DeploymentStatus{ecsv1alpha1.DeploymentPrimary,
			ecsv1alpha1.DeploymentActive, ecsv1alpha1.DeploymentInactive}, d.Status):
			v.add("deployment %s has status %q", d.ID, d.Status)
		}
		if d.Status == ecsv1alpha1.DeploymentInactive {
			inactive++
		}
		if i > 0 && statusRank(p.Deployments[i-1].Status) == statusRank(d.Status) &&
			compareNewest(&p.Deployments[i-1], &p.Deployments[i]) > 0 {
			v.add("deployments %s and %s not newest first", p.Deployments[i-1].ID, d.ID)
		}
		if d.UpdatedAt.IsZero() {
			v.add("deployment %s has no updatedAt", d.ID)
		}
	}
	if inactive > MaxInactiveDeployments+1 { // +1: the Target's own record is always kept
		v.add("%d INACTIVE deployments kept", inactive)
	}
}

func ids(ds []Deployment) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID + "/" + string(d.Status)
	}
	return out
}
