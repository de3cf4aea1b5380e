//go:build bench || soak

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
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/bench/internal/procstat"

	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// zoneSpread is the placement of P1–P3: spread over availability zones, which becomes a
// topologySpreadConstraint on topology.kubernetes.io/zone.
var zoneSpread = []ecsv1alpha1.PlacementStrategy{
	{Type: ecsv1alpha1.PlacementStrategySpread, Field: "attribute:ecs.availability-zone"},
}

var zones = []string{"zone-a", "zone-b", "zone-c"}

// live says a Pod counts as a task: not being deleted and not terminal (RUNNING or PENDING
// in ECS terms), the Pods that maximumPercent bounds.
func live(p *corev1.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded
}

// ready says a live Pod is Running and Ready (RUNNING and healthy).
func ready(p *corev1.Pod) bool {
	if !live(p) || p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podTracker follows Pods through a watch, so every observed state can be checked (rollout
// bounds), not only the ones a poll happens to see.
type podTracker struct {
	mu     sync.Mutex
	pods   map[types.UID]*corev1.Pod
	events int
	// seen, bound and readyAt are when each Pod was first observed, bound to a node and
	// ready: where the time of a start goes.
	seen, bound, readyAt map[types.UID]time.Time
	// onEvent is called under mu after each event with the Pods as they are now.
	onEvent func(ev string, p *corev1.Pod, pods map[types.UID]*corev1.Pod)
	cancel  context.CancelFunc
}

// setOnEvent replaces the per-event check, e.g. once the initial list has been seen.
func (tr *podTracker) setOnEvent(f func(ev string, p *corev1.Pod, pods map[types.UID]*corev1.Pod)) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.onEvent = f
}

// trackPods watches the Pods of ns ("" for all) matching selector until the test ends.
func trackPods(t testing.TB, ns, selector string, onEvent func(string, *corev1.Pod, map[types.UID]*corev1.Pod)) *podTracker {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tr := &podTracker{pods: map[types.UID]*corev1.Pod{}, onEvent: onEvent, cancel: cancel,
		seen: map[types.UID]time.Time{}, bound: map[types.UID]time.Time{}, readyAt: map[types.UID]time.Time{}}
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = selector
			return sb.cs.CoreV1().Pods(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = selector
			return sb.cs.CoreV1().Pods(ns).Watch(ctx, o)
		},
	}
	inf := cache.NewSharedIndexInformer(lw, &corev1.Pod{}, 0, cache.Indexers{})
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { tr.event("ADDED", obj, false) },
		UpdateFunc: func(_, obj any) { tr.event("MODIFIED", obj, false) },
		DeleteFunc: func(obj any) { tr.event("DELETED", obj, true) },
	}); err != nil {
		t.Fatal(err)
	}
	go inf.RunWithContext(ctx)
	kubetest.Eventually(t, time.Minute, func() error {
		if !inf.HasSynced() {
			return errors.New("pod watch not synced")
		}
		return nil
	})
	t.Cleanup(cancel)
	return tr
}

func (tr *podTracker) event(ev string, obj any, deleted bool) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.events++
	now := time.Now()
	first := func(m map[types.UID]time.Time, cond bool) {
		if _, ok := m[p.UID]; !ok && cond {
			m[p.UID] = now
		}
	}
	first(tr.seen, true)
	first(tr.bound, p.Spec.NodeName != "")
	first(tr.readyAt, ready(p))
	if deleted {
		delete(tr.pods, p.UID)
	} else {
		tr.pods[p.UID] = p
	}
	if tr.onEvent != nil {
		tr.onEvent(ev, p, tr.pods)
	}
}

// locked runs f under the tracker's lock, so it is ordered with the per-event check.
func (tr *podTracker) locked(f func()) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	f()
}

// lastBound is when the last observed Pod was bound to a node, relative to start: the part
// of a start that the controller and the scheduler do, before kwok (the kubelets) runs it.
func (tr *podTracker) lastBound(start time.Time) time.Duration {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return lastOf(tr.bound).Sub(start)
}

func lastOf(m map[types.UID]time.Time) time.Time {
	var l time.Time
	for _, at := range m {
		if at.After(l) {
			l = at
		}
	}
	return l
}

// timeline says when the last of the observed Pods was created, bound and ready, relative
// to start.
func (tr *podTracker) timeline(start time.Time) string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	last := func(m map[types.UID]time.Time) time.Duration {
		return lastOf(m).Sub(start).Round(10 * time.Millisecond)
	}
	return fmt.Sprintf("all %d created +%s, bound +%s, ready +%s", len(tr.seen), last(tr.seen), last(tr.bound), last(tr.readyAt))
}

