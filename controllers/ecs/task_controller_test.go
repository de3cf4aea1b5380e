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

package ecs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs/revisions"
	"github.com/berth-dev/berth/internal/statuspace"
	"github.com/berth-dev/berth/internal/tasks"
	"github.com/berth-dev/berth/internal/testutil/ecstest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// taskNamespace is a namespace with the "web" family at revision 1 (one essential container
// "web" and a non-essential "log") and one node, n-<ns> in zone-a.
func taskNamespace(t *testing.T) (ns, node string) {
	t.Helper()
	ns = newNamespace(t)
	td := newTaskDefinition(ns, "web", "registry.example/web:v1")
	td.Spec.ContainerDefinitions = append(td.Spec.ContainerDefinitions,
		ecsv1alpha1.ContainerDefinition{Name: "log", Image: "registry.example/log:v1", Essential: ptr.To(false)})
	if err := k8s.Create(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	ecstest.WaitRevision(t, k8s, ns, "web", 1)
	node = "n-" + ns
	createNodes(t, map[string]string{node: "zone-a"}, nil)
	return ns, node
}

func newTask(ns, name, taskDefinition string) *ecsv1alpha1.Task {
	return &ecsv1alpha1.Task{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       ecsv1alpha1.TaskSpec{TaskDefinition: taskDefinition},
	}
}

func createTask(t *testing.T, task *ecsv1alpha1.Task) {
	t.Helper()
	if err := k8s.Create(context.Background(), task); err != nil {
		t.Fatal(err)
	}
}

func getTask(t *testing.T, ns, name string) *ecsv1alpha1.Task {
	t.Helper()
	task := &ecsv1alpha1.Task{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, task); err != nil {
		t.Fatal(err)
	}
	return task
}

// waitTask waits until the Task's status, for its current generation, passes check.
func waitTask(t *testing.T, ns, name string, check func(*ecsv1alpha1.Task) error) *ecsv1alpha1.Task {
	t.Helper()
	var task *ecsv1alpha1.Task
	kubetest.Eventually(t, waitFor, func() error {
		task = getTask(t, ns, name)
		if task.Status.ObservedGeneration != task.Generation {
			return fmt.Errorf("status of generation %d, want %d", task.Status.ObservedGeneration, task.Generation)
		}
		if err := check(task); err != nil {
			return fmt.Errorf("%w; status %+v", err, task.Status)
		}
		return nil
	})
	return task
}

// lastStatus is a waitTask check for a lifecycle state.
func lastStatus(want ecsv1alpha1.TaskState) func(*ecsv1alpha1.Task) error {
	return func(task *ecsv1alpha1.Task) error {
		if task.Status.LastStatus != want {
			return fmt.Errorf("lastStatus %q, want %q", task.Status.LastStatus, want)
		}
		return nil
	}
}

// waitTaskPod waits for the task's Pod.
func waitTaskPod(t *testing.T, ns, name string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	kubetest.Eventually(t, waitFor, func() error {
		return k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, pod)
	})
	return pod
}

// bindTaskPod plays the scheduler for one task Pod: bound to node, not running yet.
func bindTaskPod(t *testing.T, pod *corev1.Pod, node string) {
	t.Helper()
	if err := k8s.SubResource("binding").Create(context.Background(), pod, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}); err != nil {
		t.Fatal(err)
	}
}

// bindAndRun plays the scheduler and kubelet for one task Pod: bound to node, both
// containers running and ready.
func bindAndRun(t *testing.T, pod *corev1.Pod, node string) {
	t.Helper()
	bindTaskPod(t, pod, node)
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(pod), pod); err != nil {
		t.Fatal(err)
	}
	kubetest.SetPodStatus(k8s, pod, true, false)
}

// setContainers changes the task Pod's container statuses (and phase, when not empty), as
// the kubelet reports them.
func setContainers(t *testing.T, pod *corev1.Pod, phase corev1.PodPhase, change func(name string, cs *corev1.ContainerStatus)) {
	t.Helper()
	kubetest.Eventually(t, waitFor, func() error {
		cur := &corev1.Pod{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(pod), cur); err != nil {
			return err
		}
		for i := range cur.Status.ContainerStatuses {
			change(cur.Status.ContainerStatuses[i].Name, &cur.Status.ContainerStatuses[i])
		}
		if phase != "" {
			cur.Status.Phase = phase
		}
		return k8s.Status().Update(context.Background(), cur)
	})
}

