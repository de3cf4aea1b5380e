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
	"errors"
	"fmt"
	"net"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// netTimeout is a transport error that timed out (as an i/o timeout on the connection).
type netTimeout struct{}

func (netTimeout) Error() string   { return "i/o timeout" }
func (netTimeout) Timeout() bool   { return true }
func (netTimeout) Temporary() bool { return true }

var _ net.Error = netTimeout{}

func TestCreateOutcomeUnknown(t *testing.T) {
	pods := schema.GroupResource{Resource: "pods"}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"the API server timed out", apierrors.NewTimeoutError("request did not complete within requested timeout", 0), true},
		{"the API server could not finish in time", apierrors.NewServerTimeout(pods, "create", 1), true},
		{"the client gave up waiting", fmt.Errorf("creating task web-1: %w", context.DeadlineExceeded), true},
		{"the connection timed out", &net.OpError{Op: "read", Net: "tcp", Err: netTimeout{}}, true},
		{"refused by admission", apierrors.NewForbidden(pods, "web-1", errors.New("denied by webhook")), false},
		{"quota exhausted", apierrors.NewForbidden(pods, "web-1", errors.New("exceeded quota")), false},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, "web-1", nil), false},
		{"the name is taken", apierrors.NewAlreadyExists(pods, "web-1"), false},
		{"throttled", apierrors.NewTooManyRequests("slow down", 1), false},
		{"the connection was refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, false},
	} {
		if got := createOutcomeUnknown(tc.err); got != tc.want {
			t.Errorf("%s: createOutcomeUnknown(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestServiceOfTask(t *testing.T) {
	pod := func(refs ...metav1.OwnerReference) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web-abc", OwnerReferences: refs}}
	}
	service := metav1.OwnerReference{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "Service", Name: "web", Controller: ptr.To(true)}
	coreService := metav1.OwnerReference{APIVersion: "v1", Kind: "Service", Name: "web", Controller: ptr.To(true)}
	notController := service
	notController.Controller = nil
	otherVersion := service
	otherVersion.APIVersion = ecsv1alpha1.GroupVersion.Group + "/v1"
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"a task of Service web", pod(service), "team/web"},
		{"the same group in another version", pod(otherVersion), "team/web"},
		{"no owner", pod(), ""},
		{"a core Service's (no such controller)", pod(coreService), ""},
		{"an owner that does not control it", pod(notController), ""},
	} {
		reqs := serviceOfTask(context.Background(), tc.pod)
		got := ""
		if len(reqs) == 1 {
			got = reqs[0].String()
		}
		if len(reqs) > 1 || got != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, reqs, tc.want)
		}
	}
}