// snapshot is the Pods as last observed.
func (tr *podTracker) snapshot() []*corev1.Pod {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Collect(maps.Values(tr.pods))
}

// waitFor polls the observed Pods until cond holds and returns when it first did (within
// the 20 ms poll), failing the test after timeout.
func (tr *podTracker) waitFor(t testing.TB, timeout time.Duration, cond func([]*corev1.Pod) error) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond(tr.snapshot())
		if err == nil {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readyCount waits for exactly n live Pods, all ready.
func readyCount(n int) func([]*corev1.Pod) error {
	return func(pods []*corev1.Pod) error {
		l, r := count(slices.Values(pods))
		if l != n || r != n {
			return fmt.Errorf("%d live, %d ready, want %d", l, r, n)
		}
		return nil
	}
}

// count counts the live and the ready Pods of pods.
func count(pods iter.Seq[*corev1.Pod]) (liveN, readyN int) {
	for p := range pods {
		if live(p) {
			liveN++
		}
		if ready(p) {
			readyN++
		}
	}
	return liveN, readyN
}

// nodeZones maps node names to their zone.
func nodeZones(t testing.TB) map[string]string {
	t.Helper()
	nodes := &corev1.NodeList{}
	if err := sb.c.List(context.Background(), nodes); err != nil {
		t.Fatal(err)
	}
	z := map[string]string{}
	for _, n := range nodes.Items {
		z[n.Name] = n.Labels[corev1.LabelTopologyZone]
	}
	return z
}

// zoneCounts counts the ready Pods per zone, every zone listed.
func zoneCounts(pods []*corev1.Pod, zoneOf map[string]string) map[string]int {
	c := map[string]int{}
	for _, z := range zones {
		c[z] = 0
	}
	for _, p := range pods {
		if ready(p) {
			c[zoneOf[p.Spec.NodeName]]++
		}
	}
	return c
}

func fmtZones(c map[string]int) string {
	parts := make([]string, 0, len(zones))
	for _, z := range zones {
		parts = append(parts, fmt.Sprint(c[z]))
	}
	return strings.Join(parts, "/")
}

func newNamespace(t testing.TB, prefix string) string {
	t.Helper()
	return kubetest.NewNamespace(t, sb.c, prefix)
}

// createTaskDef registers family name with one container and waits for revision 1.
func createTaskDef(t testing.TB, ns, name, image string) {
	t.Helper()
	ctx := context.Background()
	td := &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: ecsv1alpha1.TaskDefinitionSpec{
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "web", Image: image}},
		},
	}
	if err := sb.c.Create(ctx, td); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, 2*time.Minute, func() error {
		if err := sb.c.Get(ctx, client.ObjectKeyFromObject(td), td); err != nil {
			return err
		}
		if td.Status.Revision < 1 {
			return fmt.Errorf("task definition %s/%s not registered", ns, name)
		}
		return nil
	})
}

