//go:build bench

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
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// p8Tasks is the size of P8's Service, and of the P3-style rolling deployment it is compared
// with (P3 itself now rolls 1,000 tasks).
const p8Tasks = 100

// p8RollingReps is how many of those rolling deployments a P8 run measures.
const p8RollingReps = 2

// p8Reps is how many blue/green deployments P8 measures (BERTH_BENCH_P8_REPS, default 3: one
// takes about 15 s with 100 tasks, and its figures are a twentieth of the budget).
func p8Reps() int {
	if n, err := strconv.Atoi(os.Getenv("BERTH_BENCH_P8_REPS")); err == nil && n > 0 {
		return n
	}
	return 3
}

// TestP8BlueGreen deploys a new revision BLUE_GREEN to a Service of 100 tasks behind a
// production Service and an alternate one, p8Reps times, and measures two things in each:
// the cut-over, from the moment a Pod watch sees every green task Ready to the moment a
// watch of the production Service sees it select green only; and the rollback during the
// bake, from the write of the rollback annotation to the moment that watch sees it select
// blue only again. The same test runs P3's rolling deployment of 100 tasks (the Berth half)
// as the reference of the run.
func TestP8BlueGreen(t *testing.T) {
	startController(t)
	var cutover, rollback, rolling []float64
	for rep := range p8Reps() {
		ns := newNamespace(t, "p8-")
		c, r := blueGreenRollback(t, ns)
		purgeNamespace(t, ns)
		cutover, rollback = append(cutover, c.Seconds()), append(rollback, r.Seconds())
		msg := fmt.Sprintf("repetition %d: cut-over %.3fs, rollback %.3fs", rep+1, cutover[rep], rollback[rep])
		if rep < p8RollingReps {
			ns := newNamespace(t, "p8-p3-")
			took, b, _ := berthRollout(t, ns, p8Tasks)
			purgeNamespace(t, ns)
			rolling = append(rolling, took.Seconds())
			msg += fmt.Sprintf("; P3 rolling %.2fs (%s)", took.Seconds(), b)
		}
		t.Log(msg)
	}
	p3 := report.Median(rolling)
	for _, f := range []struct {
		id, what string
		xs       []float64
	}{
		{"P8", "blue/green cut-over (all green Ready -> production selects green only)", cutover},
		{"P8b", "rollback during bake (annotation written -> production selects blue only)", rollback},
	} {
		v := report.Median(f.xs)
		report.Print(nil, report.Line{ID: f.id, Value: v, Unit: "s", Reference: p3, HasReference: true, Ratio: v / p3, HasRatio: true,
			Budget: "<=1s", Pass: v <= 1 && slicesMax(f.xs) <= 1,
			Detail: fmt.Sprintf("%s, %d tasks; %s (runs %v); reference: P3 rolling deployment of %d tasks in the same run, %s",
				f.what, p8Tasks, report.Spread(f.xs, "s"), rounded(f.xs), p8Tasks, report.Spread(rolling, "s"))})
	}
}

func slicesMax(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func rounded(xs []float64) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, strconv.FormatFloat(x, 'f', 3, 64))
	}
	return out
}

