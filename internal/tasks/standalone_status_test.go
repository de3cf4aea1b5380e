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
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// The times of the standalone task cases: t0 the Pod's creation, then its start, its
// containers' start and exit, and the pass.
var (
	podStart = metav1.NewTime(t0.Add(2 * time.Second))
	webStart = metav1.NewTime(t0.Add(10 * time.Second))
	webEnd   = metav1.NewTime(t0.Add(70 * time.Second))
	passAt   = t0.Add(90 * time.Second)
)

// standalonePod is a standalone task Pod (web essential, log not), both running and ready
// since webStart on node n1, unless opts say otherwise.
func standalonePod(opts ...podOpt) *corev1.Pod {
	p := pod(func(p *corev1.Pod) {
		p.Name, p.CreationTimestamp = "batch", t0
		p.Spec.Containers[0].Image, p.Spec.Containers[1].Image = "registry/app:v1", "fluent-bit"
		p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{}
		p.Spec.Containers[0].LivenessProbe = &corev1.Probe{}
		p.Status.StartTime = &podStart
		for i := range p.Status.ContainerStatuses {
			cs := &p.Status.ContainerStatuses[i]
			cs.State.Running.StartedAt, cs.Started = webStart, ptr.To(true)
		}
	})
	for _, o := range opts {
		o(p)
	}
	return p
}

func zoneNode(name, zone string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelTopologyZone: zone}}}
}

// exited makes a container of the Pod terminated with code, started at webStart and ended at
// webEnd.
func exited(name string, code int32, reason string) podOpt {
	return func(p *corev1.Pod) {
		for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
			for i := range list {
				if list[i].Name == name {
					list[i].Ready, list[i].Started = false, ptr.To(false)
					list[i].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
						ExitCode: code, Reason: reason, StartedAt: webStart, FinishedAt: webEnd,
					}}
				}
			}
		}
	}
}

func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }

func deleting(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(passAt)) }

// decided is a status in which the task had been RUNNING on n1 and must stop: code, reason
// and exit code recorded, its Pod being deleted.
func decided(code ecsv1alpha1.TaskStopCode, reason string, exit *int32) ecsv1alpha1.TaskStatus {
	return ecsv1alpha1.TaskStatus{
		LastStatus: ecsv1alpha1.TaskDeactivating, DesiredStatus: ecsv1alpha1.DesiredStopped,
		StopCode: code, StoppedReason: reason, ExitCode: exit, PodName: "batch", NodeName: "n1",
		StartedAt: &webStart, StoppingAt: &webEnd,
		Containers: []ecsv1alpha1.TaskContainer{{Name: "web", LastStatus: ecsv1alpha1.TaskStopped, ExitCode: exit}},
	}
}

// running is the status of a RUNNING task on n1.
func runningStatus() ecsv1alpha1.TaskStatus {
	return ecsv1alpha1.TaskStatus{LastStatus: ecsv1alpha1.TaskRunning, DesiredStatus: ecsv1alpha1.DesiredRunning,
		PodName: "batch", NodeName: "n1", StartedAt: &webStart}
}

// outcome is the part of a step each case pins; the cases that need more check it.
type outcome struct {
	Last      ecsv1alpha1.TaskState
	Desired   ecsv1alpha1.TaskDesiredStatus
	Code      ecsv1alpha1.TaskStopCode
	Reason    string
	Exit      *int32
	DeletePod bool
	Succeeded bool
	Failed    bool
}

func outcomeOf(s StandaloneStep) outcome {
	return outcome{
		Last: s.Status.LastStatus, Desired: s.Status.DesiredStatus, Code: s.Status.StopCode, Reason: s.Status.StoppedReason,
		Exit: s.Status.ExitCode, DeletePod: s.DeletePod,
		Succeeded: StandaloneSucceeded(&s.Status), Failed: StandaloneFailed(&s.Status),
	}
}