// setImage changes the task definition's image, which registers a new revision.
func setImage(t testing.TB, ns, name, image string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"containerDefinitions":[{"name":"web","image":%q}]}}`, image)
	td := &ecsv1alpha1.TaskDefinition{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := sb.c.Patch(context.Background(), td, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
}

// createService creates Service name of family td with desired tasks.
func createService(t testing.TB, ns, name, td string, desired int32, change func(*ecsv1alpha1.Service)) *ecsv1alpha1.Service {
	t.Helper()
	svc := &ecsv1alpha1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: ecsv1alpha1.ServiceSpec{
			TaskDefinition:    td,
			DesiredCount:      ptr.To(desired),
			PlacementStrategy: zoneSpread,
		},
	}
	if change != nil {
		change(svc)
	}
	if err := sb.c.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	return svc
}

// serviceSteady says the Service reports n RUNNING tasks, none pending, Ready, for its
// current generation.
func serviceSteady(ns, name string, n int32) error {
	svc := &ecsv1alpha1.Service{}
	if err := sb.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, svc); err != nil {
		return fmt.Errorf("reading service: %w", err)
	}
	return steady(svc, n)
}

// steady says svc reports n RUNNING tasks, none pending, Ready, for its current generation.
func steady(svc *ecsv1alpha1.Service, n int32) error {
	ns, name := svc.Namespace, svc.Name
	isReady := false
	for _, c := range svc.Status.Conditions {
		isReady = isReady || (c.Type == ecsv1alpha1.ReadyCondition && c.Status == metav1.ConditionTrue)
	}
	if !isReady || svc.Status.ObservedGeneration != svc.Generation || svc.Status.RunningCount != n || svc.Status.PendingCount != 0 {
		return fmt.Errorf("service %s/%s: running %d pending %d ready %v observed %d/%d, want %d running and steady",
			ns, name, svc.Status.RunningCount, svc.Status.PendingCount, isReady, svc.Status.ObservedGeneration, svc.Generation, n)
	}
	return nil
}

func scaleService(t testing.TB, ns, name string, n int32) {
	t.Helper()
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	patch := fmt.Sprintf(`{"spec":{"desiredCount":%d}}`, n)
	if err := sb.c.Patch(context.Background(), svc, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
}

func scaleDeployment(t testing.TB, ns, name string, n int32) {
	t.Helper()
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, n)
	if err := sb.c.Patch(context.Background(), dep, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
}

// taskPodSpec reads the spec of one of the Service's task Pods, as the template of the
// Deployment and floor references: same container, same topology spread.
func taskPodSpec(t testing.TB, ns, service string) corev1.PodSpec {
	t.Helper()
	return podTemplateOf(t, ns, client.MatchingLabels{ecsv1alpha1.ServiceLabel: service})
}

// taskPodMeta reads the labels and annotations Berth gave one of the Service's task Pods,
// without the Service's label (so Berth's cache does not take the floor's Pods for tasks)
// and the topology labels the API server copies from the node at binding, for the floor
// references, which create the same Pods.
func taskPodMeta(t testing.TB, ns, service string) (labels, annotations map[string]string) {
	t.Helper()
	pods := &corev1.PodList{}
	if err := sb.c.List(context.Background(), pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: service}); err != nil || len(pods.Items) == 0 {
		t.Fatalf("reading a task Pod in %s: %v (%d pods)", ns, err, len(pods.Items))
	}
	labels = map[string]string{}
	for k, v := range pods.Items[0].Labels {
		if k != ecsv1alpha1.ServiceLabel && !strings.HasPrefix(k, "topology.kubernetes.io/") {
			labels[k] = v
		}
	}
	return labels, maps.Clone(pods.Items[0].Annotations)
}

// podTemplateOf reads the spec of one Pod in ns that sel selects, with what the API server
// filled in for that Pod (node, service account token volume) removed; it must have a
// topology spread.
func podTemplateOf(t testing.TB, ns string, sel client.ListOption) corev1.PodSpec {
	t.Helper()
	pods := &corev1.PodList{}
	if err := sb.c.List(context.Background(), pods, client.InNamespace(ns), sel); err != nil || len(pods.Items) == 0 {
		t.Fatalf("reading a Pod in %s: %v (%d pods)", ns, err, len(pods.Items))
	}
	spec := *pods.Items[0].Spec.DeepCopy()
	spec.NodeName = ""
	spec.Volumes = slices.DeleteFunc(spec.Volumes, func(v corev1.Volume) bool { return strings.HasPrefix(v.Name, "kube-api-access-") })
	for i := range spec.Containers {
		c := &spec.Containers[i]
		c.VolumeMounts = slices.DeleteFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return strings.HasPrefix(m.Name, "kube-api-access-") })
	}
	if len(spec.TopologySpreadConstraints) == 0 {
		t.Fatalf("Pods in %s have no topology spread", ns)
	}
	return spec
}

// withSelector is a copy of spec whose topology spread counts the Pods matching labels.
func withSelector(spec corev1.PodSpec, labels map[string]string) corev1.PodSpec {
	out := *spec.DeepCopy()
	for i := range out.TopologySpreadConstraints {
		out.TopologySpreadConstraints[i].LabelSelector = &metav1.LabelSelector{MatchLabels: maps.Clone(labels)}
	}
	return out
}

// createDeployment creates a Deployment of spec with replicas and strategy.
func createDeployment(t testing.TB, ns, name string, spec corev1.PodSpec, labels map[string]string, replicas int32, strategy appsv1.DeploymentStrategy) {
	t.Helper()
	spec = withSelector(spec, labels)
	spec.RestartPolicy = corev1.RestartPolicyAlways // the only policy a Deployment allows
	for i := range spec.TopologySpreadConstraints {
		// Spread only this revision's Pods, as Berth spreads one deployment's tasks.
		spec.TopologySpreadConstraints[i].MatchLabelKeys = []string{appsv1.DefaultDeploymentUniqueLabelKey}
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: strategy,
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
	if err := sb.c.Create(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
}

// purgeNamespace removes everything a measurement left in ns at once, so the next
// measurement starts on an idle cluster (after a pause). The owners (Services, Tasks,
// Deployments, ReplicaSets) are deleted first but held by a finalizer of the
// benchmark's (holdOwners): an owner being deleted makes its controller start nothing, and
// the garbage collector leaves the dependents of an owner that still exists alone. The Pods
// and the namespace's Events are then removed from etcd (deleteInEtcd), the owners let go
// (their Pods are gone, so the garbage collector has nothing to do), the namespace deleted
// (what is left for the namespace controller is a few small objects), and etcd compacted.
func purgeNamespace(t testing.TB, ns string) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	release := holdOwners(t, ns)
	if err := sb.c.DeleteAllOf(ctx, &batchv1.Job{}, client.InNamespace(ns), client.PropagationPolicy(metav1.DeletePropagationOrphan)); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("deleting the Jobs in %s: %v", ns, err)
	}
	waitEventsWritten(t, ns)
	pods := deleteInEtcd(t, "pods", ns)
	// The Events too (one from the scheduler per Pod, the controllers'): the namespace
	// controller deletes what a namespace holds with one delete collection each, which kept
	// the API server and etcd busy for about 10 s after 3,000 Pods, into the next contender's
	// measurement.
	events := deleteInEtcd(t, "events", ns)
	// A Pod created after the listing in etcd (by a controller that had not seen its owner's
	// deletion yet) goes through the API.
	kubetest.Eventually(t, 2*time.Minute, func() error {
		left := listNames(t, ns, corev1.SchemeGroupVersion.WithKind("Pod"))
		if len(left) == 0 {
			return nil
		}
		if err := sb.c.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(ns), client.GracePeriodSeconds(0)); err != nil {
			return err
		}
		return fmt.Errorf("%d pods left in %s", len(left), ns)
	})
	release()
	if err := sb.c.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	compactEtcd(t)
	deleted := time.Now()
	// kwok and the control plane still work through the deleted Pods for a while; the pause
	// keeps that work out of the next contender's measurement.
	settle(pods)
	t.Logf("purged %s: %d Pods and %d Events removed in %s, then %s until idle", ns, pods, events,
		deleted.Sub(start).Round(10*time.Millisecond), time.Since(deleted).Round(10*time.Millisecond))
}

// waitEventsWritten waits until the count of Events in ns has stopped growing (unchanged
// for a second, at most a minute): the scheduler writes its Events (one per Pod bound) some
// time after the binding, and with a purge of a few seconds a 3,000-Pod start's last 2,000
// still came after it, into the next measurement (the old purge, 20–29 s, outlasted them).
func waitEventsWritten(t testing.TB, ns string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	last := -1
	for time.Now().Before(deadline) {
		n := len(listNames(t, ns, corev1.SchemeGroupVersion.WithKind("Event")))
		if n == last {
			return
		}
		last = n
		time.Sleep(time.Second)
	}
}

// compactEtcd compacts the sandbox's etcd to its current revision and defragments it, so
// every measurement starts on a store of the same size. Without it each start of 3,000
// Pods left about 38 MB more history in etcd (the API server compacts every 5 minutes, to
// the revision of 5 minutes before), and the same floor start slowed from 24.7 s to 26–29 s
// over six starts in a row, its Pod creates waiting on etcd 51 ms at first, 57–65 ms later.
func compactEtcd(t testing.TB) {
	t.Helper()
	var status struct {
		Header struct {
			Revision string `json:"revision"`
		} `json:"header"`
	}
	if err := json.Unmarshal(etcdCall(t, "/v3/maintenance/status", "{}"), &status); err != nil || status.Header.Revision == "" {
		t.Fatalf("etcd's revision: %+v (%v)", status, err)
	}
	etcdCall(t, "/v3/kv/compaction", fmt.Sprintf(`{"revision":%q,"physical":true}`, status.Header.Revision))
	etcdCall(t, "/v3/maintenance/defragment", "{}")
}

// etcdRegistryPrefix is where the sandbox's API server keeps objects in etcd (its default
// --etcd-prefix): a namespaced object of resource r is /registry/r/<namespace>/<name>.
const etcdRegistryPrefix = "/registry/"

// deleteInEtcd removes every object of resource (the API server's storage name: "pods",
// "events") in ns from etcd, one delete per key from floorWorkers goroutines, and returns how
// many there were. The API server learns of each through its etcd watch, as of a delete by
// another API server, and sends every watcher (the scheduler, kwok, kube-controller-manager,
// the controller) a DELETED event; what it skips is the API request per object: 3,000 Pods
// deleted through the API, one request each from 16 clients, took 14–29 s on these machines.
// (One range delete would be quicker still, but gives thousands of events one revision, which
// the API server never does itself.)
func deleteInEtcd(t testing.TB, resource, ns string) int {
	t.Helper()
	prefix := etcdRegistryPrefix + resource + "/" + ns + "/"
	// The prefix's range ends before the prefix with its last byte raised.
	end := prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	var keys struct {
		Kvs []struct {
			Key string `json:"key"`
		} `json:"kvs"`
	}
	if err := json.Unmarshal(etcdCall(t, "/v3/kv/range", fmt.Sprintf(`{"key":%q,"range_end":%q,"keys_only":true}`, b64(prefix), b64(end))), &keys); err != nil {
		t.Fatalf("listing %s in etcd: %v", prefix, err)
	}
	work := make(chan string)
	errs := make(chan error, floorWorkers)
	var wg sync.WaitGroup
	for range floorWorkers {
		wg.Go(func() {
			var first error
			for key := range work {
				if _, err := etcdPost("/v3/kv/deleterange", fmt.Sprintf(`{"key":%q}`, key)); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		})
	}
	for _, kv := range keys.Kvs {
		work <- kv.Key // base64 already, as the gateway gave it
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("deleting %s in etcd: %v", prefix, err)
		}
	}
	return len(keys.Kvs)
}

// etcdCall posts body to path of the sandbox etcd's JSON gateway and returns the answer
// (etcdPost), failing the test on an error.
func etcdCall(t testing.TB, path, body string) []byte {
	t.Helper()
	out, err := etcdPost(path, body)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// etcdClient keeps a connection per deleteInEtcd worker.
var etcdClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: floorWorkers}, Timeout: time.Minute}

// etcdPost posts body to path of the sandbox etcd's JSON gateway (/v3/..., which takes
// int64s as strings and bytes as base64) and returns the answer.
func etcdPost(path, body string) ([]byte, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, sb.etcdURL+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := etcdClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("etcd %s: %s %s", path, resp.Status, out)
	}
	return out, nil
}

// purgeFinalizer holds an owner that purgeNamespace deletes until its Pods are gone.
const purgeFinalizer = "bench.berth.dev/purge"

// ownerKinds are the kinds whose objects own the Pods of a measurement and whose controllers
// start nothing for an object being deleted. Jobs (P9's 100) are deleted orphaning their Pods.
var ownerKinds = []schema.GroupVersionKind{
	ecsv1alpha1.GroupVersion.WithKind("Service"), ecsv1alpha1.GroupVersion.WithKind("Task"),
	appsv1.SchemeGroupVersion.WithKind("Deployment"), appsv1.SchemeGroupVersion.WithKind("ReplicaSet"),
}

// holdOwners adds purgeFinalizer to every owner in ns and deletes them, and returns the func
// that removes the finalizer again. Deleting the owners orphaning their Pods, as the purge did
// before, made the garbage collector remove the owner reference from each of them, one PATCH
// at kube-controller-manager's QPS 20: after a purge of 3,000 task Pods it sent 1,269 PATCHes
// during the next contender's start (audit log), which took 31.5 s against 27.6 s after a
// purge of the floor's Pods (owned by a ConfigMap that is not deleted first).
func holdOwners(t testing.TB, ns string) (release func()) {
	t.Helper()
	ctx := context.Background()
	var held []*metav1.PartialObjectMetadata
	for _, gvk := range ownerKinds {
		for _, name := range listNames(t, ns, gvk) {
			obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
			obj.SetGroupVersionKind(gvk)
			patch := []byte(`[{"op":"add","path":"/metadata/finalizers/-","value":"` + purgeFinalizer + `"}]`)
			if err := sb.c.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, patch)); err != nil {
				// "finalizers/-" needs the list to exist.
				patch = []byte(`{"metadata":{"finalizers":["` + purgeFinalizer + `"]}}`)
				if err := sb.c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch)); err != nil {
					t.Fatalf("holding %s %s/%s: %v", gvk.Kind, ns, name, err)
				}
			}
			if err := sb.c.Delete(ctx, obj, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
				t.Fatalf("deleting %s %s/%s: %v", gvk.Kind, ns, name, err)
			}
			held = append(held, obj)
		}
	}
	return func() {
		t.Helper()
		for _, obj := range held {
			if err := sb.c.Get(ctx, client.ObjectKeyFromObject(obj), obj); apierrors.IsNotFound(err) {
				continue
			} else if err != nil {
				t.Fatalf("reading %s %s: %v", obj.Kind, obj.Name, err)
			}
			rest, err := json.Marshal(slices.DeleteFunc(obj.Finalizers, func(f string) bool { return f == purgeFinalizer }))
			if err != nil {
				t.Fatal(err)
			}
			patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":`+string(rest)+`}}`))
			if err := sb.c.Patch(ctx, obj, patch); err != nil && !apierrors.IsNotFound(err) {
				t.Fatalf("releasing %s %s: %v", obj.Kind, obj.Name, err)
			}
		}
	}
}

