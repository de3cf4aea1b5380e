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
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
)

// DefaultInterval is how often the queries are evaluated when evaluationIntervalSeconds is
// not set.
const DefaultInterval = 15 * time.Second

// Interval is the evaluation interval of a configuration.
func Interval(cfg *ecsv1alpha1.DeploymentAlarms) time.Duration {
	if cfg == nil || cfg.EvaluationIntervalSeconds == nil {
		return DefaultInterval
	}
	return time.Duration(*cfg.EvaluationIntervalSeconds) * time.Second
}

// Enabled reports whether cfg watches any alarm.
func Enabled(cfg *ecsv1alpha1.DeploymentAlarms) bool {
	return cfg != nil && cfg.Enable && len(cfg.Queries) > 0
}

// Sample is one element of an instant query's result: its series' labels, printed, and its
// value.
type Sample struct {
	Metric string
	Value  float64
}

// Result is the answer to one alarm's query: its samples, or why there is no data.
type Result struct {
	Samples []Sample
	// Err is set when the query could not be answered (unreachable API, bad query, error
	// status): the alarm has INSUFFICIENT_DATA and its run of breaches is kept as it was.
	Err error
}

// queryResponse is the Prometheus HTTP API's envelope.
type queryResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

type queryData struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

type vectorElem struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

type matrixElem struct {
	Metric map[string]string `json:"metric"`
	Values [][2]any          `json:"values"`
}

// Decode reads the body of a Prometheus HTTP API instant query (/api/v1/query): a vector's
// samples, a scalar as one sample, a matrix's last value of each series. An error status or
// a body that is not the API's envelope is an error.
func Decode(body []byte) ([]Sample, error) {
	var env queryResponse
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("not a Prometheus API answer: %w", err)
	}
	if env.Status != "success" {
		if env.Error != "" {
			return nil, fmt.Errorf("the query failed (%s): %s", env.ErrorType, env.Error)
		}
		return nil, fmt.Errorf("the query failed with status %q", env.Status)
	}
	var data queryData
	if err := json.Unmarshal(env.Data, &data); err != nil {
		return nil, fmt.Errorf("decoding the query's data: %w", err)
	}
	var out []Sample
	switch data.ResultType {
	case "vector":
		var v []vectorElem
		if err := json.Unmarshal(data.Result, &v); err != nil {
			return nil, fmt.Errorf("decoding a vector: %w", err)
		}
		for _, e := range v {
			f, err := value(e.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Metric: metricString(e.Metric), Value: f})
		}
	case "scalar":
		var sc [2]any
		if err := json.Unmarshal(data.Result, &sc); err != nil {
			return nil, fmt.Errorf("decoding a scalar: %w", err)
		}
		f, err := value(sc)
		if err != nil {
			return nil, err
		}
		out = append(out, Sample{Metric: "scalar", Value: f})
	case "matrix":
		var m []matrixElem
		if err := json.Unmarshal(data.Result, &m); err != nil {
			return nil, fmt.Errorf("decoding a matrix: %w", err)
		}
		for _, e := range m {
			if len(e.Values) == 0 {
				continue
			}
			f, err := value(e.Values[len(e.Values)-1])
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Metric: metricString(e.Metric), Value: f})
		}
	default:
		return nil, fmt.Errorf("the query answered a %q, want a vector, scalar or matrix", data.ResultType)
	}
	return out, nil
}

// value reads a [timestamp, "value"] pair.
func value(p [2]any) (float64, error) {
	s, ok := p[1].(string)
	if !ok {
		return 0, fmt.Errorf("a sample value is %v, want a string", p[1])
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("a sample value %q: %w", s, err)
	}
	return f, nil
}

// metricString prints a label set as PromQL does, {a="1", b="2"} in name order, with the
// metric name in front.
func metricString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+strconv.Quote(m[k]))
	}
	return m["__name__"] + "{" + strings.Join(parts, ", ") + "}"
}

// Breach reports whether the samples breach the alarm, and the first sample that does. NaN
// samples never breach; without a threshold any sample does.
func Breach(q ecsv1alpha1.AlarmQuery, samples []Sample) (bool, string, error) {
	if q.Threshold == "" {
		if len(samples) == 0 {
			return false, "", nil
		}
		return true, fmt.Sprintf("%s = %s", samples[0].Metric, formatValue(samples[0].Value)), nil
	}
	t, err := strconv.ParseFloat(q.Threshold, 64)
	if err != nil {
		return false, "", fmt.Errorf("threshold %q: %w", q.Threshold, err)
	}
	for _, s := range samples {
		if math.IsNaN(s.Value) {
			continue
		}
		var b bool
		switch q.ComparisonOperator {
		case ecsv1alpha1.GreaterThanOrEqualToThreshold:
			b = s.Value >= t
		case ecsv1alpha1.LessThanThreshold:
			b = s.Value < t
		case ecsv1alpha1.LessThanOrEqualToThreshold:
			b = s.Value <= t
		default:
			b = s.Value > t
		}
		if b {
			return true, fmt.Sprintf("%s = %s, threshold %s (%s)", s.Metric, formatValue(s.Value), q.Threshold,
				cmp.Or(q.ComparisonOperator, ecsv1alpha1.GreaterThanThreshold)), nil
		}
	}
	return false, "", nil
}

