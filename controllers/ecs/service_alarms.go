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
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/rollout"
)

// reasonAlarmFired marks a deployment alarm that fired.
const reasonAlarmFired = "DeploymentAlarmFired"

// alarmGate is what the deployment alarms decided in this pass.
type alarmGate struct {
	// id is the deployment the state belongs to.
	id string
	// state is the monitoring state to keep in the deployment's history entry.
	state *ecsv1alpha1.ServiceDeploymentAlarms
	// failure is set when an alarm fired in this pass: the deployment fails.
	failure string
}

// evaluateAlarms evaluates the deployment alarms of the IN_PROGRESS deployment of the spec's
// target (status.serviceDeployments[0]; a ROLLING one in its bake too) when they are due,
// and asks for the pass that evaluates them next. The state, breaches counted toward
// evaluationPeriods included, lives in the history entry, so a restarted controller goes on
// where it was.
func (r *ServiceReconciler) evaluateAlarms(ctx context.Context, s *serviceScope) *alarmGate {
	cfg := s.svc.Spec.DeploymentConfiguration.Alarms
	if !alarms.Enabled(cfg) {
		return nil
	}
	h := s.svc.Status.ServiceDeployments
	if len(h) == 0 || h[0].ID != s.target.ID || h[0].Status != ecsv1alpha1.ServiceDeploymentInProgress {
		return nil
	}
	cur := &h[0]
	prev := cur.Alarms
	if prev == nil || prev.Status == ecsv1alpha1.AlarmsDisabled {
		prev = alarms.Start(cfg)
	}
	g := &alarmGate{id: cur.ID, state: prev}
	if prev.Status != ecsv1alpha1.AlarmsMonitoring {
		return g
	}
	interval := alarms.Interval(cfg)
	if due, next := alarms.Due(prev, interval, s.now); !due {
		s.requeue(next)
		return g
	}
	results := make(map[string]alarms.Result, len(cfg.Queries))
	for _, q := range cfg.Queries {
		samples, err := r.queryPrometheus(ctx, s, cfg, q.Query)
		results[q.Name] = alarms.Result{Samples: samples, Err: err}
	}
	g.state, g.failure = alarms.Evaluate(cfg, prev, results, s.now)
	s.requeue(s.now.Add(interval))
	if g.failure != "" {
		s.event(rollout.EventWarning, reasonAlarmFired, fmt.Sprintf("(service %s) (deployment %s) %s", s.svc.Name, cur.ID, g.failure))
	}
	return g
}

// recordAlarms keeps the alarm state in the newest history entry: what this pass evaluated,
// MONITORING for a deployment that starts with alarms enabled, MONITORING_COMPLETE once it
// ended without one firing.
func (s *serviceScope) recordAlarms() {
	if len(s.history) == 0 {
		return
	}
	e := &s.history[0]
	if g := s.alarms; g != nil && g.id == e.ID {
		e.Alarms = g.state
	}
	if cfg := s.svc.Spec.DeploymentConfiguration.Alarms; e.Alarms == nil && e.ID == s.target.ID && e.Status == ecsv1alpha1.ServiceDeploymentInProgress && alarms.Enabled(cfg) {
		e.Alarms = alarms.Start(cfg)
		s.requeue(s.now) // evaluate from the next pass on
	}
	if e.Status != ecsv1alpha1.ServiceDeploymentInProgress {
		e.Alarms = alarms.Complete(e.Alarms)
	}
}

// queryPrometheus sends one instant query and reads its samples.
func (r *ServiceReconciler) queryPrometheus(ctx context.Context, s *serviceScope, cfg *ecsv1alpha1.DeploymentAlarms, query string) ([]alarms.Sample, error) {
	base := r.AlarmPrometheusURL
	var auth *ecsv1alpha1.SecretKeyReference
	if p := cfg.Prometheus; p != nil {
		base, auth = p.URL, p.AuthorizationSecretRef
		if p.Service != nil {
			base = serviceURL(s.svc.Namespace, p.Service)
		}
	}
	if base == "" {
		return nil, alarms.ErrNoEndpoint
	}
	ctx, cancel := context.WithTimeout(ctx, hookTimeout)
	defer cancel()
	u := strings.TrimSuffix(base, "/") + "/api/v1/query?" + url.Values{"query": {query}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("building the query: %w", err)
	}
	if auth != nil {
		v, err := r.secretValue(ctx, s.svc.Namespace, auth)
		if err != nil {
			return nil, fmt.Errorf("the Prometheus authorization: %w", err)
		}
		req.Header.Set("Authorization", v)
	}
	resp, err := r.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("querying Prometheus: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the Prometheus answer: %w", err)
	}
	samples, err := alarms.Decode(body)
	if err != nil && resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("prometheus answered HTTP %d: %w", resp.StatusCode, err)
	}
	return samples, err
}
