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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScheduleState is an EventBridge schedule's state.
// +kubebuilder:validation:Enum=ENABLED;DISABLED
type ScheduleState string

// Schedule states.
const (
	// ScheduleEnabled runs the schedule.
	ScheduleEnabled ScheduleState = "ENABLED"
	// ScheduleDisabled starts no run; runs that fall while it is disabled are not started
	// when it is enabled again.
	ScheduleDisabled ScheduleState = "DISABLED"
)

// FlexibleTimeWindowMode is EventBridge Scheduler's flexible time window mode.
// +kubebuilder:validation:Enum=OFF;FLEXIBLE
type FlexibleTimeWindowMode string

// Flexible time window modes.
const (
	// FlexibleTimeWindowOff starts each run at its scheduled time.
	FlexibleTimeWindowOff FlexibleTimeWindowMode = "OFF"
	// FlexibleTimeWindowFlexible starts each run within maximumWindowInMinutes after its
	// scheduled time.
	FlexibleTimeWindowFlexible FlexibleTimeWindowMode = "FLEXIBLE"
)

// ConcurrencyPolicy says what a run does while Tasks of an earlier run have not stopped.
// +kubebuilder:validation:Enum=Allow;Forbid;Replace
type ConcurrencyPolicy string

// Concurrency policies.
const (
	// ConcurrencyAllow starts the run anyway, as EventBridge Scheduler does.
	ConcurrencyAllow ConcurrencyPolicy = "Allow"
	// ConcurrencyForbid skips the run (an Event RunSkipped says so); the next one is
	// scheduled as usual.
	ConcurrencyForbid ConcurrencyPolicy = "Forbid"
	// ConcurrencyReplace stops the earlier run's Tasks (ECS StopTask, UserInitiated) and
	// starts the run.
	ConcurrencyReplace ConcurrencyPolicy = "Replace"
)

// RunOutcome is how a run of a ScheduledTask went.
// +kubebuilder:validation:Enum=Running;Succeeded;Failed
type RunOutcome string

// Run outcomes.
const (
	// RunRunning: a Task of the run has not stopped.
	RunRunning RunOutcome = "Running"
	// RunSucceeded: every Task of the run stopped well (Ready).
	RunSucceeded RunOutcome = "Succeeded"
	// RunFailed: every Task stopped and at least one failed.
	RunFailed RunOutcome = "Failed"
)

