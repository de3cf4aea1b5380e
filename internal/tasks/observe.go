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
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/taskdef"
)

// AnnotationRestartEnabled lists, comma-separated, the containers whose task definition
// enables the ECS restart policy. Kubernetes restarts native sidecars whatever the policy, so
// only this list tells, from the Pod alone, which restarts are expected and which end the task.
const AnnotationRestartEnabled = "ecs.berth.dev/restart-enabled-containers"

// ECS stoppedReason texts, as ECS words them where it has an equivalent.
const (
	// ReasonEssentialExited: an essential container exited (or was restarted by Kubernetes).
	ReasonEssentialExited = "Essential container in task exited"
	// ReasonNodeLost: the node went away or stopped reporting, and its Pods were deleted.
	ReasonNodeLost = "Node lost"
	// ReasonEvicted: Kubernetes evicted the Pod (the eviction API, or node pressure).
	ReasonEvicted = "Task evicted"
	// ReasonPreempted: the scheduler preempted the Pod for a higher-priority one.
	ReasonPreempted = "Task preempted by a higher-priority Pod"
	// ReasonStoppedByNode: the kubelet ended the Pod (node shutdown or pressure).
	ReasonStoppedByNode = "Task stopped by its node"
	// ReasonFailedToStart: the kubelet refused or could not start the Pod.
	ReasonFailedToStart = "Task failed to start"
	// ReasonCannotPullContainer prefixes the runtime's message when a container's image cannot
	// be pulled (missing, denied, unreachable): ECS's CannotPullContainerError.
	ReasonCannotPullContainer = "CannotPullContainerError"
)

// Kubernetes' DisruptionTarget condition and its reasons (k8s.io/api has no constants for
// the reasons).
const (
	conditionDisruptionTarget = "DisruptionTarget"
	reasonPodGC               = "DeletionByPodGC"
	reasonTaintManager        = "DeletionByTaintManager"
	reasonEvictionAPI         = "EvictionByEvictionAPI"
	reasonPreemption          = "PreemptionByScheduler"
	reasonKubelet             = "TerminationByKubelet"
)

// ContainerExit describes the container exit that ended a task.
type ContainerExit struct {
	// Container is the container's name.
	Container string
	// ExitCode is its exit code (-1 when Kubernetes did not report one).
	ExitCode int32
	// Reason is Kubernetes' reason for the termination (Error, OOMKilled, Completed …).
	Reason string
	// Restarted is true when Kubernetes had already restarted the container.
	Restarted bool
}

// String says what happened, for service events: "container web exited with code 1 (Error)".
func (e ContainerExit) String() string {
	s := fmt.Sprintf("container %s exited with code %d", e.Container, e.ExitCode)
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	if e.Restarted {
		s += " and was restarted"
	}
	return s
}

// Observation is what one Pod says about its task.
type Observation struct {
	// State is the ECS task state.
	State rollout.TaskState
	// Healthy is true for a RUNNING task whose essential containers are all ready (their
	// readiness probe is the ECS health check).
	Healthy bool
	// Exit is the essential container exit that ended the task, if that is why it stopped.
	Exit *ContainerExit
	// StopReason is the ECS stoppedReason of a STOPPED task, and of a STOPPING one when the
	// Pod says who stopped it; empty otherwise.
	StopReason string
	// ByTask is true when the task ended by itself (its containers failed or exited, or the
	// kubelet could not start it), false when the cluster or a person stopped it. Only the
	// former counts toward a deployment's failed tasks.
	ByTask bool
	// Unschedulable is the scheduler's message for a PROVISIONING task it cannot place.
	Unschedulable string
	// EverReady is true when the Pod's conditions show it was ready at some point: Ready is
	// True, or it turned False after the Pod was initialized (it was True in between). A
	// task that stopped without ever being ready failed to start (circuit breaker).
	EverReady bool
}

// Observe derives the ECS task state of a task Pod: deletion requested → STOPPING; terminal,
// or an essential container ended → STOPPED; no node → PROVISIONING; every essential
// container running → RUNNING; otherwise PENDING.
func Observe(pod *corev1.Pod) Observation {
	o := observe(pod)
	o.EverReady = everReady(pod)
	return o
}

