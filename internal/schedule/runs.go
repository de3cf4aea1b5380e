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

package schedule

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/tasks"
)

// TaskNames are the names of the count Tasks a ScheduledTask starts for the run scheduled at
// t: <name>-<unix seconds>, with -1 … -count when count is above 1. They are the same on
// every pass, so a pass whose status write was lost finds the Tasks it created.
func TaskNames(name string, t time.Time, count int) []string {
	base := fmt.Sprintf("%s-%d", name, t.Unix())
	if count <= 1 {
		return []string{base}
	}
	names := make([]string, count)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d", base, i+1)
	}
	return names
}

// ScheduledTime reads the time of the run a Task belongs to from its annotation; ok is false
// for a Task without one.
func ScheduledTime(task *ecsv1alpha1.Task) (time.Time, bool) {
	v, ok := task.Annotations[ecsv1alpha1.ScheduledTimeAnnotation]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

// Run is one run of a ScheduledTask and its Tasks.
type Run struct {
	Status ecsv1alpha1.ScheduledTaskRun
	// Tasks are the run's Tasks, by name.
	Tasks []*ecsv1alpha1.Task
}

// Runs groups a ScheduledTask's Tasks into runs by their scheduled time, newest first. A run
// is Running until each of its Tasks is STOPPED, then Succeeded when every one stopped well
// and Failed otherwise.
func Runs(list []*ecsv1alpha1.Task) []Run {
	byTime := map[time.Time]*Run{}
	for _, task := range list {
		t, ok := ScheduledTime(task)
		if !ok {
			continue
		}
		r := byTime[t]
		if r == nil {
			r = &Run{Status: ecsv1alpha1.ScheduledTaskRun{ScheduledTime: metav1.NewTime(t)}}
			byTime[t] = r
		}
		r.Tasks = append(r.Tasks, task)
	}
	runs := make([]Run, 0, len(byTime))
	for _, r := range byTime {
		slices.SortFunc(r.Tasks, func(a, b *ecsv1alpha1.Task) int { return cmp.Compare(a.Name, b.Name) })
		r.Status.Outcome = ecsv1alpha1.RunSucceeded
		for _, task := range r.Tasks {
			r.Status.Tasks = append(r.Status.Tasks, task.Name)
			switch {
			case task.Status.LastStatus != ecsv1alpha1.TaskStopped:
				r.Status.Outcome = ecsv1alpha1.RunRunning
			case !tasks.StandaloneSucceeded(&task.Status) && r.Status.Outcome == ecsv1alpha1.RunSucceeded:
				r.Status.Outcome = ecsv1alpha1.RunFailed
			}
		}
		runs = append(runs, *r)
	}
	slices.SortFunc(runs, func(a, b Run) int { return b.Status.ScheduledTime.Compare(a.Status.ScheduledTime.Time) })
	return runs
}

// Prune splits runs (newest first) into those kept and those whose Tasks are deleted: the
// newest successful runs up to successful, the newest failed ones up to failed, and every
// run still running are kept.
func Prune(runs []Run, successful, failed int) (keep, prune []Run) {
	for _, r := range runs {
		switch r.Status.Outcome {
		case ecsv1alpha1.RunSucceeded:
			if successful--; successful < 0 {
				prune = append(prune, r)
				continue
			}
		case ecsv1alpha1.RunFailed:
			if failed--; failed < 0 {
				prune = append(prune, r)
				continue
			}
		}
		keep = append(keep, r)
	}
	return keep, prune
}