// exitWith returns a setContainers change making container name exit with code.
func exitWith(name string, code int32) func(string, *corev1.ContainerStatus) {
	return func(n string, cs *corev1.ContainerStatus) {
		if n != name {
			return
		}
		now := metav1.NewTime(time.Now().Truncate(time.Second))
		reason := "Completed"
		if code != 0 {
			reason = "Error"
		}
		cs.Ready, cs.Started = false, ptr.To(false)
		cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason, StartedAt: now, FinishedAt: now}}
	}
}

// finishDeletion plays the kubelet once the containers stopped: the Pod goes (grace 0).
func finishDeletion(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	if err := k8s.Delete(context.Background(), pod, client.GracePeriodSeconds(0)); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}

// kstatusOf is the kstatus verdict on a Task, as Flux, kubectl wait tools and Argo CD read it.
func kstatusOf(t *testing.T, task *ecsv1alpha1.Task) kstatus.Status {
	t.Helper()
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(task)
	if err != nil {
		t.Fatal(err)
	}
	res, err := kstatus.Compute(&unstructured.Unstructured{Object: obj})
	if err != nil {
		t.Fatal(err)
	}
	return res.Status
}

// conditionReason returns the reason of a Task condition, "" when absent; with its status.
func conditionReason(task *ecsv1alpha1.Task, typ string) (metav1.ConditionStatus, string) {
	for _, c := range task.Status.Conditions {
		if c.Type == typ {
			return c.Status, c.Reason
		}
	}
	return "", ""
}

// taskEventReasons lists the reasons of the Kubernetes Events about a Task.
func taskEventReasons(t *testing.T, ns, name string) []string {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Kind == "Task" && e.Regarding.Name == name {
			out = append(out, e.Reason)
		}
	}
	return out
}

func TestTaskExitsZero(t *testing.T) {
	ns, node := taskNamespace(t)
	createTask(t, newTask(ns, "batch", "web"))

	task := waitTask(t, ns, "batch", lastStatus(ecsv1alpha1.TaskProvisioning))
	if task.Status.TaskDefinition != "web:1" || task.Status.PodName != "batch" || task.Status.Group != "family:web" {
		t.Errorf("started task: taskDefinition %q podName %q group %q, want web:1, batch, family:web",
			task.Status.TaskDefinition, task.Status.PodName, task.Status.Group)
	}
	if kstatusOf(t, task) != kstatus.InProgressStatus {
		t.Errorf("kstatus of a PROVISIONING task = %s, want InProgress", kstatusOf(t, task))
	}
	pod := waitTaskPod(t, ns, "batch")
	bindAndRun(t, pod, node)
	task = waitTask(t, ns, "batch", lastStatus(ecsv1alpha1.TaskRunning))
	if task.Status.NodeName != node || task.Status.AvailabilityZone != "zone-a" || task.Status.StartedAt == nil {
		t.Errorf("running task: node %q zone %q startedAt %v", task.Status.NodeName, task.Status.AvailabilityZone, task.Status.StartedAt)
	}

	setContainers(t, pod, corev1.PodSucceeded, func(name string, cs *corev1.ContainerStatus) { exitWith(name, 0)(name, cs) })
	task = waitTask(t, ns, "batch", lastStatus(ecsv1alpha1.TaskStopped))
	st := task.Status
	if st.StopCode != ecsv1alpha1.StopCodeEssentialContainerExited || st.ExitCode == nil || *st.ExitCode != 0 || st.StoppedAt == nil {
		t.Errorf("stopped task: stopCode %q exitCode %v stoppedAt %v, want EssentialContainerExited with 0", st.StopCode, st.ExitCode, st.StoppedAt)
	}
	if s, r := conditionReason(task, ecsv1alpha1.ReadyCondition); s != metav1.ConditionTrue || r != ecsv1alpha1.TaskCompletedReason {
		t.Errorf("Ready = %s/%s, want True/TaskCompleted", s, r)
	}
	if got := kstatusOf(t, task); got != kstatus.CurrentStatus {
		t.Errorf("kstatus of a task that exited 0 = %s, want Current", got)
	}
	// A Pod that ended by itself is kept, with its logs, for the retention.
	kept := &corev1.Pod{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(pod), kept); err != nil || kept.DeletionTimestamp != nil {
		t.Errorf("the ended Pod is gone or going (%v); it should be kept until the retention ends", err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		// Only the stop: a start costs no Event writes (P9w's budget); status tells it.
		if reasons := taskEventReasons(t, ns, "batch"); !slices.Equal(reasons, []string{"TaskStopped"}) {
			return fmt.Errorf("events %v, want [TaskStopped]", reasons)
		}
		return nil
	})
}