func observe(pod *corev1.Pod) Observation {
	if pod.DeletionTimestamp != nil {
		o := Observation{State: rollout.TaskStopping}
		o.StopReason, _ = disruption(pod)
		return o
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return stopped(pod)
	}
	if exit := EssentialExit(pod); exit != nil {
		return Observation{State: rollout.TaskStopped, Exit: exit, StopReason: ReasonEssentialExited, ByTask: true}
	}
	if pod.Spec.NodeName == "" {
		return Observation{State: rollout.TaskProvisioning, Unschedulable: unschedulable(pod)}
	}
	if reason, ok := PullFailure(pod); ok {
		return Observation{State: rollout.TaskStopped, StopReason: reason, ByTask: true}
	}
	running, ready := essentialRunning(pod)
	if !running {
		return Observation{State: rollout.TaskPending}
	}
	return Observation{State: rollout.TaskRunning, Healthy: ready}
}

// stopped explains a terminal Pod.
func stopped(pod *corev1.Pod) Observation {
	o := Observation{State: rollout.TaskStopped}
	if reason, ok := disruption(pod); ok {
		o.StopReason = reason
		return o
	}
	o.ByTask = true
	if exit := EssentialExit(pod); exit != nil {
		o.Exit, o.StopReason = exit, ReasonEssentialExited
		return o
	}
	if exit := anyExit(pod); exit != nil {
		o.Exit, o.StopReason = exit, ReasonEssentialExited
		return o
	}
	o.StopReason = ReasonFailedToStart
	if detail := strings.TrimSpace(strings.Join(nonEmpty(pod.Status.Reason, pod.Status.Message), ": ")); detail != "" {
		o.StopReason += ": " + detail
	}
	return o
}

// disruption returns the stop reason when the cluster, not the task, ended the Pod.
func disruption(pod *corev1.Pod) (string, bool) {
	for _, c := range pod.Status.Conditions {
		if c.Type != conditionDisruptionTarget || c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Reason {
		case reasonPodGC, reasonTaintManager:
			return ReasonNodeLost, true
		case reasonEvictionAPI:
			return ReasonEvicted, true
		case reasonPreemption:
			return ReasonPreempted, true
		case reasonKubelet:
			return ReasonStoppedByNode, true
		default:
			return "Task stopped: " + c.Reason, true
		}
	}
	switch pod.Status.Reason {
	case "Evicted":
		return withDetail(ReasonEvicted, pod.Status.Message), true
	case "NodeLost":
		return ReasonNodeLost, true
	case "Shutdown", "Terminated":
		return withDetail(ReasonStoppedByNode, pod.Status.Message), true
	}
	return "", false
}

// EssentialExit returns the exit of an essential container that ends the task, or nil. A
// container with the ECS restart policy enabled ends it only with an exit Kubernetes will not
// restart; any other essential container ends it when it terminates or was restarted.
// Regular init containers are left to the Pod phase: they either complete or fail the Pod.
func EssentialExit(pod *corev1.Pod) *ContainerExit {
	essential := EssentialContainers(pod)
	restartEnabled := splitList(pod.Annotations[AnnotationRestartEnabled])
	check := func(c *corev1.Container, cs *corev1.ContainerStatus, sidecar bool) *ContainerExit {
		if !slices.Contains(essential, c.Name) {
			return nil
		}
		term := cs.State.Terminated
		if slices.Contains(restartEnabled, c.Name) {
			if term != nil && !willRestart(pod, c, sidecar, term.ExitCode) {
				return &ContainerExit{Container: c.Name, ExitCode: term.ExitCode, Reason: term.Reason}
			}
			return nil
		}
		if term != nil {
			return &ContainerExit{Container: c.Name, ExitCode: term.ExitCode, Reason: term.Reason, Restarted: cs.RestartCount > 0}
		}
		if cs.RestartCount > 0 {
			exit := &ContainerExit{Container: c.Name, ExitCode: -1, Restarted: true}
			if last := cs.LastTerminationState.Terminated; last != nil {
				exit.ExitCode, exit.Reason = last.ExitCode, last.Reason
			}
			return exit
		}
		return nil
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if !isSidecar(c) {
			continue
		}
		if cs := status(pod.Status.InitContainerStatuses, c.Name); cs != nil {
			if exit := check(c, cs, true); exit != nil {
				return exit
			}
		}
	}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if cs := status(pod.Status.ContainerStatuses, c.Name); cs != nil {
			if exit := check(c, cs, false); exit != nil {
				return exit
			}
		}
	}
	return nil
}

// pullFailureReasons are the kubelet's waiting reasons for an image it cannot pull: the first
// failure, the back-off after it, a reference it cannot parse, and a pull the policy forbids.
var pullFailureReasons = []string{"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"}