// ScheduledTask is an ECS scheduled task: an EventBridge Scheduler schedule whose target is
// ECS RunTask. At each time its schedule expression names it creates count Tasks from its
// template, owned by it and labelled ecs.berth.dev/scheduled-task, and keeps the latest runs
// as its history limits say.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ecsschedtask;ecsschedtasks,categories={berth,ecs}
// +kubebuilder:printcolumn:name="Schedule",type=string,JSONPath=`.spec.scheduleExpression`
// +kubebuilder:printcolumn:name="Timezone",type=string,JSONPath=`.spec.scheduleExpressionTimezone`,priority=1
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.spec.state`
// +kubebuilder:printcolumn:name="Last Schedule",type=date,JSONPath=`.status.lastScheduleTime`
// +kubebuilder:printcolumn:name="Next Schedule",type=string,JSONPath=`.status.nextScheduleTime`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 49 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must hold only lowercase letters, digits and '-', start and end with a letter or digit, and be at most 49 characters: its Tasks are named <name>-<unix time>[-<n>], at most 63"
type ScheduledTask struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec is the schedule (EventBridge Scheduler CreateSchedule) and the task it runs.
	// +required
	Spec ScheduledTaskSpec `json:"spec"`

	// status says when the schedule ran and runs next, and how its runs went.
	// +optional
	Status ScheduledTaskStatus `json:"status,omitzero"`
}

// ScheduledTaskSpec mirrors EventBridge Scheduler's CreateSchedule with an ECS RunTask target.
//
// +kubebuilder:validation:XValidation:rule="!has(self.startDate) || !has(self.endDate) || self.startDate < self.endDate",message="endDate must be after startDate",fieldPath=".endDate"
type ScheduledTaskSpec struct {
	// scheduleExpression is when the task runs: rate(value unit) (unit minute(s), hour(s) or
	// day(s); singular only with 1), cron(minutes hours day-of-month month day-of-week year)
	// in EventBridge's syntax (exactly one of day-of-month and day-of-week is "?"; L, W, #,
	// ranges, lists, steps, month and day names), or at(yyyy-mm-ddThh:mm:ss) for one run.
	// cron and at are read in scheduleExpressionTimezone. The schema checks the shape; an
	// expression that passes it and still does not parse stalls the ScheduledTask with
	// reason InvalidScheduleExpression naming the position.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.startsWith('rate(') || self.startsWith('cron(') || self.startsWith('at(')",message="scheduleExpression must be rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('rate(') || self.matches('^rate[(](1 (minute|hour|day)|([2-9]|[1-9][0-9]{1,5}) (minutes|hours|days))[)]$')",message="scheduleExpression: rate(value unit) takes a whole number of at least 1 and the unit minute, hour or day, singular with 1 and plural above, such as rate(1 hour) or rate(5 minutes)"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('at(') || self.matches('^at[(][0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9][)]$')",message="scheduleExpression: at(yyyy-mm-ddThh:mm:ss) takes a date and a 24-hour time, such as at(2026-12-24T10:00:00)"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('cron(') || self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$')",message="scheduleExpression: cron takes six fields separated by single spaces: minutes hours day-of-month month day-of-week year, such as cron(0 12 * * ? *)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || self.substring(5, self.size() - 1).split(' ')[0].matches('^([*]|[0-5]?[0-9](-[0-5]?[0-9])?)(/[0-9]{1,2})?(,([*]|[0-5]?[0-9](-[0-5]?[0-9])?)(/[0-9]{1,2})?)*$')",message="scheduleExpression: cron field 1 (minutes) takes 0-59, *, ranges a-b, lists a,b and steps /n"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || self.substring(5, self.size() - 1).split(' ')[1].matches('^([*]|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[0-9]{1,2})?(,([*]|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[0-9]{1,2})?)*$')",message="scheduleExpression: cron field 2 (hours) takes 0-23, *, ranges a-b, lists a,b and steps /n"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || self.substring(5, self.size() - 1).split(' ')[2].matches('^([?]|L|LW|([1-9]|[12][0-9]|3[01])W|([*]|([1-9]|[12][0-9]|3[01])(-([1-9]|[12][0-9]|3[01]))?)(/[0-9]{1,2})?(,([*]|([1-9]|[12][0-9]|3[01])(-([1-9]|[12][0-9]|3[01]))?)(/[0-9]{1,2})?)*)$')",message="scheduleExpression: cron field 3 (day-of-month) takes 1-31, *, ?, L, LW, nW, ranges a-b, lists a,b and steps /n"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || self.substring(5, self.size() - 1).split(' ')[3].matches('^(?i)([*]|([1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(-([1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?)(/[0-9]{1,2})?(,([*]|([1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(-([1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?)(/[0-9]{1,2})?)*$')",message="scheduleExpression: cron field 4 (month) takes 1-12 or JAN-DEC, *, ranges a-b, lists a,b and steps /n"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || self.substring(5, self.size() - 1).split(' ')[4].matches('^(?i)([?]|L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])|([*]|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(-([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT))?)(,([*]|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(-([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT))?))*)$')",message="scheduleExpression: cron field 5 (day-of-week) takes 1-7 or SUN-SAT, *, ?, L, nL, n#k, ranges a-b and lists a,b (no steps)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || self.substring(5, self.size() - 1).split(' ')[5].matches('^([*]|(19[7-9][0-9]|2[01][0-9][0-9])(-(19[7-9][0-9]|2[01][0-9][0-9]))?)(/[0-9]{1,3})?(,([*]|(19[7-9][0-9]|2[01][0-9][0-9])(-(19[7-9][0-9]|2[01][0-9][0-9]))?)(/[0-9]{1,3})?)*$')",message="scheduleExpression: cron field 6 (year) takes 1970-2199, *, ranges a-b, lists a,b and steps /n"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || !self.substring(5, self.size() - 1).split(' ')[0].matches('^([*]|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,([*]|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*$') || self.substring(5, self.size() - 1).split(' ')[0].split(',').all(it, (!it.contains('/') || (int(it.split('/')[1]) >= 1 && int(it.split('/')[1]) <= 60)) && (!it.split('/')[0].contains('-') || int(it.split('/')[0].split('-')[0]) <= int(it.split('/')[0].split('-')[1])))",message="scheduleExpression: cron field 1 (minutes): a range a-b must not wrap around (a ≤ b) and a step /n must be 1-60"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || !self.substring(5, self.size() - 1).split(' ')[1].matches('^([*]|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,([*]|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*$') || self.substring(5, self.size() - 1).split(' ')[1].split(',').all(it, (!it.contains('/') || (int(it.split('/')[1]) >= 1 && int(it.split('/')[1]) <= 24)) && (!it.split('/')[0].contains('-') || int(it.split('/')[0].split('-')[0]) <= int(it.split('/')[0].split('-')[1])))",message="scheduleExpression: cron field 2 (hours): a range a-b must not wrap around (a ≤ b) and a step /n must be 1-24"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || !self.substring(5, self.size() - 1).split(' ')[2].matches('^([*]|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,([*]|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*$') || self.substring(5, self.size() - 1).split(' ')[2].split(',').all(it, (!it.contains('/') || (int(it.split('/')[1]) >= 1 && int(it.split('/')[1]) <= 31)) && (!it.split('/')[0].contains('-') || int(it.split('/')[0].split('-')[0]) <= int(it.split('/')[0].split('-')[1])))",message="scheduleExpression: cron field 3 (day-of-month): a range a-b must not wrap around (a ≤ b) and a step /n must be 1-31"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || !self.substring(5, self.size() - 1).split(' ')[3].matches('^([*]|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,([*]|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*$') || self.substring(5, self.size() - 1).split(' ')[3].split(',').all(it, (!it.contains('/') || (int(it.split('/')[1]) >= 1 && int(it.split('/')[1]) <= 12)) && (!it.split('/')[0].contains('-') || int(it.split('/')[0].split('-')[0]) <= int(it.split('/')[0].split('-')[1])))",message="scheduleExpression: cron field 4 (month): a range a-b must not wrap around (a ≤ b) and a step /n must be 1-12"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || !self.substring(5, self.size() - 1).split(' ')[5].matches('^([*]|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,([*]|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*$') || self.substring(5, self.size() - 1).split(' ')[5].split(',').all(it, (!it.contains('/') || (int(it.split('/')[1]) >= 1 && int(it.split('/')[1]) <= 230)) && (!it.split('/')[0].contains('-') || int(it.split('/')[0].split('-')[0]) <= int(it.split('/')[0].split('-')[1])))",message="scheduleExpression: cron field 6 (year): a range a-b must not wrap around (a ≤ b) and a step /n must be 1-230"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^cron[(][^ ()]+( [^ ()]+){5}[)]$') || (self.substring(5, self.size() - 1).split(' ')[2] == '?') != (self.substring(5, self.size() - 1).split(' ')[4] == '?')",message="scheduleExpression: exactly one of cron field 3 (day-of-month) and field 5 (day-of-week) must be ?, such as cron(0 12 * * ? *) or cron(0 12 ? * MON-FRI *)"
	ScheduleExpression string `json:"scheduleExpression"`

	// scheduleExpressionTimezone is the IANA time zone cron and at expressions are read in
	// (default UTC). A name the controller does not know stalls the ScheduledTask with
	// reason InvalidTimezone.
	// +optional
	// +kubebuilder:default=UTC
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=50
	// +kubebuilder:validation:Pattern=`^[A-Za-z][-+_/A-Za-z0-9]*$`
	ScheduleExpressionTimezone string `json:"scheduleExpressionTimezone,omitempty"`

	// flexibleTimeWindow lets each run start later than its scheduled time, within a window:
	// EventBridge Scheduler's FlexibleTimeWindow. Default: OFF.
	// +optional
	FlexibleTimeWindow *FlexibleTimeWindow `json:"flexibleTimeWindow,omitempty"`

	// state is ENABLED (default) or DISABLED: a disabled schedule starts nothing, and runs
	// that fall while it is disabled are not started when it is enabled again.
	// +optional
	// +kubebuilder:default=ENABLED
	State ScheduleState `json:"state,omitempty"`

	// startDate is when the schedule may begin: no run is before it, and a rate expression
	// runs first at it. Default: when the ScheduledTask was created (a rate expression then
	// runs at once, as EventBridge Scheduler's does).
	// +optional
	StartDate *metav1.Time `json:"startDate,omitempty"`

	// endDate is when the schedule ends: no run is at or after it.
	// +optional
	EndDate *metav1.Time `json:"endDate,omitempty"`

	// concurrencyPolicy says what a run does while a Task of an earlier run has not
	// stopped: Allow (default: start it anyway, as EventBridge Scheduler does), Forbid (skip
	// it) or Replace (stop the earlier run's Tasks, then start it).
	// +optional
	// +kubebuilder:default=Allow
	ConcurrencyPolicy ConcurrencyPolicy `json:"concurrencyPolicy,omitempty"`

	// retryPolicy bounds how late a run may still start: EventBridge Scheduler's
	// RetryPolicy. After the controller was down, only the latest run that fell in the
	// meantime starts, and only if it is due for no longer than maximumEventAgeInSeconds.
	// +optional
	// +kubebuilder:default={maximumEventAgeInSeconds: 86400}
	RetryPolicy *RetryPolicy `json:"retryPolicy,omitempty"`

	// successfulRunsHistoryLimit is how many runs whose Tasks all stopped well are kept
	// (default 3); the Tasks of older ones are deleted.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	SuccessfulRunsHistoryLimit *int32 `json:"successfulRunsHistoryLimit,omitempty"`

	// failedRunsHistoryLimit is how many runs with a failed Task are kept (default 1); the
	// Tasks of older ones are deleted.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	FailedRunsHistoryLimit *int32 `json:"failedRunsHistoryLimit,omitempty"`

	// taskTemplate is the task each run starts: ECS RunTask's parameters (EventBridge
	// Scheduler's EcsParameters).
	// +required
	TaskTemplate ScheduledTaskTemplate `json:"taskTemplate"`
}

// FlexibleTimeWindow is EventBridge Scheduler's FlexibleTimeWindow.
//
// +kubebuilder:validation:XValidation:rule="self.mode == 'FLEXIBLE' ? has(self.maximumWindowInMinutes) : !has(self.maximumWindowInMinutes)",message="maximumWindowInMinutes is required with mode FLEXIBLE and not allowed with OFF",fieldPath=".maximumWindowInMinutes"
type FlexibleTimeWindow struct {
	// mode is OFF or FLEXIBLE.
	// +required
	Mode FlexibleTimeWindowMode `json:"mode"`

	// maximumWindowInMinutes is the window (FLEXIBLE only): each run starts at a time within
	// it after its scheduled time, spread by the ScheduledTask's UID and the scheduled time,
	// so that schedules with the same expression do not all start at once.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1440
	MaximumWindowInMinutes *int32 `json:"maximumWindowInMinutes,omitempty"`
}

// RetryPolicy is EventBridge Scheduler's RetryPolicy, as far as it applies to Berth.
type RetryPolicy struct {
	// maximumEventAgeInSeconds is how long after it was due a run may still start (60 to
	// 86400, default 86400 as in EventBridge Scheduler). A run older than that, because the
	// controller was down or could not create its Tasks, is missed.
	// +optional
	// +kubebuilder:default=86400
	// +kubebuilder:validation:Minimum=60
	// +kubebuilder:validation:Maximum=86400
	MaximumEventAgeInSeconds *int32 `json:"maximumEventAgeInSeconds,omitempty"`
}

// ScheduledTaskTemplate is the task a run starts: a Task's spec without its stop fields,
// plus count.
//
// +kubebuilder:validation:XValidation:rule="!has(self.placementStrategy) || self.placementStrategy.all(s, s.type != 'spread' || !has(s.field) || self.placementStrategy.filter(t, t.type == 'spread' && has(t.field) && t.field == s.field).size() == 1)",message="placementStrategy may hold at most one spread per field",fieldPath=".placementStrategy"
// +kubebuilder:validation:XValidation:rule="!has(self.placementConstraints) || self.placementConstraints.filter(c, c.type == 'distinctInstance').size() <= 1",message="placementConstraints may hold distinctInstance at most once",fieldPath=".placementConstraints"
type ScheduledTaskTemplate struct {
	// taskDefinition is "family" (the latest revision when each Task starts) or
	// "family:revision".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=264
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[1-9][0-9]{0,9})?$')",message="taskDefinition must be a TaskDefinition name (the family), optionally with :<revision> counted from 1, such as web or web:3"
	TaskDefinition string `json:"taskDefinition"`

	// count is how many Tasks each run starts (ECS RunTask's count, 1 to 10; default 1).
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	Count *int32 `json:"count,omitempty"`

	// overrides change the task definition for these Tasks (ECS TaskOverride).
	// +optional
	Overrides *TaskOverride `json:"overrides,omitempty"`

	// placementStrategy is the Tasks' ordered ECS placement strategy.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	PlacementStrategy []PlacementStrategy `json:"placementStrategy,omitempty"`

	// placementConstraints bind the Tasks' placement.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	PlacementConstraints []PlacementConstraint `json:"placementConstraints,omitempty"`

	// group is the Tasks' ECS task group; default "family:<family>".
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Group string `json:"group,omitempty"`

	// tags are the Tasks' ECS tags.
	// +optional
	// +listType=map
	// +listMapKey=key
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`

	// ttlSecondsAfterStopped is how long each Task is kept after it stopped (default 3600);
	// the history limits may delete it earlier.
	// +optional
	// +kubebuilder:default=3600
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=2592000
	TTLSecondsAfterStopped *int32 `json:"ttlSecondsAfterStopped,omitempty"`
}

