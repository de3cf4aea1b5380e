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

package tasks

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/taskdef"
)

var t0 = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

// podOpt changes a test Pod.
type podOpt func(*corev1.Pod)

// pod is a scheduled task Pod with containers web (essential) and log (not essential),
// both running and ready, unless opts say otherwise.
func pod(opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-abc-x", Annotations: map[string]string{taskdef.AnnotationEssentialContainers: "web"}},
		Spec: corev1.PodSpec{
			NodeName:      "n1",
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "web"}, {Name: "log"}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: t0},
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0.Add(5 * time.Second))},
			},
			ContainerStatuses: []corev1.ContainerStatus{running("web", true), running("log", true)},
		},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func running(name string, ready bool) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Ready: ready, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: t0}}}
}

func terminated(name string, code int32, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}}
}

func waiting(name, reason, message string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}}}
}

func withStatus(cs ...corev1.ContainerStatus) podOpt {
	return func(p *corev1.Pod) { p.Status.ContainerStatuses = cs }
}

func notReadyNeverReady(p *corev1.Pod) {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			p.Status.Conditions[i].Status = corev1.ConditionFalse
			p.Status.Conditions[i].LastTransitionTime = t0
		}
	}
}

func notReadyAfterReady(p *corev1.Pod) {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			p.Status.Conditions[i].Status = corev1.ConditionFalse
			p.Status.Conditions[i].LastTransitionTime = metav1.NewTime(t0.Add(time.Minute))
		}
	}
}

func withSidecar(restartEnabled bool) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.InitContainers = []corev1.Container{{Name: "proxy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}}
		p.Annotations[taskdef.AnnotationEssentialContainers] = "proxy,web"
		if restartEnabled {
			p.Annotations[AnnotationRestartEnabled] = "proxy"
		}
	}
}

// observeCase is a task Pod and what Observe must say about it.
type observeCase struct {
	name string
	pod  *corev1.Pod
	want Observation
}

func TestObserve(t *testing.T) {
	for _, tc := range observeCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := Observe(tc.pod)
			if !equalObservation(got, tc.want) {
				t.Errorf("Observe() = %+v (exit %+v)\nwant       %+v (exit %+v)", got, got.Exit, tc.want, tc.want.Exit)
			}
		})
	}
}

