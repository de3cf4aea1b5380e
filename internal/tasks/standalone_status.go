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
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/rollout"
)

// ECS stoppedReason texts of standalone tasks besides those Observe gives.
const (
	// ReasonStoppedByUser is the stoppedReason of a StopTask without a reason.
	ReasonStoppedByUser = "Task stopped by user"
	// ReasonPodDeleted: the task's Pod was deleted by someone other than Berth.
	ReasonPodDeleted = "Task Pod was deleted"
	// ReasonDependencyFailed prefixes the exit of a container the essential containers
	// depend on (dependsOn SUCCESS or COMPLETE) that failed, so they never started.
	ReasonDependencyFailed = "Dependency container failed"
)

// maxReason bounds the reason texts kept in a Task's status.
const maxReason = 1024

// StandaloneObservation is what one pass knows about a standalone task.
type StandaloneObservation struct {
	// Status is the task's status as last written; conditions are not read.
	Status ecsv1alpha1.TaskStatus
	// Pod is the task's Pod; nil when it is not created yet or is gone.
	Pod *corev1.Pod
	// PodGone is true when the Pod was created and is confirmed gone.
	PodGone bool
	// Node is the Node the Pod runs on, nil when unknown or gone.
	Node *corev1.Node
	// StopRequested is desiredStatus STOPPED, and StopReason its reason (ECS StopTask).
	StopRequested bool
	StopReason    string
	// Now is the time of the pass.
	Now time.Time
}

// StandaloneStep is what a pass makes of a standalone task.
type StandaloneStep struct {
	// Status is the task's new status (without conditions and observedGeneration).
	Status ecsv1alpha1.TaskStatus
	// DeletePod says the task must stop and its Pod still runs: the controller deletes the
	// Pod once Status, which holds the exit state, is written.
	DeletePod bool
}

// ObserveStandalone is the state machine of a standalone task. From the Pod it derives the
// ECS lifecycle state (PROVISIONING, PENDING, ACTIVATING, RUNNING), and decides once whether
// and why the task stops: the task ended by itself (Observe: an essential container exited,
// an image cannot be pulled, the node refused the Pod, the cluster stopped it), the Pod was
// deleted by someone else, or desiredStatus asks for STOPPED. The stop code, reason and exit
// code are fixed when the stop is decided; then the task goes through DEACTIVATING (the Pod
// must be deleted), STOPPING and DEPROVISIONING (the Pod is being deleted) to STOPPED (the
// Pod is gone, or ended by itself and is kept, with its logs, until the Task's retention
// ends). A STOPPED status never changes.
func ObserveStandalone(in StandaloneObservation) StandaloneStep {
	st := *in.Status.DeepCopy()
	st.Conditions, st.ObservedGeneration = nil, 0
	if st.LastStatus == ecsv1alpha1.TaskStopped {
		return StandaloneStep{Status: st}
	}
	now := metav1.NewTime(in.Now)
	if st.DesiredStatus == "" {
		st.DesiredStatus = ecsv1alpha1.DesiredRunning
	}
	pod := in.Pod
	if pod != nil {
		describePod(&st, pod, in.Node)
	}
	if st.StopCode == "" {
		decideStop(&st, in)
		if st.StopCode != "" {
			st.DesiredStatus = ecsv1alpha1.DesiredStopped
			st.StoppingAt = &now
		}
	}
	step := StandaloneStep{}
	switch {
	case st.StopCode == "" && pod == nil:
		st.LastStatus = ecsv1alpha1.TaskProvisioning
	case st.StopCode == "":
		st.LastStatus = runningState(pod)
		if st.LastStatus == ecsv1alpha1.TaskRunning && st.StartedAt == nil {
			st.StartedAt = ptr.To(startedAt(pod, now))
		}
	case pod == nil:
		st.LastStatus, st.StoppedAt = ecsv1alpha1.TaskStopped, &now
	case pod.DeletionTimestamp != nil && allTerminated(pod):
		st.LastStatus = ecsv1alpha1.TaskDeprovisioning
	case pod.DeletionTimestamp != nil:
		st.LastStatus = ecsv1alpha1.TaskStopping
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		st.LastStatus, st.StoppedAt = ecsv1alpha1.TaskStopped, ptr.To(finishedAt(pod, now))
	default:
		st.LastStatus, step.DeletePod = ecsv1alpha1.TaskDeactivating, true
	}
	step.Status = st
	return step
}

