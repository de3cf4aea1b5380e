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

package ecs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs/revisions"
	"github.com/berth-dev/berth/internal/testutil/ecstest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// getTD reads a TaskDefinition.
func getTD(t *testing.T, ns, name string) *ecsv1alpha1.TaskDefinition {
	t.Helper()
	return ecstest.GetTaskDefinition(t, k8s, ns, name)
}

// waitRevision waits until the TaskDefinition reports revision n for its current generation.
func waitRevision(t *testing.T, ns, name string, n int64) *ecsv1alpha1.TaskDefinition {
	t.Helper()
	return ecstest.WaitRevision(t, k8s, ns, name, n)
}

// revisionNumbers lists the family's ControllerRevision numbers.
func revisionNumbers(t *testing.T, ns, family string) []int64 {
	t.Helper()
	list := &appsv1.ControllerRevisionList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{revisions.FamilyLabel: family}); err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, cr := range list.Items {
		out = append(out, cr.Revision)
	}
	return out
}

// createLimitedFamily creates family "web" (image app:1) keeping limit unused revisions, and
// waits for revision 1.
func createLimitedFamily(t *testing.T, ns string, limit int32) {
	t.Helper()
	td := newTaskDefinition(ns, "web", "app:1")
	td.Spec.RevisionHistoryLimit = ptr.To(limit)
	if err := k8s.Create(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, ns, "web", 1)
}

// createPinnedService creates family "web" keeping no unused revision, and Service "web"
// pinned to its revision 1.
func createPinnedService(t *testing.T, ns string) *ecsv1alpha1.Service {
	t.Helper()
	createLimitedFamily(t, ns, 0)
	svc := &ecsv1alpha1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec:       ecsv1alpha1.ServiceSpec{TaskDefinition: "web:1"},
	}
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	return svc
}

// setImage changes the first container's image: a spec change.
func setImage(t *testing.T, ns, name, image string) {
	t.Helper()
	ecstest.SetImage(t, k8s, ns, name, image)
}

func TestTaskDefinitionRegistersRevisionOnSpecChange(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	if err := k8s.Create(ctx, newTaskDefinition(ns, "web", "nginx:1.26")); err != nil {
		t.Fatal(err)
	}
	td := waitRevision(t, ns, "web", 1)
	if td.Status.LatestRevisionName != "web-1" {
		t.Errorf("latestRevisionName = %q, want web-1", td.Status.LatestRevisionName)
	}
	if !meta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ReadyCondition) {
		t.Errorf("Ready is not True: %+v", td.Status.Conditions)
	}

	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)

	cr := &appsv1.ControllerRevision{}
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web-2"}, cr); err != nil {
		t.Fatal(err)
	}
	if !metav1.IsControlledBy(cr, td) {
		t.Errorf("web-2 is not controlled by the TaskDefinition: %+v", cr.OwnerReferences)
	}
	var spec ecsv1alpha1.TaskDefinitionSpec
	if err := json.Unmarshal(cr.Data.Raw, &spec); err != nil {
		t.Fatal(err)
	}
	if got := spec.ContainerDefinitions[0].Image; got != "nginx:1.27" {
		t.Errorf("revision 2 holds image %q, want nginx:1.27", got)
	}

	rev, err := revisions.Resolve(ctx, k8s, ns, "web")
	if err != nil || rev.Number != 2 {
		t.Fatalf("ResolveRevision(web) = %+v, %v; want revision 2", rev, err)
	}
	rev, err = revisions.Resolve(ctx, k8s, ns, "web:1")
	if err != nil || rev.Number != 1 || rev.Spec.ContainerDefinitions[0].Image != "nginx:1.26" {
		t.Fatalf("ResolveRevision(web:1) = %+v, %v; want revision 1 with nginx:1.26", rev, err)
	}
}

func TestTaskDefinitionNoRevisionForMetadataOrIdenticalSpec(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	if err := k8s.Create(ctx, newTaskDefinition(ns, "web", "nginx:1.26")); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, ns, "web", 1)

	// A label change does not touch spec.
	td := getTD(t, ns, "web")
	patch := client.MergeFrom(td.DeepCopy())
	td.Labels = map[string]string{"team": "payments"}
	if err := k8s.Patch(ctx, td, patch); err != nil {
		t.Fatal(err)
	}
	// A re-apply of the same spec, as a GitOps tool does on every sync.
	apply := newTaskDefinition(ns, "web", "nginx:1.26")
	apply.TypeMeta = metav1.TypeMeta{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "TaskDefinition"}
	if err := k8s.Patch(ctx, apply, client.Apply, client.FieldOwner("gitops"), client.ForceOwnership); err != nil { //nolint:staticcheck // typed Apply needs apply configurations we do not generate
		t.Fatal(err)
	}
	kubetest.Consistently(t, 2*time.Second, func() error {
		if got := revisionNumbers(t, ns, "web"); len(got) != 1 {
			return fmt.Errorf("revisions %v, want only 1", got)
		}
		if td := getTD(t, ns, "web"); td.Status.Revision != 1 {
			return fmt.Errorf("status.revision %d, want 1", td.Status.Revision)
		}
		return nil
	})
}