func TestTaskEssentialExitStopsTask(t *testing.T) {
	ns, node := taskNamespace(t)
	createTask(t, newTask(ns, "batch", "web:1"))
	pod := waitTaskPod(t, ns, "batch")
	bindAndRun(t, pod, node)
	waitTask(t, ns, "batch", lastStatus(ecsv1alpha1.TaskRunning))

	// The essential container exits 1 while the non-essential "log" runs on: the task stops.
	setContainers(t, pod, "", exitWith("web", 1))
	kubetest.Eventually(t, waitFor, func() error {
		cur := &corev1.Pod{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(pod), cur); err != nil {
			return err
		}
		if cur.DeletionTimestamp == nil {
			return errors.New("the task's Pod is not being deleted")
		}
		return nil
	})
	// The Pod is going (the kubelet would stop "log" now); the status already holds the exit.
	task := getTask(t, ns, "batch")
	st := task.Status
	if st.StopCode != ecsv1alpha1.StopCodeEssentialContainerExited || st.ExitCode == nil || *st.ExitCode != 1 ||
		st.StoppedReason != tasks.ReasonEssentialExited || st.DesiredStatus != ecsv1alpha1.DesiredStopped {
		t.Fatalf("status while the Pod is deleted: %+v; want EssentialContainerExited, exit code 1, desired STOPPED", st)
	}
	web := st.Containers[slices.IndexFunc(st.Containers, func(c ecsv1alpha1.TaskContainer) bool { return c.Name == "web" })]
	if web.ExitCode == nil || *web.ExitCode != 1 || web.LastStatus != ecsv1alpha1.TaskStopped {
		t.Errorf("web = %+v, want STOPPED with exit code 1", web)
	}
	task = waitTask(t, ns, "batch", lastStatus(ecsv1alpha1.TaskStopping))
	if kstatusOf(t, task) != kstatus.InProgressStatus {
		t.Errorf("kstatus of a STOPPING task = %s, want InProgress", kstatusOf(t, task))
	}

	finishDeletion(t, pod)
	task = waitTask(t, ns, "batch", lastStatus(ecsv1alpha1.TaskStopped))
	if s, r := conditionReason(task, ecsv1alpha1.StalledCondition); s != metav1.ConditionTrue || r != string(ecsv1alpha1.StopCodeEssentialContainerExited) {
		t.Errorf("Stalled = %s/%s, want True/EssentialContainerExited", s, r)
	}
	if got := kstatusOf(t, task); got != kstatus.FailedStatus {
		t.Errorf("kstatus of a task whose essential container failed = %s, want Failed", got)
	}
	if *task.Status.ExitCode != 1 {
		t.Errorf("exit code %d after the Pod went, want 1 kept", *task.Status.ExitCode)
	}
}

