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

package alarms

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

func TestDecode(t *testing.T) {
	cases := []struct {
		name, body string
		want       []Sample
		err        string
	}{
		{name: "vector", body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"errors","job":"web"},"value":[1700000000.1,"3"]},{"metric":{},"value":[1700000000.1,"NaN"]}]}}`,
			want: []Sample{{Metric: `errors{job="web"}`, Value: 3}, {Metric: "{}"}}},
		{name: "empty vector", body: `{"status":"success","data":{"resultType":"vector","result":[]}}`},
		{name: "scalar", body: `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"0.25"]}}`,
			want: []Sample{{Metric: "scalar", Value: 0.25}}},
		{name: "matrix takes the last value", body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1,"1"],[2,"7"]]}]}}`,
			want: []Sample{{Metric: `{a="1"}`, Value: 7}}},
		{name: "error status", body: `{"status":"error","errorType":"bad_data","error":"parse error at char 3"}`, err: "the query failed (bad_data): parse error at char 3"},
		{name: "not json", body: `<html>`, err: "not a Prometheus API answer"},
		{name: "string result", body: `{"status":"success","data":{"resultType":"string","result":[1,"x"]}}`, err: `answered a "string"`},
		{name: "bad value", body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}`, err: `a sample value "x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Decode([]byte(c.body))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i].Metric != c.want[i].Metric || (got[i].Value != c.want[i].Value && !(got[i].Value != got[i].Value && c.want[i].Value == 0)) {
					t.Errorf("sample %d = %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestBreach(t *testing.T) {
	nan := Sample{Metric: "nan", Value: 0}
	nan.Value = nan.Value / nan.Value // NaN without importing math in the table
	cases := []struct {
		name    string
		q       ecsv1alpha1.AlarmQuery
		samples []Sample
		want    bool
	}{
		{name: "no threshold, empty result", q: ecsv1alpha1.AlarmQuery{}, want: false},
		{name: "no threshold, any sample", q: ecsv1alpha1.AlarmQuery{}, samples: []Sample{{Value: 0}}, want: true},
		{name: "greater, above", q: ecsv1alpha1.AlarmQuery{Threshold: "0.05"}, samples: []Sample{{Value: 0.01}, {Value: 0.06}}, want: true},
		{name: "greater, equal", q: ecsv1alpha1.AlarmQuery{Threshold: "1"}, samples: []Sample{{Value: 1}}, want: false},
		{name: "greater or equal, equal", q: ecsv1alpha1.AlarmQuery{Threshold: "1", ComparisonOperator: ecsv1alpha1.GreaterThanOrEqualToThreshold}, samples: []Sample{{Value: 1}}, want: true},
		{name: "less, below", q: ecsv1alpha1.AlarmQuery{Threshold: "0.99", ComparisonOperator: ecsv1alpha1.LessThanThreshold}, samples: []Sample{{Value: 0.98}}, want: true},
		{name: "less or equal, above", q: ecsv1alpha1.AlarmQuery{Threshold: "-1e1", ComparisonOperator: ecsv1alpha1.LessThanOrEqualToThreshold}, samples: []Sample{{Value: -9}}, want: false},
		{name: "threshold with empty result", q: ecsv1alpha1.AlarmQuery{Threshold: "0"}, want: false},
		{name: "NaN never breaches", q: ecsv1alpha1.AlarmQuery{Threshold: "0", ComparisonOperator: ecsv1alpha1.LessThanThreshold}, samples: []Sample{nan}, want: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, detail, err := Breach(c.q, c.samples)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("breach = %v (%s), want %v", got, detail, c.want)
			}
			if got && detail == "" {
				t.Error("a breach names its sample")
			}
		})
	}
}