// ScheduledTaskStatus says when the schedule ran and runs next.
type ScheduledTaskStatus struct {
	// conditions: Ready (True while the schedule is valid: scheduled, disabled or ended),
	// Stalled (an expression or time zone that does not parse), Reconciling (a pass failed).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation whose spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// state is the state in effect (spec.state as last acted on).
	// +optional
	State ScheduleState `json:"state,omitempty"`

	// resumedAt is when the schedule was last enabled after being DISABLED; runs that fell
	// before it are not started.
	// +optional
	ResumedAt *metav1.Time `json:"resumedAt,omitempty"`

	// lastScheduleTime is the scheduled time of the latest run the controller handled:
	// started, or skipped (too old, or by the concurrency policy).
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// nextScheduleTime is the scheduled time of the next run; with a flexible time window
	// it starts within the window after it. Absent when the schedule has no further run or
	// is disabled.
	// +optional
	NextScheduleTime *metav1.Time `json:"nextScheduleTime,omitempty"`

	// lastSuccessfulTime is the scheduled time of the latest run whose Tasks all stopped
	// well, among the runs still kept.
	// +optional
	LastSuccessfulTime *metav1.Time `json:"lastSuccessfulTime,omitempty"`

	// runs are the runs whose Tasks still exist, newest first.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Runs []ScheduledTaskRun `json:"runs,omitempty"`
}

// ScheduledTaskRun is one run of a ScheduledTask: the Tasks it started and how they went.
type ScheduledTaskRun struct {
	// scheduledTime is the time the run was scheduled for.
	// +required
	ScheduledTime metav1.Time `json:"scheduledTime"`

	// tasks are the names of the run's Tasks.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=63
	Tasks []string `json:"tasks"`

	// outcome is Running until every Task stopped, then Succeeded or Failed.
	// +required
	Outcome RunOutcome `json:"outcome"`
}

// +kubebuilder:object:root=true

// ScheduledTaskList is a list of ScheduledTasks.
type ScheduledTaskList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitzero"`
	// items are the ScheduledTasks.
	Items []ScheduledTask `json:"items"`
}
