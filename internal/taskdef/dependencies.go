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

package taskdef

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// containerKind is where a container definition goes in the Pod.
type containerKind int

const (
	// kindContainer is an ordinary container: nobody depends on it.
	kindContainer containerKind = iota
	// kindSidecar is a native sidecar (init container with restartPolicy Always): others
	// depend on it with START or HEALTHY, so it must be running before they start.
	kindSidecar
	// kindInit is a regular init container: others depend on it with COMPLETE or SUCCESS, so
	// it must have finished before they start.
	kindInit
)

// dependencyPlan is what dependsOn decides about the Pod's shape.
type dependencyPlan struct {
	// kinds is indexed like containerDefinitions.
	kinds []containerKind
	// initOrder lists the sidecars and init containers in start order: every container after
	// all of its own dependencies, ties in definition order.
	initOrder []int
	// healthy marks sidecars some container depends on with HEALTHY: they need a startup
	// probe, which is what holds back the containers after them until it passes.
	healthy []bool
}

// planDependencies validates dependsOn and decides each container's kind and the init order.
// Shutdown order needs nothing more: Kubernetes stops sidecars after the containers, in
// reverse order, as ECS reverses the dependency order.
func (t *translator) planDependencies() error {
	defs := t.spec.ContainerDefinitions
	n := len(defs)
	p := &dependencyPlan{kinds: make([]containerKind, n), healthy: make([]bool, n)}
	finish := make([]bool, n) // a dependant waits for it to exit
	running := make([]bool, n)
	deps := make([][]int, n)
	for i := range defs {
		for j := range defs[i].DependsOn {
			target, err := t.dependency(p, i, j, finish, running)
			if err != nil {
				return err
			}
			deps[i] = append(deps[i], target)
		}
	}
	if err := findCycle(defs, deps); err != nil {
		return err
	}
	for i := range defs {
		switch {
		case finish[i]:
			p.kinds[i] = kindInit
			p.healthy[i] = false
		case running[i]:
			p.kinds[i] = kindSidecar
		}
	}
	for i := range defs {
		if err := t.dependencyApproximations(p, i); err != nil {
			return err
		}
	}
	t.sidecarLifetime(p)
	p.initOrder = initOrder(p.kinds, deps)
	t.plan = p
	return nil
}

// dependency validates containerDefinitions[i].dependsOn[j], records what it asks of its
// target (to finish, to run, to be healthy) and returns the target's index.
func (t *translator) dependency(p *dependencyPlan, i, j int, finish, running []bool) (int, error) {
	defs := t.spec.ContainerDefinitions
	d := &defs[i]
	dep := d.DependsOn[j]
	f := dependsOnField(d, j)
	target, ok := t.index[dep.ContainerName]
	if !ok {
		return 0, unknown(d.Name, f+".containerName", "there is no container %q in this task definition", dep.ContainerName)
	}
	if target == i {
		return 0, cycle(d.Name, f+".containerName", "dependsOn cycle: a container cannot depend on itself")
	}
	for _, earlier := range d.DependsOn[:j] {
		if earlier.ContainerName == dep.ContainerName {
			return 0, invalid(d.Name, f+".containerName", "%s is listed twice", dep.ContainerName)
		}
	}
	td := &defs[target]
	switch dep.Condition {
	case ecsv1alpha1.DependencyStart:
		running[target] = true
	case ecsv1alpha1.DependencyHealthy:
		if !hasHealthCheck(td) {
			return 0, invalid(d.Name, f+".condition", "HEALTHY needs a healthCheck on %s, which has none", td.Name)
		}
		running[target] = true
		p.healthy[target] = true
	case ecsv1alpha1.DependencyComplete, ecsv1alpha1.DependencySuccess:
		if isEssential(td) {
			return 0, invalid(d.Name, f+".condition",
				"%s may only target a non-essential container, and %s is essential (set essential: false on it, as ECS requires)",
				dep.Condition, td.Name)
		}
		finish[target] = true
		if dep.Condition == ecsv1alpha1.DependencyComplete {
			t.approximate(f, "COMPLETE is applied as SUCCESS: "+td.Name+" runs as an init container, which Kubernetes "+
				"requires to exit 0 before "+d.Name+" starts (ECS accepts any exit code)")
		}
	default:
		return 0, invalid(d.Name, f+".condition", "%q is not START, COMPLETE, SUCCESS or HEALTHY", dep.Condition)
	}
	return target, nil
}

