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
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

func TestTaskNames(t *testing.T) {
	at := utc("2026-03-01T10:00:00Z")
	if got := TaskNames("nightly", at, 1); !slices.Equal(got, []string{"nightly-1772359200"}) {
		t.Errorf("count 1: %v", got)
	}
	if got := TaskNames("nightly", at, 3); !slices.Equal(got, []string{"nightly-1772359200-1", "nightly-1772359200-2", "nightly-1772359200-3"}) {
		t.Errorf("count 3: %v", got)
	}
	// The longest ScheduledTask name (49) with count 10 still makes Task names of 63.
	long := TaskNames("a23456789012345678901234567890123456789012345678b", utc("2199-12-31T23:59:00Z"), 10)
	if n := len(long[9]); n > 63 {
		t.Errorf("%s has %d characters, above 63", long[9], n)
	}
}

func task(name, at string, state ecsv1alpha1.TaskState, code int32) *ecsv1alpha1.Task {
	tk := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{ecsv1alpha1.ScheduledTimeAnnotation: at}}}
	tk.Status.LastStatus = state
	if state == ecsv1alpha1.TaskStopped {
		tk.Status.StopCode, tk.Status.ExitCode = ecsv1alpha1.StopCodeEssentialContainerExited, ptr.To(code)
	}
	return tk
}

// TestRunsAndPrune: runs group Tasks by scheduled time, newest first; a run is Running while
// any Task runs, Failed when one failed, Succeeded when all stopped well; pruning keeps the
// newest finished runs of each outcome up to the limits and every running one.
func TestRunsAndPrune(t *testing.T) {
	const h10, h11, h12, h13, h14 = "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z", "2026-03-01T12:00:00Z", "2026-03-01T13:00:00Z", "2026-03-01T14:00:00Z"
	runs := Runs([]*ecsv1alpha1.Task{
		task("a", h10, ecsv1alpha1.TaskStopped, 0),
		task("b-1", h11, ecsv1alpha1.TaskStopped, 0), task("b-2", h11, ecsv1alpha1.TaskStopped, 1),
		task("c-2", h12, ecsv1alpha1.TaskStopped, 0), task("c-1", h12, ecsv1alpha1.TaskStopped, 0),
		task("d-1", h13, ecsv1alpha1.TaskStopped, 1), task("d-2", h13, ecsv1alpha1.TaskRunning, 0),
		task("e", h14, ecsv1alpha1.TaskStopped, 3),
		{ObjectMeta: metav1.ObjectMeta{Name: "stray"}}, // no scheduled time: not a run
	})
	var got []string
	for _, r := range runs {
		got = append(got, r.Status.ScheduledTime.UTC().Format("15")+" "+string(r.Status.Outcome)+" "+fmtNames(r.Status.Tasks))
	}
	want := []string{"14 Failed e", "13 Running d-1,d-2", "12 Succeeded c-1,c-2", "11 Failed b-1,b-2", "10 Succeeded a"}
	if !slices.Equal(got, want) {
		t.Fatalf("runs %q, want %q", got, want)
	}
	keep, prune := Prune(runs, 1, 1)
	times := func(rs []Run) (out []string) {
		for _, r := range rs {
			out = append(out, r.Status.ScheduledTime.UTC().Format("15"))
		}
		return out
	}
	if k, p := times(keep), times(prune); !slices.Equal(k, []string{"14", "13", "12"}) || !slices.Equal(p, []string{"11", "10"}) {
		t.Fatalf("keep %v prune %v, want keep 14 13 12, prune 11 10", k, p)
	}
	if _, prune := Prune(runs, 0, 0); len(prune) != 4 {
		t.Fatalf("limits 0: pruned %d runs, want every finished one (4)", len(prune))
	}
}

func fmtNames(names []string) string {
	return strings.Join(names, ",")
}
