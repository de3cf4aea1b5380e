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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/rollout"
)

// Lifecycle hook calls.
const (
	// hookTimeout bounds one hook call.
	hookTimeout = 5 * time.Second
	// hookMaxFailedCalls is how many calls in a row may get no answer before the deployment
	// rolls back.
	hookMaxFailedCalls = 3
	// hookRetryDelay is the wait after a call that got no answer.
	hookRetryDelay = 5 * time.Second
	// hookDefaultCallBack is ECS's default wait after IN_PROGRESS.
	hookDefaultCallBack = 30 * time.Second
	// reasonHookFailed marks a lifecycle hook that answered FAILED or could not be reached.
	reasonHookFailed = "LifecycleHookFailed"
)

// hookGate is what the hooks of the current stage decided in this pass.
type hookGate struct {
	hooked  map[ecsv1alpha1.LifecycleStage]bool
	passed  bool
	failure string
	// statuses are the hook calls of the current stage, for the history entry.
	statuses []ecsv1alpha1.HookStatus
	stage    ecsv1alpha1.LifecycleStage
}

// hookRequest is the JSON body a hook is POSTed (ECS's Lambda event, in Kubernetes terms).
type hookRequest struct {
	ExecutionID          string          `json:"executionId"`
	Namespace            string          `json:"namespace"`
	ServiceName          string          `json:"serviceName"`
	DeploymentID         string          `json:"deploymentId"`
	LifecycleStage       string          `json:"lifecycleStage"`
	SourceDeployment     string          `json:"sourceDeployment,omitempty"`
	SourceTaskDefinition string          `json:"sourceTaskDefinition,omitempty"`
	TargetTaskDefinition string          `json:"targetTaskDefinition"`
	HookDetails          json.RawMessage `json:"hookDetails,omitempty"`
}

// hookResponse is a hook's answer.
type hookResponse struct {
	HookStatus           ecsv1alpha1.HookState `json:"hookStatus"`
	CallBackDelaySeconds *int32                `json:"callBackDelaySeconds,omitempty"`
}

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// callHooks calls the lifecycle hooks of the stage the in-progress staged deployment is in
// (status.serviceDeployments[0]) that are due, and decides whether the stage may be left.
func (r *ServiceReconciler) callHooks(ctx context.Context, s *serviceScope) *hookGate {
	hooks := s.svc.Spec.DeploymentConfiguration.LifecycleHooks
	if len(hooks) == 0 {
		return nil
	}
	g := &hookGate{hooked: map[ecsv1alpha1.LifecycleStage]bool{}}
	for _, h := range hooks {
		for _, st := range h.LifecycleStages {
			g.hooked[ecsv1alpha1.LifecycleStage(st)] = true
		}
	}
	h := s.svc.Status.ServiceDeployments
	if len(h) == 0 || h[0].ID != s.target.ID || h[0].Status != ecsv1alpha1.ServiceDeploymentInProgress || !g.hooked[h[0].LifecycleStage] {
		return g
	}
	cur := h[0]
	g.stage, g.passed = cur.LifecycleStage, true
	for i, hook := range hooks {
		if !slices.Contains(hook.LifecycleStages, ecsv1alpha1.LifecycleHookStage(cur.LifecycleStage)) {
			continue
		}
		st := ecsv1alpha1.HookStatus{Stage: cur.LifecycleStage, Index: int32(i)} //nolint:gosec // at most 10 hooks
		for _, old := range cur.Hooks {
			if old.Stage == st.Stage && old.Index == st.Index {
				st = old
			}
		}
		if st.Status != ecsv1alpha1.HookSucceeded && st.Status != ecsv1alpha1.HookFailed && (st.NextCallAt == nil || !s.now.Before(st.NextCallAt.Time)) {
			r.callHook(ctx, s, &cur, i, &hook, &st)
		}
		switch {
		case st.Status == ecsv1alpha1.HookFailed:
			g.failure = fmt.Sprintf("lifecycle hook %d (%s) answered FAILED in the %s stage.", i, hookTarget(s, &hook), st.Stage)
		case st.FailedCalls >= hookMaxFailedCalls:
			g.failure = fmt.Sprintf("lifecycle hook %d (%s) could not be reached in the %s stage: %s", i, hookTarget(s, &hook), st.Stage, st.Message)
		}
		if st.Status != ecsv1alpha1.HookSucceeded {
			g.passed = false
			if st.NextCallAt != nil {
				s.requeue(st.NextCallAt.Time)
			}
		}
		g.statuses = append(g.statuses, st)
	}
	return g
}