func TestTaskOverrides(t *testing.T) {
	ns, _ := taskNamespace(t)
	task := newTask(ns, "migrate", "web")
	task.Spec.Group = "migrations"
	task.Spec.StartedBy = "ci"
	task.Spec.Tags = []ecsv1alpha1.Tag{{Key: "team", Value: "a"}, {Key: "cost center", Value: "42"}}
	task.Spec.Overrides = &ecsv1alpha1.TaskOverride{
		CPU: "1024", Memory: "2048", TaskRoleServiceAccountName: "migrator",
		ContainerOverrides: []ecsv1alpha1.ContainerOverride{{
			Name: "web", Command: []string{"migrate", "--up"}, Memory: ptr.To[int32](1024),
			Environment: []ecsv1alpha1.KeyValuePair{{Name: "MODE", Value: "batch"}},
		}},
	}
	createTask(t, task)
	pod := waitTaskPod(t, ns, "migrate")

	web := pod.Spec.Containers[slices.IndexFunc(pod.Spec.Containers, func(c corev1.Container) bool { return c.Name == "web" })]
	if !slices.Equal(web.Args, []string{"migrate", "--up"}) {
		t.Errorf("web args %v, want the override's command", web.Args)
	}
	if !slices.ContainsFunc(web.Env, func(e corev1.EnvVar) bool { return e.Name == "MODE" && e.Value == "batch" }) {
		t.Errorf("web env %v lacks MODE=batch", web.Env)
	}
	if got := web.Resources.Limits.Memory(); got.Cmp(resource.MustParse("1Gi")) != 0 {
		t.Errorf("web memory limit %s, want 1Gi", got)
	}
	if pod.Spec.Resources == nil || pod.Spec.Resources.Limits.Cpu().Cmp(resource.MustParse("1")) != 0 {
		t.Errorf("pod resources %v, want the overridden task cpu 1", pod.Spec.Resources)
	}
	if pod.Spec.ServiceAccountName != "migrator" {
		t.Errorf("serviceAccountName %q, want migrator", pod.Spec.ServiceAccountName)
	}
	if pod.Labels[ecsv1alpha1.TaskLabel] != "migrate" || pod.Labels[ecsv1alpha1.TaskGroupLabel] != "migrations" || pod.Labels["team"] != "a" {
		t.Errorf("labels %v, want the task, group and tag labels", pod.Labels)
	}
	if pod.Annotations[tasks.AnnotationStartedBy] != "ci" || !strings.Contains(pod.Annotations[tasks.AnnotationTags], "cost center") {
		t.Errorf("annotations %v, want startedBy and the tag that is not a label key", pod.Annotations)
	}
	if _, ok := pod.Labels[ecsv1alpha1.ServiceLabel]; ok {
		t.Errorf("a standalone task's Pod carries the Service label: %v", pod.Labels)
	}

	// The revision and overrides are resolved once: the schema refuses to change them.
	// A status write of the controller between the read and the update is a conflict, not
	// the answer: read again.
	var err error
	for range 10 {
		cur := getTask(t, ns, "migrate")
		cur.Spec.Overrides.ContainerOverrides[0].Command = []string{"rollback"}
		if err = k8s.Update(context.Background(), cur); !apierrors.IsConflict(err) {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("changing the overrides: %v, want an immutability error", err)
	}
}

func TestTaskStopTask(t *testing.T) {
	ns, node := taskNamespace(t)
	createTask(t, newTask(ns, "server", "web"))
	pod := waitTaskPod(t, ns, "server")
	bindAndRun(t, pod, node)
	waitTask(t, ns, "server", lastStatus(ecsv1alpha1.TaskRunning))

	kubetest.Eventually(t, waitFor, func() error {
		task := getTask(t, ns, "server")
		task.Spec.DesiredStatus, task.Spec.StopReason = ecsv1alpha1.DesiredStopped, "scaling down the batch fleet"
		return k8s.Update(context.Background(), task)
	})
	task := waitTask(t, ns, "server", lastStatus(ecsv1alpha1.TaskStopping))
	if task.Status.StopCode != ecsv1alpha1.StopCodeUserInitiated || task.Status.StoppedReason != "scaling down the batch fleet" {
		t.Errorf("stopping task: %s %q, want UserInitiated with the spec's reason", task.Status.StopCode, task.Status.StoppedReason)
	}
	// SIGTERM ends "web" with 143; the stop code stays the user's.
	setContainers(t, pod, "", exitWith("web", 143))
	finishDeletion(t, pod)
	task = waitTask(t, ns, "server", lastStatus(ecsv1alpha1.TaskStopped))
	if task.Status.StopCode != ecsv1alpha1.StopCodeUserInitiated || task.Status.ExitCode != nil {
		t.Errorf("stopped task: %s exit %v, want UserInitiated without a task exit code", task.Status.StopCode, task.Status.ExitCode)
	}
	if s, r := conditionReason(task, ecsv1alpha1.ReadyCondition); s != metav1.ConditionTrue || r != ecsv1alpha1.TaskStoppedOnRequestReason {
		t.Errorf("Ready = %s/%s, want True/TaskStoppedOnRequest", s, r)
	}

	task.Spec.DesiredStatus, task.Spec.StopReason = ecsv1alpha1.DesiredRunning, ""
	if err := k8s.Update(context.Background(), task); err == nil || !strings.Contains(err.Error(), "cannot go back from STOPPED") {
		t.Errorf("restarting a stopped task: %v, want refused", err)
	}
}

func TestTaskRetention(t *testing.T) {
	ns, node := taskNamespace(t)
	task := newTask(ns, "short", "web")
	task.Spec.TTLSecondsAfterStopped = ptr.To[int32](2)
	createTask(t, task)
	pod := waitTaskPod(t, ns, "short")
	bindAndRun(t, pod, node)
	setContainers(t, pod, corev1.PodSucceeded, func(name string, cs *corev1.ContainerStatus) { exitWith(name, 0)(name, cs) })
	waitTask(t, ns, "short", lastStatus(ecsv1alpha1.TaskStopped))

	kubetest.Eventually(t, waitFor, func() error {
		err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "short"}, &ecsv1alpha1.Task{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("the Task is still there (%w)", err)
		}
		cur := &corev1.Pod{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(pod), cur); !apierrors.IsNotFound(err) && cur.DeletionTimestamp == nil {
			return fmt.Errorf("the Pod is still there and not being deleted (%w)", err)
		}
		return nil
	})
}

