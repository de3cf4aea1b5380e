//go:build soak

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

package clusterbench

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

const (
	soakWait = 4 * time.Minute
	// maxPercent is the R1 service's maximumPercent: U = floor(D × 200 / 100).
	maxPercent = 200
)

// r1Op is one change of the R1 service: a new desiredCount, a new image, or both.
type r1Op struct {
	desired int32
	image   string
}

func (o r1Op) String() string {
	var parts []string
	if o.desired > 0 {
		parts = append(parts, fmt.Sprintf("scale→%d", o.desired))
	}
	if o.image != "" {
		parts = append(parts, "rollout→"+o.image)
	}
	return strings.Join(parts, "+")
}

// r1Ops are the rollouts and scale changes the controller is killed during, two kills each.
var r1Ops = []r1Op{
	{image: "nginx:1.2"},
	{desired: 20},
	{image: "nginx:1.3"},
	{desired: 8},
	{desired: 16, image: "nginx:1.4"},
	{desired: 6},
	{image: "nginx:1.5"},
	{desired: 14},
	{image: "nginx:1.6"},
	{desired: 10, image: "nginx:1.7"},
}

func soakRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("BERTH_SOAK_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("random seed %d (BERTH_SOAK_SEED to repeat)", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) //nolint:gosec // kill moments, not secrets
}

// TestR1ControllerKilled SIGKILLs the controller process at 20 random moments during
// rollouts and scale changes of one Service (minimumHealthyPercent 100, maximumPercent
// 200), restarting it each time. A watch of every Pod event checks that no more than U
// tasks are ever live (U of the desired count in force; while a change is being applied,
// the larger of the old and the new one). After each change it checks that the Service
// converges: D tasks, all ready and of the new revision, one PRIMARY deployment, COMPLETED,
// no other deployment with tasks, and every Pod owned by the Service and labelled with the
// PRIMARY deployment (no orphans).
func TestR1ControllerKilled(t *testing.T) {
	rng := soakRand(t)
	ns := newNamespace(t, "r1-")
	ctl := startController(t)
	d := int32(12)
	image := "nginx:1.1"
	createTaskDef(t, ns, "web", image)
	svc := createService(t, ns, "web", "web", d, func(s *ecsv1alpha1.Service) {
		s.Spec.DeploymentConfiguration.MinimumHealthyPercent = ptr.To[int32](100)
		s.Spec.DeploymentConfiguration.MaximumPercent = ptr.To[int32](maxPercent)
	})
	kubetest.Eventually(t, soakWait, func() error { return serviceSteady(ns, "web", d) })

	tr := trackPods(t, ns, ecsv1alpha1.ServiceLabel+"=web", nil)
	tr.waitFor(t, time.Minute, readyCount(int(d)))
	upper := func(d int32) int { return int(d) * maxPercent / 100 }
	allowed, maxLive, events := upper(d), 0, 0
	var violations []string
	tr.setOnEvent(func(ev string, p *corev1.Pod, pods map[types.UID]*corev1.Pod) {
		l, _ := count(maps.Values(pods))
		maxLive, events = max(maxLive, l), events+1
		if l > allowed {
			violations = append(violations, fmt.Sprintf("%s %s: %d live tasks > U %d", ev, p.Name, l, allowed))
		}
	})

	kills, midChange := 0, 0
	var perOp []string
	for _, op := range r1Ops {
		prev := d
		if op.desired > 0 {
			d = op.desired
		}
		if op.image != "" {
			image = op.image
		}
		tr.locked(func() { allowed = max(upper(prev), upper(d)) })
		if op.image != "" {
			setImage(t, ns, "web", image)
		}
		if op.desired > 0 {
			scaleService(t, ns, "web", d)
		}
		start := time.Now()
		for k := range 2 {
			// A random moment early in the change, when the controller is creating and
			// stopping tasks: a change of this size settles in 1-2 s on the sandbox, so the
			// first kill comes within 800 ms and the second within 400 ms of the restart,
			// often while the new process is still syncing its caches or on its first pass.
			window := 800 * time.Millisecond
			if k == 1 {
				window = 400 * time.Millisecond
			}
			time.Sleep(time.Duration(rng.Int64N(int64(window))))
			if converged(ns, svc.UID, d, image, tr.snapshot()) != nil {
				midChange++
			}
			ctl.kill()
			kills++
			time.Sleep(time.Duration(rng.Int64N(int64(500 * time.Millisecond))))
			ctl = startController(t)
		}
		kubetest.Eventually(t, soakWait, func() error { return converged(ns, svc.UID, d, image, tr.snapshot()) })
		tr.locked(func() { allowed = upper(d) })
		perOp = append(perOp, fmt.Sprintf("%s %.0fs", op, time.Since(start).Seconds()))
		t.Logf("%s converged in %s", op, time.Since(start).Round(100*time.Millisecond))
	}
	// Settled means settled: nothing moves for a while after the last restart.
	kubetest.Consistently(t, 5*time.Second, func() error { return converged(ns, svc.UID, d, image, tr.snapshot()) })
	var (
		gotViolations []string
		gotMax        int
		gotEvents     int
	)
	tr.locked(func() { gotViolations, gotMax, gotEvents = slices.Clone(violations), maxLive, events })
	for _, v := range gotViolations {
		t.Errorf("bound violated: %s", v)
	}
	report.Print(nil, report.Line{ID: "R1", Value: float64(len(gotViolations)), Unit: "violations", Budget: "0", Pass: len(gotViolations) == 0 && !t.Failed(),
		Detail: fmt.Sprintf("%d SIGKILLs+restarts (%d while the change was still in progress) over %d changes [%s]; "+
			"checked on %d pod events: live tasks <= U (max seen %d); after each change: D tasks ready on the new revision, "+
			"one PRIMARY deployment COMPLETED, no ACTIVE one, every Pod owned by the Service and of the PRIMARY deployment (no orphans)",
			kills, midChange, len(r1Ops), strings.Join(perOp, ", "), gotEvents, gotMax)})
}