// observeCases are the cases of TestObserve, also run on the cached form of each Pod
// (TestForCacheKeepsWhatIsRead).
func observeCases() []observeCase {
	restartedSidecar := corev1.ContainerStatus{Name: "proxy", Ready: true, RestartCount: 1,
		State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error"}}}
	return []observeCase{
		{"running and ready", pod(), Observation{State: rollout.TaskRunning, Healthy: true, EverReady: true}},
		{"image not found", pod(notReadyNeverReady, withStatus(waiting("web", "ErrImagePull", `failed to pull and unpack image "127.0.0.1:5000/a/b:v1": not found`), running("log", true))),
			Observation{State: rollout.TaskStopped, ByTask: true, StopReason: `CannotPullContainerError: failed to pull and unpack image "127.0.0.1:5000/a/b:v1": not found`}},
		{"pull backing off, non-essential container", pod(notReadyNeverReady, withStatus(running("web", true), waiting("log", "ImagePullBackOff", ""))),
			Observation{State: rollout.TaskStopped, ByTask: true, StopReason: "CannotPullContainerError: ImagePullBackOff"}},
		{"container still creating", pod(notReadyNeverReady, withStatus(waiting("web", "ContainerCreating", ""), running("log", true))),
			Observation{State: rollout.TaskPending}},
		{"running, essential not ready", pod(withStatus(running("web", false), running("log", true)), notReadyNeverReady),
			Observation{State: rollout.TaskRunning}},
		{"non-essential not ready does not matter", pod(withStatus(running("web", true), running("log", false))),
			Observation{State: rollout.TaskRunning, Healthy: true, EverReady: true}},
		{"no node", pod(func(p *corev1.Pod) { p.Spec.NodeName = ""; p.Status = corev1.PodStatus{Phase: corev1.PodPending} }),
			Observation{State: rollout.TaskProvisioning}},
		{"unschedulable", pod(func(p *corev1.Pod) {
			p.Spec.NodeName = ""
			p.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
				Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: "0/6 nodes are available",
			}}}
		}), Observation{State: rollout.TaskProvisioning, Unschedulable: "0/6 nodes are available"}},
		{"scheduled, not started", pod(func(p *corev1.Pod) { p.Status = corev1.PodStatus{Phase: corev1.PodPending} }),
			Observation{State: rollout.TaskPending}},
		{"essential waiting", pod(withStatus(corev1.ContainerStatus{Name: "web", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}, running("log", true)), notReadyNeverReady),
			Observation{State: rollout.TaskPending}},
		{"essential exited never ready", pod(withStatus(terminated("web", 1, "Error"), running("log", true)), notReadyNeverReady),
			Observation{State: rollout.TaskStopped, ByTask: true, StopReason: ReasonEssentialExited, Exit: &ContainerExit{Container: "web", ExitCode: 1, Reason: "Error"}}},
		{"essential exited after ready", pod(withStatus(terminated("web", 0, "Completed"), running("log", true)), notReadyAfterReady),
			Observation{State: rollout.TaskStopped, ByTask: true, EverReady: true, StopReason: ReasonEssentialExited, Exit: &ContainerExit{Container: "web", ExitCode: 0, Reason: "Completed"}}},
		{"non-essential exited", pod(withStatus(running("web", true), terminated("log", 1, "Error"))),
			Observation{State: rollout.TaskRunning, Healthy: true, EverReady: true}},
		{"essential restarted by a pod-level policy", pod(func(p *corev1.Pod) {
			p.Spec.RestartPolicy = corev1.RestartPolicyAlways
			p.Status.ContainerStatuses[0].RestartCount = 1
			p.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}
		}), Observation{State: rollout.TaskStopped, ByTask: true, EverReady: true, StopReason: ReasonEssentialExited,
			Exit: &ContainerExit{Container: "web", ExitCode: 137, Reason: "OOMKilled", Restarted: true}}},
		{"restart-enabled essential restarted", pod(func(p *corev1.Pod) {
			p.Spec.RestartPolicy = corev1.RestartPolicyAlways
			p.Annotations[AnnotationRestartEnabled] = "web"
			p.Status.ContainerStatuses[0].RestartCount = 3
		}), Observation{State: rollout.TaskRunning, Healthy: true, EverReady: true}},
		{"restart-enabled essential exits with an ignored code", pod(func(p *corev1.Pod) {
			p.Annotations[AnnotationRestartEnabled] = "web"
			p.Spec.Containers[0].RestartPolicy = ptr.To(corev1.ContainerRestartPolicyNever)
			p.Spec.Containers[0].RestartPolicyRules = []corev1.ContainerRestartRule{{Action: corev1.ContainerRestartRuleActionRestart,
				ExitCodes: &corev1.ContainerRestartRuleOnExitCodes{Operator: corev1.ContainerRestartRuleOnExitCodesOpNotIn, Values: []int32{0}}}}
			p.Status.ContainerStatuses[0] = terminated("web", 0, "Completed")
		}), Observation{State: rollout.TaskStopped, ByTask: true, EverReady: true, StopReason: ReasonEssentialExited,
			Exit: &ContainerExit{Container: "web", ExitCode: 0, Reason: "Completed"}}},
		{"restart-enabled essential exits with a restarted code", pod(func(p *corev1.Pod) {
			p.Annotations[AnnotationRestartEnabled] = "web"
			p.Spec.Containers[0].RestartPolicy = ptr.To(corev1.ContainerRestartPolicyNever)
			p.Spec.Containers[0].RestartPolicyRules = []corev1.ContainerRestartRule{{Action: corev1.ContainerRestartRuleActionRestart,
				ExitCodes: &corev1.ContainerRestartRuleOnExitCodes{Operator: corev1.ContainerRestartRuleOnExitCodesOpNotIn, Values: []int32{0}}}}
			p.Status.ContainerStatuses[0] = terminated("web", 3, "Error")
		}), Observation{State: rollout.TaskPending, EverReady: true}},
		{"essential sidecar restarted", pod(withSidecar(false), func(p *corev1.Pod) {
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{restartedSidecar}
		}), Observation{State: rollout.TaskStopped, ByTask: true, EverReady: true, StopReason: ReasonEssentialExited,
			Exit: &ContainerExit{Container: "proxy", ExitCode: 2, Reason: "Error", Restarted: true}}},
		{"restart-enabled sidecar restarted", pod(withSidecar(true), func(p *corev1.Pod) {
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{restartedSidecar}
		}), Observation{State: rollout.TaskRunning, Healthy: true, EverReady: true}},
		{"essential sidecar not started", pod(withSidecar(false)), Observation{State: rollout.TaskPending, EverReady: true}},
		{"deleted", pod(func(p *corev1.Pod) { p.DeletionTimestamp = &t0 }), Observation{State: rollout.TaskStopping, EverReady: true}},
		{"deleted and terminal", pod(func(p *corev1.Pod) { p.DeletionTimestamp = &t0; p.Status.Phase = corev1.PodFailed }),
			Observation{State: rollout.TaskStopping, EverReady: true}},
		{"deleted by pod GC", pod(func(p *corev1.Pod) {
			p.DeletionTimestamp = &t0
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: "DisruptionTarget", Status: corev1.ConditionTrue, Reason: "DeletionByPodGC"})
		}), Observation{State: rollout.TaskStopping, StopReason: ReasonNodeLost, EverReady: true}},
		{"evicted", pod(func(p *corev1.Pod) {
			p.Status.Phase, p.Status.Reason, p.Status.Message = corev1.PodFailed, "Evicted", "The node was low on resource: memory."
		}), Observation{State: rollout.TaskStopped, StopReason: ReasonEvicted + ": The node was low on resource: memory.", EverReady: true}},
		{"preempted", pod(func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodFailed
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: "DisruptionTarget", Status: corev1.ConditionTrue, Reason: "PreemptionByScheduler"})
		}), Observation{State: rollout.TaskStopped, StopReason: ReasonPreempted, EverReady: true}},
		{"succeeded", pod(withStatus(terminated("web", 0, "Completed"), terminated("log", 0, "Completed")), func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodSucceeded
		}), Observation{State: rollout.TaskStopped, ByTask: true, EverReady: true, StopReason: ReasonEssentialExited, Exit: &ContainerExit{Container: "web", Reason: "Completed"}}},
		{"rejected by the kubelet", pod(func(p *corev1.Pod) {
			p.Status = corev1.PodStatus{Phase: corev1.PodFailed, Reason: "OutOfcpu", Message: "Node didn't have enough resource: cpu"}
		}), Observation{State: rollout.TaskStopped, ByTask: true, StopReason: ReasonFailedToStart + ": OutOfcpu: Node didn't have enough resource: cpu"}},
		{"init container failed", pod(func(p *corev1.Pod) {
			p.Status = corev1.PodStatus{Phase: corev1.PodFailed, InitContainerStatuses: []corev1.ContainerStatus{terminated("migrate", 2, "Error")}}
		}), Observation{State: rollout.TaskStopped, ByTask: true, StopReason: ReasonEssentialExited, Exit: &ContainerExit{Container: "migrate", ExitCode: 2, Reason: "Error"}}},
		{"no annotation: every container is essential", pod(func(p *corev1.Pod) {
			delete(p.Annotations, taskdef.AnnotationEssentialContainers)
			p.Status.ContainerStatuses[1] = terminated("log", 1, "Error")
		}), Observation{State: rollout.TaskStopped, ByTask: true, EverReady: true, StopReason: ReasonEssentialExited, Exit: &ContainerExit{Container: "log", ExitCode: 1, Reason: "Error"}}},
	}
}

func equalObservation(a, b Observation) bool {
	if (a.Exit == nil) != (b.Exit == nil) || (a.Exit != nil && *a.Exit != *b.Exit) {
		return false
	}
	a.Exit, b.Exit = nil, nil
	return a == b
}

func TestContainerExitString(t *testing.T) {
	for _, tc := range []struct {
		exit ContainerExit
		want string
	}{
		{ContainerExit{Container: "web", ExitCode: 1, Reason: "Error"}, "container web exited with code 1 (Error)"},
		{ContainerExit{Container: "web", ExitCode: 137, Reason: "OOMKilled", Restarted: true}, "container web exited with code 137 (OOMKilled) and was restarted"},
		{ContainerExit{Container: "web"}, "container web exited with code 0"},
	} {
		if got := tc.exit.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.exit, got, tc.want)
		}
	}
}