func TestTaskKeepsItsRevision(t *testing.T) {
	ns, node := taskNamespace(t)
	createTask(t, newTask(ns, "batch", "web"))
	pod := waitTaskPod(t, ns, "batch")
	waitTask(t, ns, "batch", lastStatus(ecsv1alpha1.TaskProvisioning))

	// A new revision, then the one the task runs deleted.
	ecstest.SetImage(t, k8s, ns, "web", "registry.example/web:v2")
	ecstest.WaitRevision(t, k8s, ns, "web", 2)
	cr := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: revisions.Name("web", 1)}}
	if err := k8s.Delete(context.Background(), cr); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}

	bindAndRun(t, pod, node)
	task := waitTask(t, ns, "batch", lastStatus(ecsv1alpha1.TaskRunning))
	if task.Status.TaskDefinition != "web:1" {
		t.Errorf("taskDefinition %q, want web:1 kept", task.Status.TaskDefinition)
	}
	cur := &corev1.Pod{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(pod), cur); err != nil {
		t.Fatal(err)
	}
	if cur.UID != pod.UID || cur.Spec.Containers[0].Image != "registry.example/web:v1" {
		t.Errorf("the task's Pod changed: uid %s→%s, image %s", pod.UID, cur.UID, cur.Spec.Containers[0].Image)
	}
}