// decideStop sets the stop code, reason and exit code when the task must stop: first what
// the Pod says (the task ended, or its Pod was deleted), then desiredStatus STOPPED.
func decideStop(st *ecsv1alpha1.TaskStatus, in StandaloneObservation) {
	switch {
	case in.Pod != nil:
		stopFromPod(st, in.Pod)
	case in.PodGone && st.NodeName != "" && in.Node == nil:
		st.StopCode, st.StoppedReason = ecsv1alpha1.StopCodeTerminationNotice, ReasonNodeLost
	case in.PodGone:
		st.StopCode, st.StoppedReason = ecsv1alpha1.StopCodeUserInitiated, ReasonPodDeleted
	}
	if st.StopCode == "" && in.StopRequested {
		st.StopCode, st.StoppedReason = ecsv1alpha1.StopCodeUserInitiated, in.StopReason
		if st.StoppedReason == "" {
			st.StoppedReason = ReasonStoppedByUser
		}
	}
}

// stopFromPod classifies what Observe says of the Pod into ECS stop codes.
func stopFromPod(st *ecsv1alpha1.TaskStatus, pod *corev1.Pod) {
	o := Observe(pod)
	switch o.State {
	case rollout.TaskStopped:
	case rollout.TaskStopping:
		st.StopCode, st.StoppedReason = ecsv1alpha1.StopCodeUserInitiated, ReasonPodDeleted
		if o.StopReason != "" {
			st.StopCode, st.StoppedReason = ecsv1alpha1.StopCodeTerminationNotice, o.StopReason
		}
		return
	default:
		return
	}
	switch {
	case !o.ByTask:
		st.StopCode, st.StoppedReason = ecsv1alpha1.StopCodeTerminationNotice, o.StopReason
	case o.Exit != nil && slices.Contains(EssentialContainers(pod), o.Exit.Container):
		st.StopCode, st.StoppedReason = ecsv1alpha1.StopCodeEssentialContainerExited, ReasonEssentialExited
		st.ExitCode = ptr.To(o.Exit.ExitCode)
	case o.Exit != nil:
		st.StopCode, st.StoppedReason = ecsv1alpha1.StopCodeTaskFailedToStart, ReasonDependencyFailed+": "+o.Exit.String()
	default:
		st.StopCode, st.StoppedReason = ecsv1alpha1.StopCodeTaskFailedToStart, o.StopReason
	}
	st.StoppedReason = conditions.Truncate(st.StoppedReason, maxReason)
}

// runningState is the lifecycle state of a task that is not stopping: PROVISIONING without
// a node, PENDING until every essential container runs, ACTIVATING while one of them has
// not passed its startup check, RUNNING after.
func runningState(pod *corev1.Pod) ecsv1alpha1.TaskState {
	switch o := Observe(pod); o.State {
	case rollout.TaskProvisioning:
		return ecsv1alpha1.TaskProvisioning
	case rollout.TaskRunning:
		if !essentialStarted(pod) {
			return ecsv1alpha1.TaskActivating
		}
		return ecsv1alpha1.TaskRunning
	default:
		return ecsv1alpha1.TaskPending
	}
}

