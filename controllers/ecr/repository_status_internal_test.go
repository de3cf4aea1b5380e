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

package ecr

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	regclient "github.com/berth-dev/berth/registry/client"
)

// TestRepositoryStatusUnknownSaysWhatTheRegistryAnswered: a Repository the registry does not
// know yet is Reconciling with reason RegistryPending, and the Ready message carries the
// registry's answer, which tells the registry's own NAME_UNKNOWN from another server's 404.
func TestRepositoryStatusUnknownSaysWhatTheRegistryAnswered(t *testing.T) {
	repo := &ecrv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web", Generation: 2}}
	answer := `{"errors":[{"code":"NAME_UNKNOWN","message":"there is no Repository web in namespace team"}]}`
	s := &repositoryScope{repo: repo, now: time.Now(),
		unknown: fmt.Errorf("%w team/web: %s", regclient.ErrRepositoryUnknown, answer)}
	computeRepositoryStatus(s, "registry.test")

	ready := meta.FindStatusCondition(repo.Status.Conditions, ecrv1alpha1.ReadyCondition)
	if ready == nil || ready.Status != metav1.ConditionFalse || ready.Reason != ecrv1alpha1.RegistryPendingReason {
		t.Fatalf("Ready = %+v, want False %s", ready, ecrv1alpha1.RegistryPendingReason)
	}
	if !strings.Contains(ready.Message, "has not seen this Repository yet") || !strings.Contains(ready.Message, answer) {
		t.Errorf("Ready message %q, want the registry's answer in it", ready.Message)
	}
	if !meta.IsStatusConditionTrue(repo.Status.Conditions, ecrv1alpha1.ReconcilingCondition) {
		t.Errorf("Reconciling is not True: %+v", repo.Status.Conditions)
	}
	if repo.Status.ObservedGeneration != 0 {
		t.Errorf("observedGeneration %d after a pass that did not succeed", repo.Status.ObservedGeneration)
	}
	if repo.Status.RepositoryURI != "registry.test/team/web" {
		t.Errorf("repositoryUri %q", repo.Status.RepositoryURI)
	}
}