// callHook makes one call and records its outcome in st.
func (r *ServiceReconciler) callHook(ctx context.Context, s *serviceScope, cur *ecsv1alpha1.ServiceDeployment, i int, hook *ecsv1alpha1.DeploymentLifecycleHook, st *ecsv1alpha1.HookStatus) {
	answer, err := r.postHook(ctx, s, cur, hook)
	switch {
	case err != nil:
		st.FailedCalls++
		st.Message = conditions.Truncate(err.Error(), 1024)
		st.NextCallAt = ptrTime(s.now.Add(hookRetryDelay))
		if st.FailedCalls >= hookMaxFailedCalls {
			s.event(rollout.EventWarning, reasonHookFailed, fmt.Sprintf("(service %s) (deployment %s) lifecycle hook %d (%s) could not be reached %d times in the %s stage: %v",
				s.svc.Name, cur.ID, i, hookTarget(s, hook), st.FailedCalls, st.Stage, err))
		}
	default:
		st.FailedCalls, st.Status, st.NextCallAt = 0, answer.HookStatus, nil
		st.Message = "answered " + string(answer.HookStatus)
		switch answer.HookStatus {
		case ecsv1alpha1.HookInProgress:
			delay := hookDefaultCallBack
			if answer.CallBackDelaySeconds != nil {
				delay = time.Duration(max(*answer.CallBackDelaySeconds, 1)) * time.Second
			}
			st.NextCallAt = ptrTime(s.now.Add(delay))
		case ecsv1alpha1.HookFailed:
			s.event(rollout.EventWarning, reasonHookFailed, fmt.Sprintf("(service %s) (deployment %s) lifecycle hook %d (%s) answered FAILED in the %s stage.",
				s.svc.Name, cur.ID, i, hookTarget(s, hook), st.Stage))
		}
	}
}

// postHook POSTs the hook request and reads the answer.
func (r *ServiceReconciler) postHook(ctx context.Context, s *serviceScope, cur *ecsv1alpha1.ServiceDeployment, hook *ecsv1alpha1.DeploymentLifecycleHook) (*hookResponse, error) {
	req := hookRequest{ExecutionID: cur.ID + "-" + string(cur.LifecycleStage), Namespace: s.svc.Namespace, ServiceName: s.svc.Name,
		DeploymentID: cur.ID, LifecycleStage: string(cur.LifecycleStage), SourceDeployment: cur.SourceDeployment,
		SourceTaskDefinition: cur.SourceTaskDefinition, TargetTaskDefinition: cur.TargetTaskDefinition}
	if hook.HookDetails != nil {
		req.HookDetails = hook.HookDetails.Raw
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding the hook request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, hookTimeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, hookTarget(s, hook), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building the hook request: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	if ref := hook.AuthorizationSecretRef; ref != nil {
		v, err := r.secretValue(ctx, s.svc.Namespace, ref)
		if err != nil {
			return nil, fmt.Errorf("the hook's authorization: %w", err)
		}
		hr.Header.Set("Authorization", v)
	}
	resp, err := r.httpClient().Do(hr)
	if err != nil {
		return nil, fmt.Errorf("calling the hook: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("reading the hook's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("the hook answered HTTP %d", resp.StatusCode)
	}
	answer := &hookResponse{}
	if err := json.Unmarshal(data, answer); err != nil {
		return nil, fmt.Errorf("decoding the hook's answer: %w", err)
	}
	switch answer.HookStatus {
	case ecsv1alpha1.HookSucceeded, ecsv1alpha1.HookFailed, ecsv1alpha1.HookInProgress:
		return answer, nil
	}
	return nil, errors.New("the hook answered hookStatus " + strconv.Quote(string(answer.HookStatus)) + ", want SUCCEEDED, FAILED or IN_PROGRESS")
}

// httpClient is the client for hooks and alarm queries.
func (r *ServiceReconciler) httpClient() *http.Client {
	if r.HTTPClient != nil {
		return r.HTTPClient
	}
	return http.DefaultClient
}

// secretValue reads a key of a Secret in the service's namespace.
func (r *ServiceReconciler) secretValue(ctx context.Context, namespace string, ref *ecsv1alpha1.SecretKeyReference) (string, error) {
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, secret); err != nil {
		return "", fmt.Errorf("reading Secret %s: %w", ref.Name, err)
	}
	v, ok := secret.Data[ref.Key]
	if !ok {
		return "", fmt.Errorf("secret %s has no key %s", ref.Name, ref.Key)
	}
	return string(v), nil
}

// serviceURL is the http URL of a core Service of the service's namespace.
func serviceURL(namespace string, ref *ecsv1alpha1.HookServiceReference) string {
	port := int32(80)
	if ref.Port != nil {
		port = *ref.Port
	}
	path := ref.Path
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("http://%s.%s.svc:%d%s", ref.Name, namespace, port, path)
}

// hookTarget is the URL a hook is called at.
func hookTarget(s *serviceScope, hook *ecsv1alpha1.DeploymentLifecycleHook) string {
	if hook.URL != "" {
		return hook.URL
	}
	return serviceURL(s.svc.Namespace, hook.Service)
}