// describePod fills what the Pod tells of the task: its node and zone, timestamps, the
// containers and the task's health.
func describePod(st *ecsv1alpha1.TaskStatus, pod *corev1.Pod, node *corev1.Node) {
	st.PodName = pod.Name
	if st.CreatedAt == nil {
		st.CreatedAt = ptr.To(pod.CreationTimestamp)
	}
	if pod.Spec.NodeName != "" {
		st.NodeName = pod.Spec.NodeName
		if z := Zone(node); z != "" {
			st.AvailabilityZone = z
		}
	}
	if st.PullStartedAt == nil && pod.Status.StartTime != nil {
		st.PullStartedAt = ptr.To(*pod.Status.StartTime)
	}
	if st.PullStoppedAt == nil {
		if t, ok := firstContainerStart(pod); ok {
			st.PullStoppedAt = &t
		}
	}
	st.Containers = containerStatuses(pod)
	st.HealthStatus = taskHealth(st.Containers)
}

// containerStatuses describes the task's containers: init containers (the dependencies
// and sidecars dependsOn makes) first, then the others, as the Pod lists them.
func containerStatuses(pod *corev1.Pod) []ecsv1alpha1.TaskContainer {
	essential := EssentialContainers(pod)
	var out []ecsv1alpha1.TaskContainer
	add := func(c *corev1.Container, statuses []corev1.ContainerStatus) {
		tc := ecsv1alpha1.TaskContainer{
			Name: c.Name, Image: c.Image, Essential: slices.Contains(essential, c.Name),
			LastStatus: ecsv1alpha1.TaskPending, HealthStatus: ecsv1alpha1.HealthUnknown,
		}
		if cs := status(statuses, c.Name); cs != nil {
			describeContainer(&tc, c, cs)
		}
		out = append(out, tc)
	}
	for i := range pod.Spec.InitContainers {
		add(&pod.Spec.InitContainers[i], pod.Status.InitContainerStatuses)
	}
	for i := range pod.Spec.Containers {
		add(&pod.Spec.Containers[i], pod.Status.ContainerStatuses)
	}
	return out
}

// describeContainer fills a container's state from its status.
func describeContainer(tc *ecsv1alpha1.TaskContainer, c *corev1.Container, cs *corev1.ContainerStatus) {
	tc.RestartCount = cs.RestartCount
	if _, digest, ok := strings.Cut(cs.ImageID, "@"); ok {
		tc.ImageDigest = digest
	}
	switch {
	case cs.State.Terminated != nil:
		t := cs.State.Terminated
		tc.LastStatus, tc.ExitCode = ecsv1alpha1.TaskStopped, ptr.To(t.ExitCode)
		tc.Reason = withDetail(t.Reason, t.Message)
	case cs.State.Running != nil:
		tc.LastStatus = ecsv1alpha1.TaskRunning
		if c.LivenessProbe != nil || c.ReadinessProbe != nil {
			switch {
			case cs.Ready:
				tc.HealthStatus = ecsv1alpha1.HealthHealthy
			case cs.Started != nil && *cs.Started && c.ReadinessProbe != nil:
				tc.HealthStatus = ecsv1alpha1.HealthUnhealthy
			}
		}
	case cs.State.Waiting != nil:
		tc.Reason = withDetail(cs.State.Waiting.Reason, cs.State.Waiting.Message)
	}
	tc.Reason = conditions.Truncate(tc.Reason, maxReason)
}

// taskHealth is ECS's task health: UNHEALTHY when an essential container is, HEALTHY when
// every essential container with a health check is, UNKNOWN otherwise.
func taskHealth(containers []ecsv1alpha1.TaskContainer) ecsv1alpha1.HealthStatus {
	healthy := 0
	for _, c := range containers {
		if !c.Essential {
			continue
		}
		switch c.HealthStatus {
		case ecsv1alpha1.HealthUnhealthy:
			return ecsv1alpha1.HealthUnhealthy
		case ecsv1alpha1.HealthHealthy:
			healthy++
		default:
		}
	}
	if healthy > 0 {
		return ecsv1alpha1.HealthHealthy
	}
	return ecsv1alpha1.HealthUnknown
}