func TestTaskWaitsForItsTaskDefinition(t *testing.T) {
	ns := newNamespace(t)
	createTask(t, newTask(ns, "early", "later"))
	task := waitTask(t, ns, "early", func(task *ecsv1alpha1.Task) error {
		if s, r := conditionReason(task, ecsv1alpha1.StalledCondition); s != metav1.ConditionTrue || r != ecsv1alpha1.TaskDefinitionNotFoundReason {
			return fmt.Errorf("Stalled = %s/%s, want True/TaskDefinitionNotFound", s, r)
		}
		return nil
	})
	if task.Status.LastStatus != "" || task.Status.TaskDefinition != "" {
		t.Errorf("a task without its family has lastStatus %q taskDefinition %q", task.Status.LastStatus, task.Status.TaskDefinition)
	}
	if err := k8s.Create(context.Background(), newTaskDefinition(ns, "later", "registry.example/later:v1")); err != nil {
		t.Fatal(err)
	}
	task = waitTask(t, ns, "early", lastStatus(ecsv1alpha1.TaskProvisioning))
	if task.Status.TaskDefinition != "later:1" {
		t.Errorf("taskDefinition %q, want later:1", task.Status.TaskDefinition)
	}
	if s, _ := conditionReason(task, ecsv1alpha1.StalledCondition); s != "" {
		t.Errorf("Stalled is still present once the task started")
	}
}

func TestTaskImagePullFailure(t *testing.T) {
	ns, node := taskNamespace(t)
	createTask(t, newTask(ns, "nopull", "web"))
	pod := waitTaskPod(t, ns, "nopull")
	bindAndRun(t, pod, node)
	const msg = `failed to pull and unpack image "registry.example/web:v1": not found`
	setContainers(t, pod, corev1.PodPending, func(name string, cs *corev1.ContainerStatus) {
		if name == "web" {
			cs.Ready, cs.Started = false, ptr.To(false)
			cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: msg}}
		}
	})
	task := waitTask(t, ns, "nopull", lastStatus(ecsv1alpha1.TaskStopping))
	if task.Status.StopCode != ecsv1alpha1.StopCodeTaskFailedToStart || task.Status.StoppedReason != "CannotPullContainerError: "+msg {
		t.Errorf("stop %s %q, want TaskFailedToStart with CannotPullContainerError naming the image", task.Status.StopCode, task.Status.StoppedReason)
	}
	finishDeletion(t, pod)
	task = waitTask(t, ns, "nopull", lastStatus(ecsv1alpha1.TaskStopped))
	if got := kstatusOf(t, task); got != kstatus.FailedStatus {
		t.Errorf("kstatus of a task that failed to start = %s, want Failed", got)
	}
}

func TestTaskInvalidOverrideFailsToStart(t *testing.T) {
	ns, _ := taskNamespace(t)
	task := newTask(ns, "toobig", "web")
	task.Spec.Overrides = &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{{Name: "worker", Command: []string{"x"}}}}
	createTask(t, task)
	task = waitTask(t, ns, "toobig", lastStatus(ecsv1alpha1.TaskStopped))
	if task.Status.StopCode != ecsv1alpha1.StopCodeTaskFailedToStart || !strings.Contains(task.Status.StoppedReason, `no container "worker"`) {
		t.Errorf("stop %s %q, want TaskFailedToStart naming the unknown container", task.Status.StopCode, task.Status.StoppedReason)
	}
	if s, r := conditionReason(task, ecsv1alpha1.StalledCondition); s != metav1.ConditionTrue || r != ecsv1alpha1.InvalidTaskDefinitionReason {
		t.Errorf("Stalled = %s/%s, want True/InvalidTaskDefinition", s, r)
	}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "toobig"}, &corev1.Pod{}); !apierrors.IsNotFound(err) {
		t.Errorf("a task that cannot run got a Pod (%v)", err)
	}
}

func TestTaskPullCredentials(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	if err := k8s.Create(ctx, newTaskDefinition(ns, "job", testRegistryHost+"/"+ns+"/job:1")); err != nil {
		t.Fatal(err)
	}
	ecstest.WaitRevision(t, k8s, ns, "job", 1)
	createTask(t, newTask(ns, "once", "job"))

	// No Service uses the family: the Task alone needs the pull Secret its Pod lists, and
	// its Pod is created only once the Secret exists (its first pull would fail otherwise).
	pod := waitTaskPod(t, ns, "once")
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: testPullSecret}, &corev1.Secret{}); err != nil {
		t.Errorf("the task's Pod exists before its pull Secret: %v", err)
	}
	if len(pod.Spec.ImagePullSecrets) != 1 || pod.Spec.ImagePullSecrets[0].Name != testPullSecret {
		t.Errorf("imagePullSecrets = %+v, want %s", pod.Spec.ImagePullSecrets, testPullSecret)
	}

	// Once the task stopped, nothing needs it any more.
	kubetest.Eventually(t, waitFor, func() error {
		task := getTask(t, ns, "once")
		task.Spec.DesiredStatus = ecsv1alpha1.DesiredStopped
		return k8s.Update(ctx, task)
	})
	waitTask(t, ns, "once", lastStatus(ecsv1alpha1.TaskStopped))
	kubetest.Eventually(t, waitFor, func() error {
		err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: testPullSecret}, &corev1.Secret{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("the pull Secret is still there (%w)", err)
		}
		return nil
	})
}