// dependencyApproximations reports what the chosen kinds cannot do for container i: wait
// only for START or HEALTHY of a container that runs to completion, leave a non-essential
// sidecar stopped, or time out a dependency other than a HEALTHY one.
func (t *translator) dependencyApproximations(p *dependencyPlan, i int) error {
	d := &t.spec.ContainerDefinitions[i]
	for j, dep := range d.DependsOn {
		target := t.index[dep.ContainerName]
		if p.kinds[target] == kindInit && (dep.Condition == ecsv1alpha1.DependencyStart || dep.Condition == ecsv1alpha1.DependencyHealthy) {
			t.approximate(dependsOnField(d, j), fmt.Sprintf("%s waits for %s to exit 0, not just for %s: "+
				"another container depends on it with COMPLETE or SUCCESS, so it runs to completion as an init container",
				d.Name, dep.ContainerName, dep.Condition))
		}
	}
	if p.kinds[i] == kindSidecar && !isEssential(d) {
		t.approximate(cfield(d.Name, "essential"), d.Name+" runs as a native sidecar (others depend on it with START or "+
			"HEALTHY), which Kubernetes restarts whenever it exits; ECS leaves a stopped non-essential container stopped")
	}
	if d.StartTimeout == nil {
		return nil
	}
	// A HEALTHY sidecar's startTimeout is its startup probe's budget (probes.go); a container
	// nobody depends on has nothing to time out, in ECS as here.
	f := cfield(d.Name, "startTimeout")
	switch {
	case *d.StartTimeout <= 0:
		return invalid(d.Name, f, "%d seconds must be positive", *d.StartTimeout)
	case p.kinds[i] == kindInit:
		t.approximate(f, fmt.Sprintf("not applied: Kubernetes puts no time limit on an init container, so the containers "+
			"after %s wait for it beyond %d s", d.Name, *d.StartTimeout))
	case p.kinds[i] == kindSidecar && !p.healthy[i]:
		t.approximate(f, fmt.Sprintf("not applied: Kubernetes puts no time limit on starting a sidecar, so the containers "+
			"after %s wait for it beyond %d s", d.Name, *d.StartTimeout))
	}
	return nil
}

// sidecarLifetime reports essential sidecars in a task whose containers are all
// non-essential: Kubernetes stops sidecars once the containers have exited, which ends the
// task, where ECS would keep it running as long as an essential container runs.
func (t *translator) sidecarLifetime(p *dependencyPlan) {
	var containers []string
	for i, d := range t.spec.ContainerDefinitions {
		if p.kinds[i] == kindContainer {
			if isEssential(&d) {
				return
			}
			containers = append(containers, d.Name)
		}
	}
	for i, d := range t.spec.ContainerDefinitions {
		if p.kinds[i] == kindSidecar && isEssential(&d) {
			t.approximate(cfield(d.Name, "essential"), d.Name+" runs as a native sidecar, which Kubernetes stops once "+
				"the non-essential containers ("+strings.Join(containers, ", ")+") have exited, ending the task; ECS "+
				"would keep the task running as long as "+d.Name+" runs")
		}
	}
}

// dependsOnField is the path of a dependsOn entry: by container name when it is one, else by
// index.
func dependsOnField(d *ecsv1alpha1.ContainerDefinition, j int) string {
	if name := d.DependsOn[j].ContainerName; len(validation.IsDNS1123Label(name)) == 0 {
		return cfield(d.Name, key("dependsOn", name))
	}
	return cfield(d.Name, idx("dependsOn", j))
}

// hasHealthCheck reports whether a container has a health check that runs (not NONE).
func hasHealthCheck(d *ecsv1alpha1.ContainerDefinition) bool {
	return d.HealthCheck != nil && len(d.HealthCheck.Command) > 0 && d.HealthCheck.Command[0] != "NONE"
}

// findCycle returns an ErrCycle error naming the containers of the first dependsOn cycle
// found in definition order, or nil.
func findCycle(defs []ecsv1alpha1.ContainerDefinition, deps [][]int) error {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(defs))
	var stack []int
	var found []int
	var visit func(i int) bool
	visit = func(i int) bool {
		color[i] = grey
		stack = append(stack, i)
		for _, j := range deps[i] {
			switch color[j] {
			case grey:
				for k, s := range stack {
					if s == j {
						found = append(append(found, stack[k:]...), j)
						return true
					}
				}
			case white:
				if visit(j) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
		return false
	}
	for i := range defs {
		if color[i] == white && visit(i) {
			names := make([]string, len(found))
			for k, j := range found {
				names[k] = defs[j].Name
			}
			first := defs[found[0]].Name
			return cycle(first, cfield(first, "dependsOn"), "dependsOn cycle: %s", strings.Join(names, " -> "))
		}
	}
	return nil
}

// initOrder orders the sidecars and init containers so that each comes after its own
// dependencies, choosing the earliest definition whenever several are ready. Dependencies of
// a sidecar or init container are themselves sidecars or init containers, and there is no
// cycle, so every one of them is placed.
func initOrder(kinds []containerKind, deps [][]int) []int {
	placed := make([]bool, len(kinds))
	var order []int
	for {
		next := -1
		for i, k := range kinds {
			if k == kindContainer || placed[i] {
				continue
			}
			ready := true
			for _, j := range deps[i] {
				if !placed[j] {
					ready = false
					break
				}
			}
			if ready {
				next = i
				break
			}
		}
		if next < 0 {
			return order
		}
		placed[next] = true
		order = append(order, next)
	}
}