func TestObserveStandalone(t *testing.T) {
	const (
		desiredRun = ecsv1alpha1.DesiredRunning
		stopped    = ecsv1alpha1.DesiredStopped
		essential  = ecsv1alpha1.StopCodeEssentialContainerExited
		notStart   = ecsv1alpha1.StopCodeTaskFailedToStart
		user       = ecsv1alpha1.StopCodeUserInitiated
		cluster    = ecsv1alpha1.StopCodeTerminationNotice
	)
	pullMsg := `failed to pull and unpack image "registry/app:v1": not found`
	cases := []struct {
		name  string
		in    StandaloneObservation
		want  outcome
		check func(*testing.T, ecsv1alpha1.TaskStatus)
	}{
		{name: "no Pod yet", in: StandaloneObservation{},
			want: outcome{Last: ecsv1alpha1.TaskProvisioning, Desired: desiredRun}},
		{name: "not scheduled", in: StandaloneObservation{Pod: standalonePod(func(p *corev1.Pod) {
			p.Spec.NodeName, p.Status = "", corev1.PodStatus{Phase: corev1.PodPending}
		})}, want: outcome{Last: ecsv1alpha1.TaskProvisioning, Desired: desiredRun},
			check: func(t *testing.T, st ecsv1alpha1.TaskStatus) {
				t.Helper()
				if st.PodName != "batch" || st.CreatedAt == nil || !st.CreatedAt.Equal(&t0) {
					t.Errorf("podName %q createdAt %v, want batch at t0", st.PodName, st.CreatedAt)
				}
			}},
		{name: "pulling", in: StandaloneObservation{Pod: standalonePod(notReadyNeverReady,
			withStatus(waiting("web", "ContainerCreating", ""), waiting("log", "ContainerCreating", "")))},
			want: outcome{Last: ecsv1alpha1.TaskPending, Desired: desiredRun},
			check: func(t *testing.T, st ecsv1alpha1.TaskStatus) {
				t.Helper()
				if st.PullStartedAt == nil || !st.PullStartedAt.Equal(&podStart) || st.PullStoppedAt != nil {
					t.Errorf("pullStartedAt %v pullStoppedAt %v, want the Pod's start and none", st.PullStartedAt, st.PullStoppedAt)
				}
			}},
		{name: "startup check not passed", in: StandaloneObservation{Pod: standalonePod(notReadyNeverReady, func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].Started, p.Status.ContainerStatuses[0].Ready = ptr.To(false), false
		})}, want: outcome{Last: ecsv1alpha1.TaskActivating, Desired: desiredRun}},
		{name: "running", in: StandaloneObservation{Pod: standalonePod(), Node: zoneNode("n1", "zone-b"), Now: passAt},
			want: outcome{Last: ecsv1alpha1.TaskRunning, Desired: desiredRun},
			check: func(t *testing.T, st ecsv1alpha1.TaskStatus) {
				t.Helper()
				want := ecsv1alpha1.TaskStatus{
					LastStatus: ecsv1alpha1.TaskRunning, DesiredStatus: desiredRun, HealthStatus: ecsv1alpha1.HealthHealthy,
					PodName: "batch", NodeName: "n1", AvailabilityZone: "zone-b",
					CreatedAt: &t0, PullStartedAt: &podStart, PullStoppedAt: &webStart, StartedAt: &webStart,
					Containers: []ecsv1alpha1.TaskContainer{
						{Name: "web", Image: "registry/app:v1", Essential: true, LastStatus: ecsv1alpha1.TaskRunning, HealthStatus: ecsv1alpha1.HealthHealthy},
						{Name: "log", Image: "fluent-bit", LastStatus: ecsv1alpha1.TaskRunning, HealthStatus: ecsv1alpha1.HealthUnknown},
					},
				}
				if d := cmp.Diff(want, st); d != "" {
					t.Errorf("status (-want +got):\n%s", d)
				}
			}},
		{name: "essential container unhealthy", in: StandaloneObservation{Pod: standalonePod(notReadyAfterReady, func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].Ready = false
		})}, want: outcome{Last: ecsv1alpha1.TaskRunning, Desired: desiredRun},
			check: func(t *testing.T, st ecsv1alpha1.TaskStatus) {
				t.Helper()
				if st.HealthStatus != ecsv1alpha1.HealthUnhealthy {
					t.Errorf("healthStatus %s, want UNHEALTHY", st.HealthStatus)
				}
			}},
		{name: "essential exits 0, a sidecar that never exits runs on", in: StandaloneObservation{Status: runningStatus(),
			Pod: standalonePod(exited("web", 0, "Completed")), Now: passAt},
			want: outcome{Last: ecsv1alpha1.TaskDeactivating, Desired: stopped, Code: essential, Reason: ReasonEssentialExited, Exit: ptr.To[int32](0), DeletePod: true},
			check: func(t *testing.T, st ecsv1alpha1.TaskStatus) {
				t.Helper()
				web, log := st.Containers[0], st.Containers[1]
				if web.LastStatus != ecsv1alpha1.TaskStopped || web.ExitCode == nil || *web.ExitCode != 0 || web.Reason != "Completed" {
					t.Errorf("web = %+v, want STOPPED with exit code 0", web)
				}
				if log.LastStatus != ecsv1alpha1.TaskRunning || log.ExitCode != nil {
					t.Errorf("log = %+v, want RUNNING", log)
				}
				if st.StoppingAt == nil || !st.StoppingAt.Time.Equal(passAt) || st.StoppedAt != nil {
					t.Errorf("stoppingAt %v stoppedAt %v, want the pass and none", st.StoppingAt, st.StoppedAt)
				}
			}},
		{name: "essential exits 1, the non-essential runs on", in: StandaloneObservation{Status: runningStatus(),
			Pod: standalonePod(exited("web", 1, "Error"))},
			want: outcome{Last: ecsv1alpha1.TaskDeactivating, Desired: stopped, Code: essential, Reason: ReasonEssentialExited, Exit: ptr.To[int32](1), DeletePod: true, Failed: true}},
		{name: "non-essential exits", in: StandaloneObservation{Status: runningStatus(), Pod: standalonePod(exited("log", 1, "Error"))},
			want: outcome{Last: ecsv1alpha1.TaskRunning, Desired: desiredRun}},
		{name: "Pod being deleted after the decision", in: StandaloneObservation{
			Status: decided(essential, ReasonEssentialExited, ptr.To[int32](1)),
			Pod:    standalonePod(exited("web", 1, "Error"), deleting)},
			want: outcome{Last: ecsv1alpha1.TaskStopping, Desired: stopped, Code: essential, Reason: ReasonEssentialExited, Exit: ptr.To[int32](1), Failed: true}},
		{name: "every container stopped, Pod still there", in: StandaloneObservation{
			Status: decided(essential, ReasonEssentialExited, ptr.To[int32](1)),
			Pod:    standalonePod(exited("web", 1, "Error"), exited("log", 143, "Error"), deleting)},
			want: outcome{Last: ecsv1alpha1.TaskDeprovisioning, Desired: stopped, Code: essential, Reason: ReasonEssentialExited, Exit: ptr.To[int32](1), Failed: true},
			check: func(t *testing.T, st ecsv1alpha1.TaskStatus) {
				t.Helper()
				if c := st.Containers[1]; c.ExitCode == nil || *c.ExitCode != 143 {
					t.Errorf("log = %+v, want its exit code 143 recorded", c)
				}
			}},
		{name: "Pod gone after the decision", in: StandaloneObservation{
			Status: decided(essential, ReasonEssentialExited, ptr.To[int32](0)), PodGone: true, Node: zoneNode("n1", "zone-a"), Now: passAt},
			want: outcome{Last: ecsv1alpha1.TaskStopped, Desired: stopped, Code: essential, Reason: ReasonEssentialExited, Exit: ptr.To[int32](0), Succeeded: true},
			check: func(t *testing.T, st ecsv1alpha1.TaskStatus) {
				t.Helper()
				if st.StoppedAt == nil || !st.StoppedAt.Time.Equal(passAt) {
					t.Errorf("stoppedAt %v, want the pass", st.StoppedAt)
				}
				if len(st.Containers) != 1 || st.Containers[0].ExitCode == nil {
					t.Errorf("containers %+v, want the recorded ones kept", st.Containers)
				}
			}},
		{name: "every container exited 0 by itself", in: StandaloneObservation{Status: runningStatus(),
			Pod: standalonePod(exited("web", 0, "Completed"), exited("log", 0, "Completed"), phase(corev1.PodSucceeded)), Now: passAt},
			want: outcome{Last: ecsv1alpha1.TaskStopped, Desired: stopped, Code: essential, Reason: ReasonEssentialExited, Exit: ptr.To[int32](0), Succeeded: true},
			check: func(t *testing.T, st ecsv1alpha1.TaskStatus) {
				t.Helper()
				if st.StoppedAt == nil || !st.StoppedAt.Equal(&webEnd) {
					t.Errorf("stoppedAt %v, want the last container's exit", st.StoppedAt)
				}
			}},
		{name: "an init container fails", in: StandaloneObservation{Pod: standalonePod(func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: "migrate"}}
			p.Status = corev1.PodStatus{Phase: corev1.PodFailed, InitContainerStatuses: []corev1.ContainerStatus{terminated("migrate", 2, "Error")},
				ContainerStatuses: []corev1.ContainerStatus{waiting("web", "PodInitializing", ""), waiting("log", "PodInitializing", "")}}
		})},
			want: outcome{Last: ecsv1alpha1.TaskStopped, Desired: stopped, Code: notStart,
				Reason: ReasonDependencyFailed + ": container migrate exited with code 2 (Error)", Failed: true},
			check: func(t *testing.T, st ecsv1alpha1.TaskStatus) {
				t.Helper()
				if names := []string{st.Containers[0].Name, st.Containers[1].Name}; names[0] != "migrate" || names[1] != "web" {
					t.Errorf("containers %v, want the init container first", names)
				}
			}},
		{name: "image cannot be pulled", in: StandaloneObservation{Pod: standalonePod(notReadyNeverReady,
			withStatus(waiting("web", "ErrImagePull", pullMsg), running("log", true)))},
			want: outcome{Last: ecsv1alpha1.TaskDeactivating, Desired: stopped, Code: notStart,
				Reason: "CannotPullContainerError: " + pullMsg, DeletePod: true, Failed: true},
			check: func(t *testing.T, st ecsv1alpha1.TaskStatus) {
				t.Helper()
				if st.Containers[0].Reason != "ErrImagePull: "+pullMsg {
					t.Errorf("web reason %q", st.Containers[0].Reason)
				}
			}},
		{name: "the node disappears with the Pod", in: StandaloneObservation{Status: runningStatus(), PodGone: true},
			want: outcome{Last: ecsv1alpha1.TaskStopped, Desired: stopped, Code: cluster, Reason: ReasonNodeLost, Failed: true}},
		{name: "the Pod is deleted by someone else", in: StandaloneObservation{Status: runningStatus(), PodGone: true, Node: zoneNode("n1", "zone-a")},
			want: outcome{Last: ecsv1alpha1.TaskStopped, Desired: stopped, Code: user, Reason: ReasonPodDeleted, Succeeded: true}},
		{name: "the Pod is being deleted by pod GC", in: StandaloneObservation{Status: runningStatus(), Pod: standalonePod(deleting, func(p *corev1.Pod) {
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: "DisruptionTarget", Status: corev1.ConditionTrue, Reason: "DeletionByPodGC"})
		})}, want: outcome{Last: ecsv1alpha1.TaskStopping, Desired: stopped, Code: cluster, Reason: ReasonNodeLost, Failed: true}},
		{name: "evicted", in: StandaloneObservation{Status: runningStatus(), Pod: standalonePod(func(p *corev1.Pod) {
			p.Status.Phase, p.Status.Reason, p.Status.Message = corev1.PodFailed, "Evicted", "The node was low on resource: memory."
		})}, want: outcome{Last: ecsv1alpha1.TaskStopped, Desired: stopped, Code: cluster,
			Reason: ReasonEvicted + ": The node was low on resource: memory.", Failed: true}},
		{name: "StopTask while running", in: StandaloneObservation{Status: runningStatus(), Pod: standalonePod(), StopRequested: true, StopReason: "maintenance"},
			want: outcome{Last: ecsv1alpha1.TaskDeactivating, Desired: stopped, Code: user, Reason: "maintenance", DeletePod: true}},
		{name: "StopTask without a reason before the Pod exists", in: StandaloneObservation{StopRequested: true},
			want: outcome{Last: ecsv1alpha1.TaskStopped, Desired: stopped, Code: user, Reason: ReasonStoppedByUser, Succeeded: true}},
		{name: "StopTask after an essential exit keeps the exit", in: StandaloneObservation{
			Status: decided(essential, ReasonEssentialExited, ptr.To[int32](3)), Pod: standalonePod(exited("web", 3, "Error")), StopRequested: true},
			want: outcome{Last: ecsv1alpha1.TaskDeactivating, Desired: stopped, Code: essential, Reason: ReasonEssentialExited, Exit: ptr.To[int32](3), DeletePod: true, Failed: true}},
		{name: "the exit is kept while StopTask's SIGTERM ends the rest", in: StandaloneObservation{
			Status: decided(user, "maintenance", nil), Pod: standalonePod(exited("web", 143, "Error"), deleting)},
			want: outcome{Last: ecsv1alpha1.TaskStopping, Desired: stopped, Code: user, Reason: "maintenance"}},
		{name: "STOPPED never changes", in: StandaloneObservation{Status: func() ecsv1alpha1.TaskStatus {
			st := decided(essential, ReasonEssentialExited, ptr.To[int32](0))
			st.LastStatus = ecsv1alpha1.TaskStopped
			return st
		}(), Pod: standalonePod(exited("web", 1, "Error")), StopRequested: true},
			want: outcome{Last: ecsv1alpha1.TaskStopped, Desired: stopped, Code: essential, Reason: ReasonEssentialExited, Exit: ptr.To[int32](0), Succeeded: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			step := ObserveStandalone(tc.in)
			if d := cmp.Diff(tc.want, outcomeOf(step)); d != "" {
				t.Errorf("ObserveStandalone() (-want +got):\n%s", d)
			}
			if tc.check != nil {
				tc.check(t, step.Status)
			}
		})
	}
}