func TestEvaluateCountsRunsAndFires(t *testing.T) {
	cfg := &ecsv1alpha1.DeploymentAlarms{Enable: true, Rollback: true, Queries: []ecsv1alpha1.AlarmQuery{
		{Name: "errors", Query: "x", Threshold: "1", EvaluationPeriods: ptr.To[int32](3)},
		{Name: "latency", Query: "y"},
	}}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	breach := Result{Samples: []Sample{{Metric: "e", Value: 2}}}
	clean := Result{Samples: []Sample{{Metric: "e", Value: 0}}}
	none := Result{}
	down := Result{Err: errors.New("connection refused")}

	steps := []struct {
		results   map[string]Result
		wantRun   int32
		wantFired string
	}{
		{map[string]Result{"errors": breach, "latency": none}, 1, ""},
		{map[string]Result{"errors": down, "latency": none}, 1, ""},   // no data keeps the run
		{map[string]Result{"errors": breach, "latency": none}, 2, ""}, // still one short
		{map[string]Result{"errors": clean, "latency": none}, 0, ""},  // a clean answer resets it
		{map[string]Result{"errors": breach, "latency": none}, 1, ""},
		{map[string]Result{"errors": breach, "latency": none}, 2, ""},
		{map[string]Result{"errors": breach, "latency": none}, 3, "errors"},
	}
	st := Start(cfg)
	if st.Status != ecsv1alpha1.AlarmsMonitoring || len(st.AlarmNames) != 2 {
		t.Fatalf("start = %+v", st)
	}
	for i, s := range steps {
		var failure string
		st, failure = Evaluate(cfg, st, s.results, now.Add(time.Duration(i)*time.Minute))
		var run int32
		for _, b := range st.Breaches {
			if b.Name == "errors" {
				run = b.Count
			}
		}
		if run != s.wantRun {
			t.Fatalf("step %d: run = %d, want %d (%+v)", i, run, s.wantRun, st)
		}
		if (failure != "") != (s.wantFired != "") {
			t.Fatalf("step %d: failure = %q, want one naming %q", i, failure, s.wantFired)
		}
		if s.wantFired != "" {
			if st.Status != ecsv1alpha1.AlarmsTriggered || len(st.TriggeredAlarmNames) != 1 || st.TriggeredAlarmNames[0] != s.wantFired ||
				!strings.Contains(failure, "alarm errors is in ALARM") {
				t.Fatalf("step %d: state %+v, failure %q", i, st, failure)
			}
		} else if st.Status != ecsv1alpha1.AlarmsMonitoring {
			t.Fatalf("step %d: status %s", i, st.Status)
		}
	}
	// TRIGGERED is final.
	again, failure := Evaluate(cfg, st, map[string]Result{"errors": clean, "latency": none}, now.Add(time.Hour))
	if again.Status != ecsv1alpha1.AlarmsTriggered || failure != "" {
		t.Fatalf("after firing: %+v %q", again, failure)
	}
	if Complete(again).Status != ecsv1alpha1.AlarmsTriggered {
		t.Fatal("Complete must not hide a TRIGGERED state")
	}
}

func TestEvaluateNoDataNeverFires(t *testing.T) {
	cfg := &ecsv1alpha1.DeploymentAlarms{Enable: true, Queries: []ecsv1alpha1.AlarmQuery{{Name: "a", Query: "up == 0"}}}
	st := Start(cfg)
	for i := range 20 {
		var failure string
		st, failure = Evaluate(cfg, st, map[string]Result{"a": {Err: ErrNoEndpoint}}, time.Unix(int64(i), 0))
		if failure != "" {
			t.Fatalf("fired on no data: %q", failure)
		}
	}
	if !strings.Contains(st.Message, "INSUFFICIENT_DATA") || !strings.Contains(st.Message, "--alarm-prometheus-url") {
		t.Fatalf("message = %q", st.Message)
	}
	if Complete(st).Status != ecsv1alpha1.AlarmsMonitoringComplete {
		t.Fatal("Complete")
	}
}

func TestDisabledAndDue(t *testing.T) {
	if st, f := Evaluate(&ecsv1alpha1.DeploymentAlarms{Enable: false, Queries: []ecsv1alpha1.AlarmQuery{{Name: "a", Query: "x"}}}, nil, nil, time.Now()); st.Status != ecsv1alpha1.AlarmsDisabled || f != "" {
		t.Fatalf("disabled: %+v %q", st, f)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if due, _ := Due(nil, time.Second, now); !due {
		t.Fatal("first evaluation is due at once")
	}
	last := metav1.NewTime(now)
	st := &ecsv1alpha1.ServiceDeploymentAlarms{LastEvaluatedAt: &last}
	if due, next := Due(st, 15*time.Second, now.Add(10*time.Second)); due || !next.Equal(now.Add(15*time.Second)) {
		t.Fatalf("due = %v, next = %v", due, next)
	}
	if due, _ := Due(st, 15*time.Second, now.Add(15*time.Second)); !due {
		t.Fatal("due after the interval")
	}
	if Interval(&ecsv1alpha1.DeploymentAlarms{EvaluationIntervalSeconds: ptr.To[int32](5)}) != 5*time.Second || Interval(nil) != DefaultInterval {
		t.Fatal("Interval")
	}
}