// TestTaskProgressPaced checks the pacing of a Task's progress before RUNNING
// (statuspace.TaskProgressInterval): a task whose Pod runs within it goes from PROVISIONING
// to RUNNING in two status writes, and one whose Pod stays bound and not running reports
// PENDING once that time has passed, with no further change to bring a pass.
func TestTaskProgressPaced(t *testing.T) {
	ns, node := taskNamespace(t)
	ctx := context.Background()
	wc, err := client.NewWithWatch(k8sConfig, client.Options{Scheme: k8s.Scheme()})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("runs at once: no PENDING", func(t *testing.T) {
		w, err := wc.Watch(ctx, &ecsv1alpha1.TaskList{}, client.InNamespace(ns), client.MatchingFields{"metadata.name": "quick"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		createTask(t, newTask(ns, "quick", "web"))
		task := waitTask(t, ns, "quick", lastStatus(ecsv1alpha1.TaskProvisioning))
		bindAndRun(t, waitTaskPod(t, ns, "quick"), node)
		ranAt := time.Now()
		waitTask(t, ns, "quick", lastStatus(ecsv1alpha1.TaskRunning))
		var seen []ecsv1alpha1.TaskState
		timeout := time.After(waitFor)
		for len(seen) == 0 || seen[len(seen)-1] != ecsv1alpha1.TaskRunning {
			select {
			case ev := <-w.ResultChan():
				if tk, ok := ev.Object.(*ecsv1alpha1.Task); ok && (len(seen) == 0 || seen[len(seen)-1] != tk.Status.LastStatus) {
					seen = append(seen, tk.Status.LastStatus)
				}
			case <-timeout:
				t.Fatalf("the watch never showed RUNNING: %v", seen)
			}
		}
		// The run came well within the interval (a second to spare) unless this machine
		// stalled between the Pod's creation and the test's bind: only then may PENDING
		// have been due.
		if ranAt.Before(task.Status.CreatedAt.Add(statuspace.TaskProgressInterval-time.Second)) && slices.Contains(seen, ecsv1alpha1.TaskPending) {
			t.Errorf("lastStatus went %v; a Pod that ran %s after its creation should skip PENDING",
				seen, ranAt.Sub(task.Status.CreatedAt.Time).Round(time.Millisecond))
		}
	})

	t.Run("stays bound: PENDING after the interval", func(t *testing.T) {
		createTask(t, newTask(ns, "slow", "web"))
		waitTask(t, ns, "slow", lastStatus(ecsv1alpha1.TaskProvisioning))
		bindTaskPod(t, waitTaskPod(t, ns, "slow"), node)
		task := waitTask(t, ns, "slow", lastStatus(ecsv1alpha1.TaskPending))
		if task.Status.NodeName != node {
			t.Errorf("PENDING task on node %q, want %s", task.Status.NodeName, node)
		}
		// The status write's time (managedFields, whole seconds) is no earlier than the
		// interval after the Pod's creation.
		var wrote time.Time
		for _, mf := range task.ManagedFields {
			if mf.Subresource == "status" && mf.Time != nil && mf.Time.After(wrote) {
				wrote = mf.Time.Time
			}
		}
		if due := task.Status.CreatedAt.Add(statuspace.TaskProgressInterval); wrote.Before(due) {
			t.Errorf("PENDING written at %s, before %s (the Pod's creation %s and the interval)", wrote, due, task.Status.CreatedAt)
		}
	})
}
