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

package ecs

import (
	"fmt"
	"testing"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/rollout"
)

func TestPrependEvents(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var old []ecsv1alpha1.ServiceEvent
	for i := range maxStatusEvents {
		old = append(old, ecsv1alpha1.ServiceEvent{ID: fmt.Sprint(i), Message: fmt.Sprintf("old %d", i)})
	}
	got := prependEvents(old, []rollout.Event{{Message: "first"}, {Message: "second"}}, now)
	if len(got) != maxStatusEvents {
		t.Fatalf("%d events, want the newest %d", len(got), maxStatusEvents)
	}
	if got[0].Message != "second" || got[1].Message != "first" || got[2].Message != "old 0" || got[len(got)-1].Message != "old 97" {
		t.Errorf("order: %q %q %q … %q, want newest first", got[0].Message, got[1].Message, got[2].Message, got[len(got)-1].Message)
	}
	if got[0].ID == "" || got[0].ID == got[1].ID || !got[0].CreatedAt.Time.Equal(now) {
		t.Errorf("new events need distinct ids and the pass time: %+v %+v", got[0], got[1])
	}
	if same := prependEvents(old[:3], nil, now); len(same) != 3 {
		t.Errorf("no new events changed the list: %d", len(same))
	}
}

// TestReplicaServicesUseThePlannersChooser keeps one scale-in rule: REPLICA services must hand
// the planner no chooser of their own, so what runs is rollout.ZoneBalancedVictims, the one
// the planner's golden sequences and property test exercise.
func TestReplicaServicesUseThePlannersChooser(t *testing.T) {
	for _, strategy := range []ecsv1alpha1.SchedulingStrategy{"", ecsv1alpha1.SchedulingStrategyReplica} {
		s := &serviceScope{svc: &ecsv1alpha1.Service{Spec: ecsv1alpha1.ServiceSpec{SchedulingStrategy: strategy}}}
		if victimChooser(s) != nil {
			t.Errorf("schedulingStrategy %q: the Service controller passes its own victim chooser; the planner's tests would not run it", strategy)
		}
	}
	s := &serviceScope{svc: &ecsv1alpha1.Service{Spec: ecsv1alpha1.ServiceSpec{SchedulingStrategy: ecsv1alpha1.SchedulingStrategyDaemon}}}
	if victimChooser(s) == nil {
		t.Error("DAEMON services need the per-node chooser")
	}
}