func TestStandaloneNotStarted(t *testing.T) {
	prev := ecsv1alpha1.TaskStatus{TaskDefinition: "web:3", Group: "family:web"}
	st := StandaloneNotStarted(&prev, "task definition web:3: containerDefinitions[web].memory: above the task memory", passAt)
	got := outcomeOf(StandaloneStep{Status: st})
	want := outcome{Last: ecsv1alpha1.TaskStopped, Desired: ecsv1alpha1.DesiredStopped, Code: ecsv1alpha1.StopCodeTaskFailedToStart,
		Reason: "task definition web:3: containerDefinitions[web].memory: above the task memory", Failed: true}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("StandaloneNotStarted() (-want +got):\n%s", d)
	}
	if st.TaskDefinition != "web:3" || st.StoppedAt == nil {
		t.Errorf("status %+v lost the revision or has no stoppedAt", st)
	}
}

func TestGroupLabelValue(t *testing.T) {
	if got := GroupLabelValue("nightly"); got != "nightly" {
		t.Errorf("GroupLabelValue(nightly) = %q, want it unchanged", got)
	}
	for _, group := range []string{"family:web", "service:web", strings.Repeat("a", 64)} {
		got := GroupLabelValue(group)
		if !strings.HasPrefix(got, "g-") || len(validation.IsValidLabelValue(got)) > 0 || got != GroupLabelValue(group) {
			t.Errorf("GroupLabelValue(%q) = %q, want a stable, valid g-<hash>", group, got)
		}
	}
	if GroupLabelValue("family:web") == GroupLabelValue("family:api") {
		t.Error("two groups share a label value")
	}
}