// essentialStarted reports whether every running essential container passed its startup
// check (Kubernetes' started; a container without a startup probe is started once it runs).
func essentialStarted(pod *corev1.Pod) bool {
	essential := EssentialContainers(pod)
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			if slices.Contains(essential, cs.Name) && cs.State.Running != nil && cs.Started != nil && !*cs.Started {
				return false
			}
		}
	}
	return true
}

// startedAt is when the last essential container started, or now when the Pod does not say.
func startedAt(pod *corev1.Pod, now metav1.Time) metav1.Time {
	essential := EssentialContainers(pod)
	var latest metav1.Time
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			if r := cs.State.Running; r != nil && slices.Contains(essential, cs.Name) && latest.Before(&r.StartedAt) {
				latest = r.StartedAt
			}
		}
	}
	if latest.IsZero() {
		return now
	}
	return latest
}

// firstContainerStart is the earliest start of any container of the Pod.
func firstContainerStart(pod *corev1.Pod) (metav1.Time, bool) {
	var first metav1.Time
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			var t metav1.Time
			switch {
			case cs.State.Running != nil:
				t = cs.State.Running.StartedAt
			case cs.State.Terminated != nil:
				t = cs.State.Terminated.StartedAt
			}
			if !t.IsZero() && (first.IsZero() || t.Before(&first)) {
				first = t
			}
		}
	}
	return first, !first.IsZero()
}

// finishedAt is when the last container of a terminal Pod finished, or now when the Pod does
// not say.
func finishedAt(pod *corev1.Pod, now metav1.Time) metav1.Time {
	var last metav1.Time
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			if t := cs.State.Terminated; t != nil && last.Before(&t.FinishedAt) {
				last = t.FinishedAt
			}
		}
	}
	if last.IsZero() {
		return now
	}
	return last
}

// allTerminated reports whether the Pod's phase is terminal or every container it started
// has terminated: only its removal from the node is left.
func allTerminated(pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return true
	}
	n := 0
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			if cs.State.Running != nil {
				return false
			}
			n++
		}
	}
	return n > 0
}

// StandaloneNotStarted stops a task that cannot start at all (its task definition does not
// translate with its overrides, or the API server refuses its Pod): TaskFailedToStart with
// reason, STOPPED at once.
func StandaloneNotStarted(prev *ecsv1alpha1.TaskStatus, reason string, now time.Time) ecsv1alpha1.TaskStatus {
	st := *prev.DeepCopy()
	st.Conditions, st.ObservedGeneration = nil, 0
	t := metav1.NewTime(now)
	st.LastStatus, st.DesiredStatus = ecsv1alpha1.TaskStopped, ecsv1alpha1.DesiredStopped
	st.StopCode, st.StoppedReason = ecsv1alpha1.StopCodeTaskFailedToStart, conditions.Truncate(reason, maxReason)
	st.StoppingAt, st.StoppedAt = &t, &t
	return st
}

// StandaloneSucceeded reports a task that stopped well: its essential container exited 0,
// or it was stopped on request.
func StandaloneSucceeded(st *ecsv1alpha1.TaskStatus) bool {
	if st.LastStatus != ecsv1alpha1.TaskStopped {
		return false
	}
	switch st.StopCode {
	case ecsv1alpha1.StopCodeUserInitiated:
		return true
	case ecsv1alpha1.StopCodeEssentialContainerExited:
		return st.ExitCode != nil && *st.ExitCode == 0
	default:
		return false
	}
}

// StandaloneFailed reports a task that has failed, or is stopping because it failed: it did
// not start, an essential container exited with a code other than 0, or the cluster stopped
// it. A stop someone asked for (desiredStatus STOPPED, or deleting the Pod) is no failure.
func StandaloneFailed(st *ecsv1alpha1.TaskStatus) bool {
	switch st.StopCode {
	case "", ecsv1alpha1.StopCodeUserInitiated:
		return false
	case ecsv1alpha1.StopCodeEssentialContainerExited:
		return st.ExitCode == nil || *st.ExitCode != 0
	default:
		return true
	}
}