func TestControllerRevisionsAreImmutable(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	if err := k8s.Create(ctx, newTaskDefinition(ns, "web", "nginx:1.26")); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, ns, "web", 1)
	cr := &appsv1.ControllerRevision{}
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web-1"}, cr); err != nil {
		t.Fatal(err)
	}
	cr.Data.Raw = []byte(`{"containerDefinitions":[{"name":"web","image":"evil"}]}`)
	err := k8s.Update(ctx, cr)
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "data") {
		t.Fatalf("updating a revision's data: got %v, want an Invalid error on data", err)
	}
}

func TestRevisionNumbersSurvivePruning(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	createLimitedFamily(t, ns, 1)
	for i := 2; i <= 4; i++ {
		setImage(t, ns, "web", fmt.Sprintf("app:%d", i))
		waitRevision(t, ns, "web", int64(i))
	}
	kubetest.Eventually(t, waitFor, func() error {
		if got := revisionNumbers(t, ns, "web"); !sameSet(got, 3, 4) {
			return fmt.Errorf("revisions %v, want [3 4] (latest plus one of history)", got)
		}
		return nil
	})

	// Even with status lost (a restore from a backup without status), numbers never repeat:
	// the stored revisions carry them.
	cur := getTD(t, ns, "web")
	patch := client.MergeFrom(cur.DeepCopy())
	cur.Status = ecsv1alpha1.TaskDefinitionStatus{}
	if err := k8s.Status().Patch(ctx, cur, patch); err != nil {
		t.Fatal(err)
	}
	setImage(t, ns, "web", "app:5")
	waitRevision(t, ns, "web", 5)
	kubetest.Eventually(t, waitFor, func() error {
		if got := revisionNumbers(t, ns, "web"); !sameSet(got, 4, 5) {
			return fmt.Errorf("revisions %v, want [4 5]", got)
		}
		return nil
	})
}

func TestTranslatedListsApproximatedFields(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	td := newTaskDefinition(ns, "agent", "agent:1")
	td.Spec.ContainerDefinitions[0].Ulimits = []ecsv1alpha1.Ulimit{{Name: "nofile", SoftLimit: 1024, HardLimit: 2048}}
	td.Spec.ContainerDefinitions[0].Links = []string{"db"}
	if err := k8s.Create(ctx, td); err != nil {
		t.Fatal(err)
	}
	got := waitRevision(t, ns, "agent", 1)
	c := meta.FindStatusCondition(got.Status.Conditions, ecsv1alpha1.TranslatedCondition)
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != ecsv1alpha1.ApproximatedReason {
		t.Fatalf("Translated = %+v, want True/Approximated", c)
	}
	for _, field := range []string{"containerDefinitions[web].ulimits", "containerDefinitions[web].links"} {
		if !strings.Contains(c.Message, field) {
			t.Errorf("Translated message does not name %s: %q", field, c.Message)
		}
	}
	if n := strings.Count(c.Message, "; ") + 1; n != 2 {
		t.Errorf("Translated lists %d fields, want exactly 2: %q", n, c.Message)
	}

	// Without the approximated fields the translation is exact.
	cur := getTD(t, ns, "agent")
	patch := client.MergeFrom(cur.DeepCopy())
	cur.Spec.ContainerDefinitions[0].Ulimits = nil
	cur.Spec.ContainerDefinitions[0].Links = nil
	if err := k8s.Patch(ctx, cur, patch); err != nil {
		t.Fatal(err)
	}
	got = waitRevision(t, ns, "agent", 2)
	if c := meta.FindStatusCondition(got.Status.Conditions, ecsv1alpha1.TranslatedCondition); c == nil || c.Reason != ecsv1alpha1.ExactReason {
		t.Errorf("Translated = %+v, want Exact", c)
	}
}