// converged says the Service is settled at d tasks of image: see TestR1ControllerKilled.
func converged(ns string, uid types.UID, d int32, image string, watched []*corev1.Pod) error {
	ctx := context.Background()
	svc := &ecsv1alpha1.Service{}
	if err := sb.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, svc); err != nil {
		return fmt.Errorf("reading service: %w", err)
	}
	if err := steady(svc, d); err != nil {
		return err
	}
	var primary *ecsv1alpha1.Deployment
	for i, dep := range svc.Status.Deployments {
		switch dep.Status {
		case ecsv1alpha1.DeploymentPrimary:
			if primary != nil {
				return fmt.Errorf("two PRIMARY deployments: %s and %s", primary.ID, dep.ID)
			}
			primary = &svc.Status.Deployments[i]
		case ecsv1alpha1.DeploymentActive:
			return fmt.Errorf("deployment %s still ACTIVE", dep.ID)
		}
	}
	if primary == nil || primary.RolloutState != ecsv1alpha1.RolloutCompleted {
		return fmt.Errorf("no COMPLETED PRIMARY deployment: %+v", svc.Status.Deployments)
	}
	// Every Pod in the namespace, not only those with the service label.
	pods := &corev1.PodList{}
	if err := sb.c.List(ctx, pods, client.InNamespace(ns)); err != nil {
		return fmt.Errorf("listing pods: %w", err)
	}
	if len(pods.Items) != int(d) {
		return fmt.Errorf("%d pods in the namespace, want %d", len(pods.Items), d)
	}
	for _, p := range pods.Items {
		owner := metav1.GetControllerOf(&p)
		switch {
		case owner == nil || owner.UID != uid:
			return fmt.Errorf("pod %s is not controlled by the Service (orphan)", p.Name)
		case p.Labels[ecsv1alpha1.DeploymentLabel] != primary.ID:
			return fmt.Errorf("pod %s of deployment %s, PRIMARY is %s", p.Name, p.Labels[ecsv1alpha1.DeploymentLabel], primary.ID)
		case p.Spec.Containers[0].Image != image:
			return fmt.Errorf("pod %s runs %s, want %s", p.Name, p.Spec.Containers[0].Image, image)
		}
	}
	// And the watch agrees: what the bounds were checked on is what the API server holds.
	return readyCount(int(d))(watched)
}

