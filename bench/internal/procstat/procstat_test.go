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

package procstat

import (
	"os"
	"testing"
	"time"
)

func TestReadProcessStat(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		wantErr    bool
	}{
		{
			name: "plain command",
			stat: "4242 (kube-apiserver) S 1 4242 4242 0 -1 4194560 123 0 0 0 1500 250 0 0 20 0 12 0 100 0 0",
			want: 1750 * tick,
		},
		{
			name: "command with spaces and parentheses",
			stat: "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5 0 0",
			want: 7 * tick,
		},
		{name: "no command", stat: "7 R 1 7", wantErr: true},
		{name: "too few fields", stat: "7 (x) R 1 7 7 0", wantErr: true},
		{name: "not a number", stat: "7 (x) R 1 7 7 0 -1 0 0 0 0 0 x 4 0 0", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProcess([]byte(tc.stat))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestReadMachineStat(t *testing.T) {
	got, err := parseMachine("cpu  100 5 50 800 20 3 2 1 40 0")
	if err != nil {
		t.Fatal(err)
	}
	want := CPU{Idle: 800 * tick, IOWait: 20 * tick, Steal: 1 * tick, Total: 981 * tick}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if busy := got.Busy(); busy != 161*tick {
		t.Errorf("busy %s, want %s", busy, 161*tick)
	}
	if d := got.Sub(CPU{Idle: 750 * tick, IOWait: 10 * tick, Total: 900 * tick}); d != (CPU{Idle: 50 * tick, IOWait: 10 * tick, Steal: 1 * tick, Total: 81 * tick}) {
		t.Errorf("sub %+v", d)
	}
	for _, bad := range []string{"", "intr 1 2 3", "cpu 1 2 3", "cpu 1 2 3 x 5 6 7 8"} {
		if _, err := parseMachine(bad); err == nil {
			t.Errorf("parseMachine(%q): no error", bad)
		}
	}
}

// TestReadsThisMachine reads this process and this machine while the test spins: both must
// be there and move forward (in clock ticks of 10 ms, so the spin lasts a few).
func TestReadsThisMachine(t *testing.T) {
	before, err := Machine()
	if err != nil {
		t.Fatal(err)
	}
	self0, err := Process(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var self time.Duration
	var spent CPU
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if self, err = Process(os.Getpid()); err != nil {
			t.Fatal(err)
		}
		after, err := Machine()
		if err != nil {
			t.Fatal(err)
		}
		if spent = after.Sub(before); self > self0 && spent.Busy() > 0 {
			break
		}
	}
	if self <= self0 {
		t.Errorf("this process used no CPU time while spinning for 5 s: %s → %s", self0, self)
	}
	if spent.Total <= 0 || spent.Busy() <= 0 {
		t.Errorf("the machine's CPU time did not advance while this process spun: %+v", spent)
	}
	if _, err := Process(-1); err == nil {
		t.Error("Process(-1): no error")
	}
}