func TestInvalidTaskDefinitionKeepsPreviousRevision(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	td := &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: ecsv1alpha1.TaskDefinitionSpec{ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{
			{Name: "app", Image: "app:1"},
			{Name: "proxy", Image: "proxy:1"},
		}},
	}
	if err := k8s.Create(ctx, td); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, ns, "web", 1)

	// A dependency cycle passes the schema (both names exist) but cannot become a Pod.
	cur := getTD(t, ns, "web")
	patch := client.MergeFrom(cur.DeepCopy())
	cur.Spec.ContainerDefinitions[0].DependsOn = []ecsv1alpha1.ContainerDependency{{ContainerName: "proxy", Condition: ecsv1alpha1.DependencyStart}}
	cur.Spec.ContainerDefinitions[1].DependsOn = []ecsv1alpha1.ContainerDependency{{ContainerName: "app", Condition: ecsv1alpha1.DependencyStart}}
	if err := k8s.Patch(ctx, cur, patch); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		got := getTD(t, ns, "web")
		c := meta.FindStatusCondition(got.Status.Conditions, ecsv1alpha1.ReadyCondition)
		if c == nil || c.Status != metav1.ConditionFalse || c.Reason != ecsv1alpha1.InvalidTaskDefinitionReason {
			return fmt.Errorf("Ready = %+v, want False/InvalidTaskDefinition", c)
		}
		if !strings.Contains(c.Message, "dependsOn") || !strings.Contains(c.Message, "revision 1 stays in use") {
			return fmt.Errorf("Ready message %q should name the field and the revision kept", c.Message)
		}
		// kstatus reads Stalled=True as Failed; without it an invalid spec is InProgress forever.
		if st := meta.FindStatusCondition(got.Status.Conditions, ecsv1alpha1.StalledCondition); st == nil ||
			st.Status != metav1.ConditionTrue || st.Reason != ecsv1alpha1.InvalidTaskDefinitionReason || !strings.Contains(st.Message, "dependsOn") {
			return fmt.Errorf("Stalled = %+v, want True/InvalidTaskDefinition naming the field", st)
		}
		return nil
	})
	if got := revisionNumbers(t, ns, "web"); !sameSet(got, 1) {
		t.Errorf("revisions %v, want only [1]", got)
	}
	if rev, err := revisions.Resolve(ctx, k8s, ns, "web"); err != nil || rev.Number != 1 {
		t.Errorf("ResolveRevision(web) = %+v, %v; want the good revision 1", rev, err)
	}

	// Fixing the spec clears Stalled and registers revision 2.
	cur = getTD(t, ns, "web")
	patch = client.MergeFrom(cur.DeepCopy())
	cur.Spec.ContainerDefinitions[1].DependsOn = nil
	if err := k8s.Patch(ctx, cur, patch); err != nil {
		t.Fatal(err)
	}
	if got := waitRevision(t, ns, "web", 2); meta.FindStatusCondition(got.Status.Conditions, ecsv1alpha1.StalledCondition) != nil {
		t.Errorf("Stalled still present after the fix: %+v", got.Status.Conditions)
	}
}

func TestResolveRevisionErrors(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	if err := k8s.Create(ctx, newTaskDefinition(ns, "web", "nginx")); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, ns, "web", 1)
	for ref, want := range map[string]error{
		"api":    revisions.ErrFamilyNotFound,
		"web:9":  revisions.ErrRevisionNotFound,
		"web:x":  revisions.ErrInvalidReference,
		":3":     revisions.ErrInvalidReference,
		"web:-1": revisions.ErrInvalidReference,
	} {
		if _, err := revisions.Resolve(ctx, k8s, ns, ref); !errors.Is(err, want) {
			t.Errorf("ResolveRevision(%q) = %v, want %v", ref, err, want)
		}
	}
}

func TestRevisionsUsedByServicesAreKeptAndBlockDeletion(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	svc := createPinnedService(t, ns)
	for i := 2; i <= 3; i++ {
		setImage(t, ns, "web", fmt.Sprintf("app:%d", i))
		waitRevision(t, ns, "web", int64(i))
	}
	kubetest.Eventually(t, waitFor, func() error {
		if got := revisionNumbers(t, ns, "web"); !sameSet(got, 1, 3) {
			return fmt.Errorf("revisions %v, want [1 3]: 1 is pinned by a Service, 2 is pruned", got)
		}
		if got := getTD(t, ns, "web").Status.ActiveRevisions; !sameSet(got, 1, 3) {
			return fmt.Errorf("activeRevisions %v, want [1 3]", got)
		}
		return nil
	})

	// Deleting the family waits for the Service, as ECS keeps DELETE_IN_PROGRESS.
	if err := k8s.Delete(ctx, getTD(t, ns, "web")); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		c := meta.FindStatusCondition(getTD(t, ns, "web").Status.Conditions, ecsv1alpha1.ReadyCondition)
		if c == nil || c.Reason != "Deleting" || !strings.Contains(c.Message, "web") {
			return fmt.Errorf("Ready = %+v, want Deleting naming the Service", c)
		}
		return nil
	})
	if err := k8s.Delete(ctx, svc); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, &ecsv1alpha1.TaskDefinition{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("TaskDefinition still there (%w)", err)
		}
		return nil
	})
}

// sameSet reports whether got holds exactly the numbers want, in any order.
func sameSet(got []int64, want ...int64) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[int64]bool{}
	for _, g := range got {
		seen[g] = true
	}
	for _, w := range want {
		if !seen[w] {
			return false
		}
	}
	return true
}