// listNames lists the names of the objects of kind gvk in ns.
func listNames(t testing.TB, ns string, gvk schema.GroupVersionKind) []string {
	t.Helper()
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := sb.c.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatalf("listing the %ss in %s: %v", gvk.Kind, ns, err)
	}
	names := make([]string, 0, len(list.Items))
	for _, o := range list.Items {
		names = append(names, o.Name)
	}
	return names
}

// purgeSettle is the longest pause after purgeNamespace removed 3,000 Pods or more; it is
// shorter for fewer (settleAfter).
const purgeSettle = 10 * time.Second

// settledIdle is the share of the machine's CPU time that must be idle over settleSample
// for the machine to count as settled after a purge: at rest the sandbox leaves about 90%
// idle (node leases, the controllers' resyncs); kwok, the scheduler and the garbage
// collector working through deleted Pods leave 30% or less.
const settledIdle, settleSample = 0.75, 500 * time.Millisecond

// settleAfter is the longest pause after purging n Pods: a second, and purgeSettle's share
// for n of 3,000, at most purgeSettle.
func settleAfter(n int) time.Duration {
	return min(purgeSettle, time.Second+time.Duration(n)*purgeSettle/3000)
}

// settle pauses after a purge of n Pods until the machine is idle again (settledIdle), at
// least a second and at most settleAfter(n): the control plane is usually done with 3,000
// deleted Pods in two or three seconds, and a fixed pause spent the rest of ten idle.
func settle(n int) {
	deadline := time.Now().Add(settleAfter(n))
	time.Sleep(time.Second)
	for time.Now().Before(deadline) {
		idle, err := idleShare(settleSample)
		if err != nil || idle >= settledIdle {
			return
		}
	}
}