// TestR2ZoneLoss deletes both nodes of zone-c under a Service of 9 tasks with zone spread
// and availabilityZoneRebalancing ENABLED: the lost tasks must be replaced in zone-a and
// zone-b (the pod garbage collector deletes the Pods of missing nodes), and once the nodes
// come back the Service must return to max − min ≤ 1 per zone.
func TestR2ZoneLoss(t *testing.T) {
	const d = 9
	ctx := context.Background()
	ns := newNamespace(t, "r2-")
	startController(t)
	createTaskDef(t, ns, "web", "nginx:1.27")
	createService(t, ns, "web", "web", d, func(s *ecsv1alpha1.Service) {
		s.Spec.PlacementStrategy = append(s.Spec.PlacementStrategy,
			ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategySpread, Field: "instanceId"})
		s.Spec.AvailabilityZoneRebalancing = ecsv1alpha1.Enabled
	})
	kubetest.Eventually(t, soakWait, func() error { return serviceSteady(ns, "web", d) })
	tr := trackPods(t, ns, ecsv1alpha1.ServiceLabel+"=web", nil)
	zoneOf := nodeZones(t)
	before := zoneCounts(tr.snapshot(), zoneOf)

	saved, restore := kubetest.DeleteZone(t, sb.c, "zone-c")

	lost := time.Now()
	var during map[string]int
	tr.waitFor(t, soakWait, func(pods []*corev1.Pod) error {
		during = zoneCounts(pods, zoneOf)
		if during["zone-c"] != 0 || during["zone-a"]+during["zone-b"] != d || kubetest.Skew(map[string]int{"a": during["zone-a"], "b": during["zone-b"]}) > 1 {
			return fmt.Errorf("ready tasks per zone %s, want 0 in zone-c and %d balanced over zone-a and zone-b", fmtZones(during), d)
		}
		return nil
	})
	replaced := time.Since(lost)

	restore()
	back := time.Now()
	stopNodes := recordNodes(t, saved, back)
	defer stopNodes()
	t.Cleanup(func() {
		if t.Failed() {
			logServiceEvents(t, ns, "web")
		}
	})
	var after map[string]int
	tr.waitFor(t, soakWait, func(pods []*corev1.Pod) error {
		after = zoneCounts(pods, zoneOf)
		if after["zone-a"]+after["zone-b"]+after["zone-c"] != d || kubetest.Skew(after) > 1 {
			return fmt.Errorf("ready tasks per zone %s, want %d with max-min <= 1", fmtZones(after), d)
		}
		return nil
	})
	// And the Service says so itself: its newest rebalancing event is "is AZ balanced".
	kubetest.Eventually(t, soakWait, func() error {
		if err := serviceSteady(ns, "web", d); err != nil {
			return err
		}
		svc := &ecsv1alpha1.Service{}
		if err := sb.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, svc); err != nil {
			return err
		}
		for _, e := range svc.Status.Events { // newest first
			switch {
			case strings.Contains(e.Message, "is AZ balanced"):
				return nil
			case strings.Contains(e.Message, "is not AZ balanced"):
				return fmt.Errorf("newest rebalancing event: %s", e.Message)
			}
		}
		return errors.New("no rebalancing event")
	})
	rebalanced := time.Since(back)
	after = zoneCounts(tr.snapshot(), zoneOf)

	svc := &ecsv1alpha1.Service{}
	if err := sb.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, svc); err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range slices.Backward(svc.Status.Events) { // newest first in the status
		if strings.Contains(e.Message, "AZ balanced") || strings.Contains(e.Message, "rebalance") {
			events = append(events, e.Message)
		}
	}
	report.Print(nil, report.Line{ID: "R2", Value: float64(kubetest.Skew(after)), Unit: "max-min", Budget: "<=1",
		Pass: kubetest.Skew(after) <= 1 && during["zone-c"] == 0 && !t.Failed(),
		Detail: fmt.Sprintf("%d tasks, ready per zone a/b/c: before %s; zone-c nodes deleted → %s after %.1fs (replacements in zone-a/b); zone back → %s after %.1fs; rebalancing events: %q",
			d, fmtZones(before), fmtZones(during), replaced.Seconds(), fmtZones(after), rebalanced.Seconds(), events)})
}

// recordNodes logs, until stopped, every change of the Ready condition and taints of the
// given Nodes, with the time since start: when R2 fails, it says whether the restored zone
// was usable, and when.
func recordNodes(t *testing.T, nodes []corev1.Node, start time.Time) func() {
	t.Helper()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		last := map[string]string{}
		for {
			for _, saved := range nodes {
				n := &corev1.Node{}
				state := "absent"
				if err := sb.c.Get(context.Background(), types.NamespacedName{Name: saved.Name}, n); err == nil {
					state = "Ready=<none>"
					for _, c := range n.Status.Conditions {
						if c.Type == corev1.NodeReady {
							state = fmt.Sprintf("Ready=%s(%s)", c.Status, c.Reason)
						}
					}
					for _, taint := range n.Spec.Taints {
						state += fmt.Sprintf(" taint %s:%s", taint.Key, taint.Effect)
					}
				}
				if last[saved.Name] != state {
					last[saved.Name] = state
					t.Logf("+%4.1fs node %s: %s", time.Since(start).Seconds(), saved.Name, state)
				}
			}
			select {
			case <-done:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	return func() { close(done); <-finished }
}

// logServiceEvents logs the Service's ECS events and conditions, oldest first.
func logServiceEvents(t *testing.T, ns, name string) {
	t.Helper()
	svc := &ecsv1alpha1.Service{}
	if err := sb.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, svc); err != nil {
		t.Logf("reading service %s: %v", name, err)
		return
	}
	for i := len(svc.Status.Events) - 1; i >= 0; i-- {
		e := svc.Status.Events[i]
		t.Logf("event %s %s", e.CreatedAt.Format(time.TimeOnly), e.Message)
	}
	for _, c := range svc.Status.Conditions {
		t.Logf("condition %s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message)
	}
}
