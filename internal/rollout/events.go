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
	"strings"
	"time"
)

// Kubernetes event reasons of the service events.
const (
	// ReasonSteadyState marks that the service has D healthy tasks of its PRIMARY deployment only.
	ReasonSteadyState = "SteadyState"
	// ReasonDeploymentCompleted marks a rollout that reached COMPLETED.
	ReasonDeploymentCompleted = "DeploymentCompleted"
	// ReasonDeploymentFailed marks a rollout the circuit breaker failed.
	ReasonDeploymentFailed = "DeploymentFailed"
	// ReasonRollingBack marks the circuit breaker going back to the last COMPLETED deployment.
	ReasonRollingBack = "RollingBack"
	// ReasonTasksStarted marks tasks the controller started (see TasksStartedMessage).
	ReasonTasksStarted = "TasksStarted"
	// ReasonTasksStopped marks tasks the planner stopped.
	ReasonTasksStopped = "TasksStopped"
	// ReasonTaskStartImpaired marks tasks that keep failing to start with no circuit breaker to act.
	ReasonTaskStartImpaired = "TaskStartImpaired"
	// ReasonDeploymentBlocked marks a rollout whose bounds allow neither a start nor a stop.
	ReasonDeploymentBlocked = "DeploymentConfigurationBlocked"
	// ReasonUnableToPlace marks a task that cannot be scheduled (see UnableToPlaceMessage).
	ReasonUnableToPlace = "UnableToPlaceTask"
)

// tasksPerEvent bounds the task names in one event so a message stays well under the
// API's 2048 characters; the others are counted ("and 290 more"). One pass that starts or
// stops 3,000 tasks gives one event, not 300: the events a scale-up writes (Kubernetes
// Events, and entries of the Service's bounded status list) grow with the passes, not the
// tasks.
const tasksPerEvent = 10

// StopReason is the ECS stoppedReason of a task the scheduler stops for deployment id.
func StopReason(deploymentID string) string {
	return fmt.Sprintf("Scaling activity initiated by (deployment %s)", deploymentID)
}

// TasksStartedMessage is the ECS event for tasks the controller started, which only it can
// name: "(service web) has started 2 tasks: (task a) (task b).", the first tasksPerEvent
// named and the rest counted.
func TasksStartedMessage(service string, tasks []string) string {
	return fmt.Sprintf("(service %s) has started %d tasks: %s.", service, len(tasks), taskList(tasks))
}

// TasksStartedEvents is the one event of TasksStartedMessage for the tasks a pass started;
// none for no task.
func TasksStartedEvents(service string, tasks []string) []Event {
	if len(tasks) == 0 {
		return nil
	}
	return []Event{{Type: EventNormal, Reason: ReasonTasksStarted, Message: TasksStartedMessage(service, tasks)}}
}

// UnableToPlaceMessage is the ECS event for a task the scheduler cannot place, followed by
// the scheduler's own explanation (the PodScheduled condition message).
func UnableToPlaceMessage(service, detail string) string {
	msg := fmt.Sprintf("(service %s) was unable to place a task because no container instance met all of its requirements.", service)
	if detail = strings.TrimSpace(detail); detail != "" {
		msg += " Reason: " + detail
	}
	return msg
}

// tasksStoppedEvents is the one event for the tasks a pass stopped; none for no task.
func tasksStoppedEvents(service string, tasks []string) []Event {
	if len(tasks) == 0 {
		return nil
	}
	return []Event{{Type: EventNormal, Reason: ReasonTasksStopped,
		Message: fmt.Sprintf("(service %s) has stopped %d running tasks: %s.", service, len(tasks), taskList(tasks))}}
}

func steadyStateEvent(service string) Event {
	return Event{Type: EventNormal, Reason: ReasonSteadyState,
		Message: fmt.Sprintf("(service %s) has reached a steady state.", service)}
}

func deploymentCompletedEvent(service, id string) Event {
	return Event{Type: EventNormal, Reason: ReasonDeploymentCompleted,
		Message: fmt.Sprintf("(service %s) (deployment %s) deployment completed.", service, id)}
}

func deploymentFailedEvent(service, id string) Event {
	return Event{Type: EventWarning, Reason: ReasonDeploymentFailed,
		Message: fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", service, id)}
}

func rollingBackEvent(service, id string) Event {
	return Event{Type: EventWarning, Reason: ReasonRollingBack,
		Message: fmt.Sprintf("(service %s) rolling back to deployment %s.", service, id)}
}

func startImpairedEvent(service string) Event {
	return Event{Type: EventWarning, Reason: ReasonTaskStartImpaired,
		Message: fmt.Sprintf("(service %s) is unable to consistently start tasks successfully.", service)}
}

func blockedEvent(service string) Event {
	return Event{Type: EventWarning, Reason: ReasonDeploymentBlocked,
		Message: fmt.Sprintf("(service %s) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.", service)}
}

// Rollout state reasons, in ECS's words.
func reasonInProgress(id string) string { return fmt.Sprintf("ECS deployment %s in progress.", id) }
func reasonCompleted(id string) string  { return fmt.Sprintf("ECS deployment %s completed.", id) }
func reasonBlocked(id string) string {
	return reasonInProgress(id) + " Blocked: minimumHealthyPercent and maximumPercent allow no task to be started or stopped."
}

func reasonSuperseded(id, by string) string {
	return fmt.Sprintf("ECS deployment %s superseded by deployment %s.", id, by)
}

const reasonAdopted = "Tasks of a deployment missing from the service status; they are stopped like an older deployment's."

const reasonFailed = "ECS deployment circuit breaker: tasks failed to start."

func reasonFailedRolledBack(to string) string {
	return fmt.Sprintf("%s Rolled back to deployment %s.", reasonFailed, to)
}
func reasonRollingBackFrom(from string) string {
	return fmt.Sprintf("ECS deployment circuit breaker: rolling back from deployment %s.", from)
}

// taskList names the first tasksPerEvent tasks, "(task a) (task b)", and counts the others:
// "… and 290 more".
func taskList(tasks []string) string {
	named := tasks[:min(len(tasks), tasksPerEvent)]
	parts := make([]string, len(named))
	for i, t := range named {
		parts[i] = "(task " + t + ")"
	}
	list := strings.Join(parts, " ")
	if more := len(tasks) - len(named); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	return list
}

func bakeEvent(service, id string, bake time.Duration) Event {
	return Event{Type: EventNormal, Reason: ReasonLifecycleStage,
		Message: fmt.Sprintf("(service %s) (deployment %s) has entered the BAKE_TIME lifecycle stage: its alarms are watched for %s more.", service, id, bake)}
}

func reasonBaking(id string, until time.Time) string {
	return fmt.Sprintf("ECS deployment %s in progress: all tasks replaced; alarms are watched until %s.", id, until.UTC().Format(time.RFC3339))
}