// idleShare is the share of the machine's CPU time spent idle over d (all CPUs; time
// waiting for I/O is not idle).
func idleShare(d time.Duration) (float64, error) {
	before, err := procstat.Machine()
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	after, err := procstat.Machine()
	if err != nil {
		return 0, err
	}
	spent := after.Sub(before)
	if spent.Total <= 0 {
		return 0, fmt.Errorf("/proc/stat did not advance in %s", d)
	}
	return float64(spent.Idle) / float64(spent.Total), nil
}

// createAtOnce creates the objects newObj(i) returns for i in [0, n) with floorWorkers
// creators sharing one client with the controller's limits.
func createAtOnce(t testing.TB, n int, userAgent string, newObj func(i int) client.Object) {
	t.Helper()
	atOnce(t, n, userAgent, controllerQPS, func(ctx context.Context, c client.Client, i int) error { return c.Create(ctx, newObj(i)) })
}

// atOnce calls do(i) for i in [0, n) from floorWorkers goroutines sharing one client limited
// to qps (burst twice it), and fails t with every error do returned.
func atOnce(t testing.TB, n int, userAgent string, qps int, do func(ctx context.Context, c client.Client, i int) error) {
	t.Helper()
	cfg := rest.CopyConfig(sb.cfg)
	cfg.QPS, cfg.Burst, cfg.UserAgent = float32(qps), 2*qps, userAgent
	c, err := client.New(cfg, client.Options{Scheme: sb.c.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range floorWorkers {
		wg.Go(func() {
			for i := range work {
				if err := do(context.Background(), c, i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}
