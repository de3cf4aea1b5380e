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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/placement"
)

// rebalanceObserved is a steady 3-task service of three zones; skewed puts every task in
// zone-a, otherwise one per zone.
func rebalanceObserved(skewed bool, lower, upper int32) RebalanceObserved {
	zones := []string{"zone-a", "zone-b", "zone-c"}
	o := RebalanceObserved{Service: "web", Now: t0, Enabled: true, Healthy: map[string]bool{}, Steady: true,
		Desired: 3, Lower: lower, Upper: upper, Zones: zones, Nodes: "n1"}
	for i, name := range []string{"t1", "t2", "t3"} {
		zone := zones[i]
		if skewed {
			zone = "zone-a"
		}
		o.Members = append(o.Members, placement.Member{Name: name, Zone: zone, Node: zone + "-node"})
		o.Healthy[name] = true
	}
	return o
}

func eventReasons(es []Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Reason
	}
	return out
}

func TestDecideRebalance(t *testing.T) {
	inProgress := RebalanceState{InProgress: true}
	blocked := RebalanceState{InProgress: true, Blocked: true}
	backingOff := RebalanceState{InProgress: true, RetryAfter: t0.Add(time.Minute), RetryNodes: "n1"}
	tests := []struct {
		name       string
		observed   func() RebalanceObserved
		prev       RebalanceState
		wantMove   placement.MoveKind
		wantVictim bool
		wantEvents []string
		wantNext   RebalanceState
		wantSteady bool
		wantRetry  bool
	}{{
		name:       "start-first when the upper bound has room: announced once",
		observed:   func() RebalanceObserved { return rebalanceObserved(true, 3, 6) },
		wantMove:   placement.MoveStartFirst,
		wantEvents: []string{ReasonAZRebalancing},
		wantNext:   inProgress,
		wantSteady: true,
	}, {
		name:       "a pass after a restart, mid-move, announces nothing again",
		observed:   func() RebalanceObserved { return rebalanceObserved(true, 3, 6) },
		prev:       inProgress,
		wantMove:   placement.MoveStartFirst,
		wantEvents: []string{},
		wantNext:   inProgress,
		wantSteady: true,
	}, {
		name:       "stop-first when only the lower bound has room",
		observed:   func() RebalanceObserved { return rebalanceObserved(true, 2, 3) },
		wantMove:   placement.MoveStopFirst,
		wantVictim: true,
		wantEvents: []string{ReasonAZRebalancing, ReasonTasksStopped},
		wantNext:   inProgress,
		wantSteady: true,
	}, {
		name:       "blocked by both bounds: said once",
		observed:   func() RebalanceObserved { return rebalanceObserved(true, 3, 3) },
		wantMove:   placement.MoveBlocked,
		wantEvents: []string{ReasonAZRebalancingBlocked},
		wantNext:   blocked,
		wantSteady: true,
	}, {
		name:       "still blocked after a restart: not said again",
		observed:   func() RebalanceObserved { return rebalanceObserved(true, 3, 3) },
		prev:       blocked,
		wantMove:   placement.MoveBlocked,
		wantEvents: []string{},
		wantNext:   blocked,
		wantSteady: true,
	}, {
		name:       "unblocked: the move is announced again",
		observed:   func() RebalanceObserved { return rebalanceObserved(true, 3, 6) },
		prev:       blocked,
		wantMove:   placement.MoveStartFirst,
		wantEvents: []string{ReasonAZRebalancing},
		wantNext:   inProgress,
		wantSteady: true,
	}, {
		name:       "balanced again: said, state cleared",
		observed:   func() RebalanceObserved { return rebalanceObserved(false, 3, 6) },
		prev:       inProgress,
		wantEvents: []string{ReasonAZBalanced},
		wantSteady: true,
	}, {
		name:       "balanced and nothing under way: quiet",
		observed:   func() RebalanceObserved { return rebalanceObserved(false, 3, 6) },
		wantEvents: []string{},
		wantSteady: true,
	}, {
		name: "the moved task could not be placed: back off",
		observed: func() RebalanceObserved {
			o := rebalanceObserved(true, 3, 6)
			o.UnplacedZone, o.Moving = "zone-c", true
			return o
		},
		prev:       inProgress,
		wantEvents: []string{ReasonAZRebalancing},
		wantNext:   RebalanceState{InProgress: true, RetryAfter: t0.Add(RebalanceBackoff), RetryNodes: "n1"},
		wantSteady: true,
	}, {
		name:       "backing off (kept in status across a restart): no move, a pass when it ends",
		observed:   func() RebalanceObserved { return rebalanceObserved(true, 3, 6) },
		prev:       backingOff,
		wantEvents: []string{},
		wantNext:   backingOff,
		wantSteady: true,
		wantRetry:  true,
	}, {
		name: "the eligible nodes changed: the wait ends at once and is forgotten",
		observed: func() RebalanceObserved {
			o := rebalanceObserved(true, 3, 6)
			o.Nodes = "n2"
			return o
		},
		prev:       backingOff,
		wantMove:   placement.MoveStartFirst,
		wantEvents: []string{},
		wantNext:   inProgress,
		wantSteady: true,
	}, {
		name: "the wait is over",
		observed: func() RebalanceObserved {
			o := rebalanceObserved(true, 3, 6)
			o.Now = t0.Add(2 * time.Minute)
			return o
		},
		prev:       backingOff,
		wantMove:   placement.MoveStartFirst,
		wantEvents: []string{},
		wantNext:   inProgress,
		wantSteady: true,
	}, {
		name: "a rollout is under way: nothing moves",
		observed: func() RebalanceObserved {
			o := rebalanceObserved(true, 3, 6)
			o.OtherDeployments, o.Steady = true, false
			return o
		},
		prev:       inProgress,
		wantEvents: []string{},
		wantNext:   inProgress,
	}, {
		name: "rebalancing turned off: the state is dropped, the wait kept",
		observed: func() RebalanceObserved {
			o := rebalanceObserved(true, 3, 6)
			o.Enabled = false
			return o
		},
		prev:       backingOff,
		wantEvents: []string{},
		wantNext:   RebalanceState{RetryAfter: backingOff.RetryAfter, RetryNodes: "n1"},
		wantSteady: true,
	}, {
		name: "a move in flight keeps the service steady",
		observed: func() RebalanceObserved {
			o := rebalanceObserved(true, 3, 6)
			o.Moving, o.Steady = true, false
			return o
		},
		prev:       inProgress,
		wantEvents: []string{},
		wantNext:   inProgress,
		wantSteady: true,
	}, {
		name: "a task in no zone: no decision on a picture about to change",
		observed: func() RebalanceObserved {
			o := rebalanceObserved(true, 3, 6)
			o.Members[2].Zone, o.Members[2].Node = "", ""
			return o
		},
		wantEvents: []string{},
		wantSteady: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DecideRebalance(tt.observed(), tt.prev)
			if d.Move.Kind != tt.wantMove || (d.Move.Victim != "") != tt.wantVictim {
				t.Errorf("move = %+v, want kind %v (victim: %v)", d.Move, tt.wantMove, tt.wantVictim)
			}
			if got := eventReasons(d.Events); !slices.Equal(got, tt.wantEvents) {
				t.Errorf("events %v, want %v", got, tt.wantEvents)
			}
			if d.Next != tt.wantNext {
				t.Errorf("next = %+v, want %+v", d.Next, tt.wantNext)
			}
			if d.Steady != tt.wantSteady {
				t.Errorf("steady = %v, want %v", d.Steady, tt.wantSteady)
			}
			if !d.RetryAt.IsZero() != tt.wantRetry {
				t.Errorf("retryAt = %v, want a pass at the back-off's end: %v", d.RetryAt, tt.wantRetry)
			}
			for _, e := range d.Events {
				if !strings.Contains(e.Message, "(service web)") {
					t.Errorf("event %q does not name the service", e.Message)
				}
			}
		})
	}
}