func formatValue(f float64) string {
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// Due reports whether the queries are to be evaluated now, given the state kept in status;
// otherwise it gives the time they are next due.
func Due(st *ecsv1alpha1.ServiceDeploymentAlarms, interval time.Duration, now time.Time) (bool, time.Time) {
	if st == nil || st.LastEvaluatedAt == nil {
		return true, now
	}
	next := st.LastEvaluatedAt.Add(interval)
	return !now.Before(next), next
}

// Start is the monitoring state a deployment starts with.
func Start(cfg *ecsv1alpha1.DeploymentAlarms) *ecsv1alpha1.ServiceDeploymentAlarms {
	if !Enabled(cfg) {
		return &ecsv1alpha1.ServiceDeploymentAlarms{Status: ecsv1alpha1.AlarmsDisabled}
	}
	st := &ecsv1alpha1.ServiceDeploymentAlarms{Status: ecsv1alpha1.AlarmsMonitoring}
	for _, q := range cfg.Queries {
		st.AlarmNames = append(st.AlarmNames, q.Name)
	}
	return st
}

// Evaluate folds one evaluation's results (alarm name → result) into the state kept in
// status: a breach adds one to the alarm's run, a clean answer resets it, no data keeps it.
// An alarm whose run reaches its evaluationPeriods fires: the state becomes TRIGGERED and
// Evaluate returns the failure message the deployment fails with ("" while nothing fired).
// A TRIGGERED state stays as it is.
func Evaluate(cfg *ecsv1alpha1.DeploymentAlarms, prev *ecsv1alpha1.ServiceDeploymentAlarms, results map[string]Result, now time.Time) (*ecsv1alpha1.ServiceDeploymentAlarms, string) {
	st := Start(cfg)
	if prev != nil && prev.Status == ecsv1alpha1.AlarmsTriggered {
		return prev.DeepCopy(), ""
	}
	if st.Status == ecsv1alpha1.AlarmsDisabled {
		return st, ""
	}
	runs := map[string]int32{}
	if prev != nil {
		for _, b := range prev.Breaches {
			runs[b.Name] = b.Count
		}
	}
	at := metav1.NewTime(now)
	st.LastEvaluatedAt = &at
	var notes, firing []string
	var errs []error
	for _, q := range cfg.Queries {
		periods := int32(1)
		if q.EvaluationPeriods != nil {
			periods = max(*q.EvaluationPeriods, 1)
		}
		res, ok := results[q.Name]
		run := runs[q.Name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("alarm %s: not evaluated", q.Name))
		case res.Err != nil:
			errs = append(errs, fmt.Errorf("alarm %s: INSUFFICIENT_DATA: %w", q.Name, res.Err))
		default:
			breached, detail, err := Breach(q, res.Samples)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("alarm %s: %w", q.Name, err))
			case breached:
				run++
				notes = append(notes, fmt.Sprintf("alarm %s breached (%d of %d): %s", q.Name, run, periods, detail))
				if run >= periods {
					firing = append(firing, q.Name)
				}
			default:
				run = 0
			}
		}
		if run > 0 {
			st.Breaches = append(st.Breaches, ecsv1alpha1.AlarmBreach{Name: q.Name, Count: run})
		}
	}
	msgs := notes
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	st.Message = conditions.Truncate(strings.Join(msgs, "; "), 1024)
	if len(firing) == 0 {
		if st.Message == "" {
			st.Message = "OK"
		}
		return st, ""
	}
	st.Status, st.TriggeredAlarmNames = ecsv1alpha1.AlarmsTriggered, firing
	return st, fmt.Sprintf("alarm %s is in ALARM: %s", strings.Join(firing, ", "), st.Message)
}

// Complete marks the monitoring of a deployment that ended without an alarm firing.
func Complete(st *ecsv1alpha1.ServiceDeploymentAlarms) *ecsv1alpha1.ServiceDeploymentAlarms {
	if st == nil || st.Status != ecsv1alpha1.AlarmsMonitoring {
		return st
	}
	out := st.DeepCopy()
	out.Status = ecsv1alpha1.AlarmsMonitoringComplete
	return out
}

// ErrNoEndpoint is the INSUFFICIENT_DATA cause when neither the Service nor the manager names
// a Prometheus endpoint.
var ErrNoEndpoint = errors.New("no Prometheus endpoint: set deploymentConfiguration.alarms.prometheus or the manager's --alarm-prometheus-url")