// blueGreenRollback runs one BLUE_GREEN deployment of p8Tasks tasks and returns the
// cut-over and the rollback times.
func blueGreenRollback(t *testing.T, ns string) (cutover, rollback time.Duration) {
	t.Helper()
	createTaskDef(t, ns, "web", oldImage)
	createService(t, ns, "web", "web", p8Tasks, func(s *ecsv1alpha1.Service) {
		// A bake of 1 minute (the API's least above 0): the rollback request comes first.
		s.Spec.DeploymentConfiguration = ecsv1alpha1.DeploymentConfiguration{
			Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](1)}
		s.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{ContainerName: "web", ContainerPort: 8080, Port: ptr.To[int32](80),
			AdvancedConfiguration: &ecsv1alpha1.AdvancedConfiguration{AlternateServiceName: "web-test"}}}
	})
	kubetest.Eventually(t, startupWait, func() error { return serviceSteady(ns, "web", p8Tasks) })
	blue := primaryOf(t, ns)

	// When each deployment first has every task Ready, from a Pod watch.
	var mu sync.Mutex
	allReady := map[string]time.Time{}
	tr := trackPods(t, ns, ecsv1alpha1.ServiceLabel+"=web", nil)
	tr.setOnEvent(func(_ string, p *corev1.Pod, pods map[types.UID]*corev1.Pod) {
		dep := p.Labels[ecsv1alpha1.DeploymentLabel]
		mu.Lock()
		defer mu.Unlock()
		if _, ok := allReady[dep]; ok {
			return
		}
		n := 0
		for _, q := range pods {
			if q.Labels[ecsv1alpha1.DeploymentLabel] == dep && ready(q) {
				n++
			}
		}
		if n >= p8Tasks {
			allReady[dep] = time.Now()
		}
	})
	defer tr.cancel()
	sel := watchSelector(t, ns, "web")
	defer sel.stop()

	setImage(t, ns, "web", newImage)
	var green string
	kubetest.Eventually(t, startupWait, func() error {
		green = ""
		if d := newestServiceDeployment(t, ns); d != nil && d.TargetTaskDefinition == "web:2" &&
			d.Status == ecsv1alpha1.ServiceDeploymentInProgress && d.LifecycleStage == ecsv1alpha1.StageBakeTime {
			green = d.ID
			return nil
		}
		return errors.New("web:2 not in BAKE_TIME yet")
	})
	switched := sel.waitFor(t, green)
	mu.Lock()
	greenReady := allReady[green]
	mu.Unlock()
	if greenReady.IsZero() {
		t.Fatalf("production selects green %s before the Pod watch saw its %d tasks Ready", green, p8Tasks)
	}
	cutover = switched.Sub(greenReady)
	if cutover < 0 {
		t.Errorf("production selected green %s before every green task was Ready", -cutover)
	}

	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, ecsv1alpha1.RollbackAnnotation, green)
	asked := time.Now()
	if err := sb.c.Patch(context.Background(), svc, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	rollback = sel.waitFor(t, blue).Sub(asked)
	if got := sel.values(); len(got) != 3 || got[0] != blue || got[1] != green || got[2] != blue {
		t.Errorf("production Service selected %v, want blue, green, blue", got)
	}
	return cutover, rollback
}

func primaryOf(t *testing.T, ns string) string {
	t.Helper()
	svc := &ecsv1alpha1.Service{}
	if err := sb.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "web"}, svc); err != nil {
		t.Fatal(err)
	}
	for _, d := range svc.Status.Deployments {
		if d.Status == ecsv1alpha1.DeploymentPrimary {
			return d.ID
		}
	}
	t.Fatal("no PRIMARY deployment")
	return ""
}

func newestServiceDeployment(t *testing.T, ns string) *ecsv1alpha1.ServiceDeployment {
	t.Helper()
	svc := &ecsv1alpha1.Service{}
	if err := sb.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "web"}, svc); err != nil {
		t.Fatal(err)
	}
	if len(svc.Status.ServiceDeployments) == 0 {
		return nil
	}
	return &svc.Status.ServiceDeployments[0]
}

// selectorWatch records, from a watch of one core Service, each deployment it selects in
// turn and when the watch last saw it switch to each.
type selectorWatch struct {
	mu   sync.Mutex
	seen []string
	at   map[string]time.Time
	stop context.CancelFunc
}

func watchSelector(t *testing.T, ns, name string) *selectorWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &selectorWatch{at: map[string]time.Time{}, stop: cancel}
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return sb.cs.CoreV1().Services(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return sb.cs.CoreV1().Services(ns).Watch(ctx, o)
		},
	}
	inf := cache.NewSharedIndexInformer(lw, &corev1.Service{}, 0, cache.Indexers{})
	on := func(obj any) {
		s, ok := obj.(*corev1.Service)
		if !ok {
			return
		}
		dep := s.Spec.Selector[ecsv1alpha1.DeploymentLabel]
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.seen) == 0 || w.seen[len(w.seen)-1] != dep {
			w.seen = append(w.seen, dep)
			w.at[dep] = time.Now() // the latest switch to dep
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: on, UpdateFunc: func(_, obj any) { on(obj) }}); err != nil {
		t.Fatal(err)
	}
	go inf.RunWithContext(ctx)
	kubetest.Eventually(t, time.Minute, func() error {
		if !inf.HasSynced() {
			return errors.New("service watch not synced")
		}
		return nil
	})
	t.Cleanup(cancel)
	return w
}

// waitFor waits until the Service selects dep and returns when the watch saw it switch.
func (w *selectorWatch) waitFor(t *testing.T, dep string) time.Time {
	t.Helper()
	deadline := time.Now().Add(startupWait)
	for {
		w.mu.Lock()
		last, at := "", w.at[dep]
		if len(w.seen) > 0 {
			last = w.seen[len(w.seen)-1]
		}
		w.mu.Unlock()
		if last == dep {
			return at
		}
		if time.Now().After(deadline) {
			t.Fatalf("the production Service selects %q, not %q, after %s", last, dep, startupWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (w *selectorWatch) values() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen...)
}