// PullFailure reports whether the kubelet could not pull the image of one of the task's
// containers, with ECS's stoppedReason for it: "CannotPullContainerError: " and the runtime's
// message. ECS stops such a task at once (after the agent's own retries) instead of waiting
// with it; the kubelet would back off and retry forever.
func PullFailure(pod *corev1.Pod) (string, bool) {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			w := cs.State.Waiting
			if w == nil || !slices.Contains(pullFailureReasons, w.Reason) {
				continue
			}
			msg := strings.TrimSpace(w.Message)
			if msg == "" {
				msg = w.Reason
			}
			return ReasonCannotPullContainer + ": " + msg, true
		}
	}
	return "", false
}

// anyExit returns the first terminated container of a terminal Pod, init containers first,
// for Pods whose essential containers never ran.
func anyExit(pod *corev1.Pod) *ContainerExit {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
				return &ContainerExit{Container: cs.Name, ExitCode: t.ExitCode, Reason: t.Reason}
			}
		}
	}
	return nil
}

// willRestart reports whether Kubernetes restarts container c after it exited with code.
func willRestart(pod *corev1.Pod, c *corev1.Container, sidecar bool, code int32) bool {
	if sidecar {
		return true
	}
	if c.RestartPolicy != nil {
		for _, rule := range c.RestartPolicyRules {
			if rule.ExitCodes == nil || rule.Action != corev1.ContainerRestartRuleActionRestart {
				continue
			}
			in := slices.Contains(rule.ExitCodes.Values, code)
			if (rule.ExitCodes.Operator == corev1.ContainerRestartRuleOnExitCodesOpIn) == in {
				return true
			}
		}
		return restarts(corev1.RestartPolicy(*c.RestartPolicy), code)
	}
	return restarts(pod.Spec.RestartPolicy, code)
}

// restarts applies a restart policy to an exit code.
func restarts(policy corev1.RestartPolicy, code int32) bool {
	switch policy {
	case corev1.RestartPolicyAlways:
		return true
	case corev1.RestartPolicyOnFailure:
		return code != 0
	default:
		return false
	}
}

// essentialRunning reports whether every essential container (main or native sidecar) is
// running, and whether they are all ready too.
func essentialRunning(pod *corev1.Pod) (running, ready bool) {
	essential := EssentialContainers(pod)
	ready = true
	found := 0
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			if !slices.Contains(essential, cs.Name) || !isSidecarOrMain(pod, cs.Name) {
				continue
			}
			if cs.State.Running == nil {
				return false, false
			}
			found++
			ready = ready && cs.Ready
		}
	}
	want := 0
	for _, name := range essential {
		if isSidecarOrMain(pod, name) {
			want++
		}
	}
	if found < want {
		return false, false
	}
	return true, ready
}

// EssentialContainers lists the task's essential containers from the Pod's annotation;
// without the annotation every main container is essential, as ECS defaults essential to true.
func EssentialContainers(pod *corev1.Pod) []string {
	if v, ok := pod.Annotations[taskdef.AnnotationEssentialContainers]; ok {
		return splitList(v)
	}
	names := make([]string, 0, len(pod.Spec.Containers))
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	return names
}

// isSidecarOrMain reports whether name is a main container or a native sidecar of the Pod.
func isSidecarOrMain(pod *corev1.Pod, name string) bool {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return true
		}
	}
	for i := range pod.Spec.InitContainers {
		if c := &pod.Spec.InitContainers[i]; c.Name == name {
			return isSidecar(c)
		}
	}
	return false
}

// isSidecar reports a native sidecar: an init container that restarts always.
func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// everReady reads from the Pod's conditions whether it was ready at some point. The kubelet
// sets Ready=False when it first reports the Pod and keeps the transition time until the
// status flips, so a Ready=False that changed after initialization was True before.
func everReady(pod *corev1.Pod) bool {
	var ready, initialized *corev1.PodCondition
	for i := range pod.Status.Conditions {
		switch c := &pod.Status.Conditions[i]; c.Type {
		case corev1.PodReady:
			ready = c
		case corev1.PodInitialized:
			initialized = c
		}
	}
	switch {
	case ready == nil:
		return false
	case ready.Status == corev1.ConditionTrue:
		return true
	case initialized == nil || initialized.Status != corev1.ConditionTrue:
		return false
	default:
		return ready.LastTransitionTime.After(initialized.LastTransitionTime.Time)
	}
}

// unschedulable returns the scheduler's message when it reported the Pod unschedulable.
func unschedulable(pod *corev1.Pod) string {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			if c.Message == "" {
				return "the scheduler found no node for the task"
			}
			return c.Message
		}
	}
	return ""
}

func status(list []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// splitList splits a comma-separated annotation value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func withDetail(reason, detail string) string {
	if detail = strings.TrimSpace(detail); detail != "" {
		return reason + ": " + detail
	}
	return reason
}

func nonEmpty(items ...string) []string {
	var out []string
	for _, s := range items {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
