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

package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/authtest"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/registry/options"
)

// pullActions are what `docker pull` needs from a RepositoryPolicy.
var pullActions = []ecrv1alpha1.Action{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(2048, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digestOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestOwnerNamespacePushPull: a ServiceAccount bound to berth-registry-poweruser in its
// namespace pushes and pulls there through RBAC alone; others may not.
func TestOwnerNamespacePushPull(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "own-a")
	builder := s.serviceAccount(t, "own-a", "builder", "berth-registry-poweruser")
	stranger := s.serviceAccount(t, "own-a", "stranger")
	s.repository(t, "own-a", "app", ecrv1alpha1.Mutable)

	img := randomImage(t)
	if err := push(s.ref("own-a/app", "v1"), img, builder.token); err != nil {
		t.Fatalf("owner push: %v", err)
	}
	got, err := pull(s.ref("own-a/app", "v1"), builder.token)
	if err != nil {
		t.Fatalf("owner pull: %v", err)
	}
	if got != digestOf(t, img) {
		t.Errorf("pulled digest %s, pushed %s", got, digestOf(t, img))
	}
	repo, _ := name.NewRepository(s.addr+"/own-a/app", name.Insecure)
	tags, err := remote.List(repo, remoteOptions(builder.token)...)
	if err != nil || !cmp.Equal(tags, []string{"v1"}) {
		t.Errorf("tags = %v, %v; want [v1]", tags, err)
	}

	_, err = pull(s.ref("own-a/app", "v1"), stranger.token)
	wantRefused(t, "pull without RBAC", err, http.StatusForbidden, "DENIED")
	_, err = pull(s.ref("own-a/app", "v1"), "")
	wantRefused(t, "anonymous pull", err, http.StatusUnauthorized, "UNAUTHORIZED")

	// docker login: /v2/ challenges anonymous callers and welcomes valid tokens.
	resp := s.do(t, http.MethodGet, "/v2/", "")
	wantChallenge := `Bearer realm="http://` + s.addr + `/berth/v1/token",service="berth-registry"`
	if resp.status != http.StatusUnauthorized || resp.header.Get("WWW-Authenticate") != wantChallenge {
		t.Errorf("anonymous /v2/: %d %q, want 401 with challenge %s", resp.status, resp.header.Get("WWW-Authenticate"), wantChallenge)
	}
	if got := resp.header.Values("Docker-Distribution-API-Version"); !cmp.Equal(got, []string{"registry/2.0"}) {
		t.Errorf("Docker-Distribution-API-Version = %q, want [registry/2.0]", got)
	}
	if resp := s.do(t, http.MethodGet, "/v2/", builder.token); resp.status != http.StatusOK {
		t.Errorf("authenticated /v2/: %d, want 200", resp.status)
	}
	if resp := s.do(t, http.MethodGet, "/healthz", ""); resp.status != http.StatusOK {
		t.Errorf("/healthz: %d", resp.status)
	}
}

// TestCrossNamespacePullNeedsPolicy: RBAC in its own namespace gives a ServiceAccount nothing
// in another; a RepositoryPolicy there does, and takes effect within a second, as do its
// removal and a Deny. A policy in the caller's namespace cannot reach another namespace.
func TestCrossNamespacePullNeedsPolicy(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "cross-a", "cross-b")
	owner := s.serviceAccount(t, "cross-a", "owner", "berth-registry-poweruser")
	deployer := s.serviceAccount(t, "cross-b", "deployer", "berth-registry-admin")
	s.repository(t, "cross-a", "app", ecrv1alpha1.Mutable)
	img := randomImage(t)
	if err := push(s.ref("cross-a/app", "v1"), img, owner.token); err != nil {
		t.Fatal(err)
	}
	ref := s.ref("cross-a/app", "v1")

	_, err := pull(ref, deployer.token)
	wantRefused(t, "cross-namespace pull without a policy", err, http.StatusForbidden, "DENIED")

	// A policy in the caller's own namespace naming every repository grants nothing in cross-a.
	s.policy(t, "cross-b", "reach-out", "*", ecrv1alpha1.EffectAllow, authtest.ServiceAccount("cross-b", "deployer"), "ecr:*")
	time.Sleep(200 * time.Millisecond)
	_, err = pull(ref, deployer.token)
	wantRefused(t, "pull granted only by a policy in another namespace", err, http.StatusForbidden, "DENIED")

	allow := s.policy(t, "cross-a", "deployer-pulls", "app", ecrv1alpha1.EffectAllow, authtest.ServiceAccount("cross-b", "deployer"), pullActions...)
	took := eventually(t, time.Second, func() error {
		_, err := pull(ref, deployer.token)
		return err
	})
	t.Logf("the new Allow took effect after %s", took)

	// Pulling is all the policy grants.
	err = push(s.ref("cross-a/app", "v2"), randomImage(t), deployer.token)
	wantRefused(t, "push with a pull-only policy", err, http.StatusForbidden, "DENIED")

	if err := s.c.Delete(context.Background(), allow); err != nil {
		t.Fatal(err)
	}
	took = eventually(t, time.Second, func() error {
		_, err := pull(ref, deployer.token)
		if status, _ := ociError(err); status != http.StatusForbidden {
			return fmt.Errorf("pull after the policy was deleted: %w", err)
		}
		return nil
	})
	t.Logf("deleting the Allow took effect after %s", took)

	// An explicit Deny beats the owner's RBAC, at once.
	s.policy(t, "cross-a", "freeze", "app", ecrv1alpha1.EffectDeny, ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Name: "system:authenticated"}, "ecr:PutImage")
	took = eventually(t, time.Second, func() error {
		err := push(s.ref("cross-a/app", "v3"), randomImage(t), owner.token)
		if status, _ := ociError(err); status != http.StatusForbidden {
			return fmt.Errorf("push under a Deny: %w", err)
		}
		return nil
	})
	t.Logf("the Deny took effect after %s", took)
	if _, err := pull(ref, owner.token); err != nil {
		t.Errorf("the Deny of PutImage also stopped pulls: %v", err)
	}
}

// TestAnonymousPull: anonymous callers pull only where a policy allows
// system:unauthenticated, and never push.
func TestAnonymousPull(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "anon-a")
	owner := s.serviceAccount(t, "anon-a", "owner", "berth-registry-poweruser")
	s.repository(t, "anon-a", "public", ecrv1alpha1.Mutable)
	s.repository(t, "anon-a", "private", ecrv1alpha1.Mutable)
	img := randomImage(t)
	for _, repo := range []string{"anon-a/public", "anon-a/private"} {
		if err := push(s.ref(repo, "latest"), img, owner.token); err != nil {
			t.Fatal(err)
		}
	}
	_, err := pull(s.ref("anon-a/public", "latest"), "")
	wantRefused(t, "anonymous pull without a policy", err, http.StatusUnauthorized, "UNAUTHORIZED")

	s.policy(t, "anon-a", "public", "public", ecrv1alpha1.EffectAllow, ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Name: "system:unauthenticated"}, pullActions...)
	eventually(t, time.Second, func() error {
		_, err := pull(s.ref("anon-a/public", "latest"), "")
		return err
	})
	_, err = pull(s.ref("anon-a/private", "latest"), "")
	wantRefused(t, "anonymous pull of another repository", err, http.StatusUnauthorized, "UNAUTHORIZED")
	err = push(s.ref("anon-a/public", "v2"), randomImage(t), "")
	wantRefused(t, "anonymous push", err, http.StatusUnauthorized, "UNAUTHORIZED")
}

// TestRejectedTokens: a token for another audience, an expired token and the token of a
// deleted ServiceAccount are refused with 401 and a Basic challenge.
func TestRejectedTokens(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "tok-a")
	sa := s.serviceAccount(t, "tok-a", "reader", "berth-registry-reader")
	s.repository(t, "tok-a", "app", ecrv1alpha1.Mutable)

	var saObj corev1.ServiceAccount
	if err := s.c.Get(context.Background(), client.ObjectKey{Namespace: "tok-a", Name: "reader"}, &saObj); err != nil {
		t.Fatal(err)
	}
	mint := func(exp time.Time) string {
		token, err := s.env.SignServiceAccountToken(map[string]any{
			"iss": envtest.ServiceAccountIssuer,
			"sub": sa.user(),
			"aud": []string{options.DefaultAudience},
			"iat": exp.Add(-time.Hour).Unix(),
			"nbf": exp.Add(-time.Hour).Unix(),
			"exp": exp.Unix(),
			"jti": fmt.Sprintf("test-%d", exp.UnixNano()),
			"kubernetes.io": map[string]any{
				"namespace":      "tok-a",
				"serviceaccount": map[string]any{"name": "reader", "uid": string(saObj.UID)},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	// The minted token is good, so that the expired one below is refused for its expiry only.
	if resp := s.do(t, http.MethodGet, "/v2/", mint(time.Now().Add(time.Hour))); resp.status != http.StatusOK {
		t.Fatalf("a minted, unexpired token: %d, want 200", resp.status)
	}

	s.bind(t, "tok-a", "berth-registry-reader", "tok-a", "doomed")
	doomed := s.serviceAccount(t, "tok-a", "doomed")
	if err := s.c.Delete(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "tok-a", Name: "doomed"}}); err != nil {
		t.Fatal(err)
	}
	took := eventually(t, 30*time.Second, func() error {
		if s.reviewToken(t, doomed.token, options.DefaultAudience) {
			return errors.New("the API server still accepts the deleted ServiceAccount's token")
		}
		return nil
	})
	t.Logf("the API server refused the deleted ServiceAccount's token after %s", took)

	cases := []struct{ name, token string }{
		{"wrong audience", s.token(t, "tok-a", "reader", "some-other-service")},
		{"default API audience", s.token(t, "tok-a", "reader")},
		{"expired", mint(time.Now().Add(-10 * time.Minute))},
		{"deleted ServiceAccount", doomed.token},
		{"garbage", "not-a-token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(t, http.MethodGet, "/v2/tok-a/app/tags/list", tc.token)
			if resp.status != http.StatusUnauthorized || !strings.HasPrefix(resp.header.Get("WWW-Authenticate"), "Bearer realm=") {
				t.Errorf("status %d, challenge %q; want 401 with a Bearer challenge", resp.status, resp.header.Get("WWW-Authenticate"))
			}
			var body struct {
				Errors []struct{ Code string } `json:"errors"`
			}
			if err := json.Unmarshal(resp.body, &body); err != nil || len(body.Errors) != 1 || body.Errors[0].Code != "UNAUTHORIZED" {
				t.Errorf("body %+v (%v), want one UNAUTHORIZED error", body, err)
			}
			_, err := pull(s.ref("tok-a/app", "v1"), tc.token)
			wantRefused(t, "crane pull", err, http.StatusUnauthorized, "UNAUTHORIZED")
		})
	}
}

// TestPushOnlyCannotDelete: berth-registry-poweruser pushes but cannot delete; admin can.
func TestPushOnlyCannotDelete(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "del-a")
	pusher := s.serviceAccount(t, "del-a", "pusher", "berth-registry-poweruser")
	admin := s.serviceAccount(t, "del-a", "admin", "berth-registry-admin")
	s.repository(t, "del-a", "app", ecrv1alpha1.Mutable)
	img := randomImage(t)
	if err := push(s.ref("del-a/app", "v1"), img, pusher.token); err != nil {
		t.Fatal(err)
	}
	byDigest := s.ref("del-a/app", digestOf(t, img).String())
	for _, ref := range []string{s.ref("del-a/app", "v1"), byDigest} {
		r, _ := name.ParseReference(ref, name.Insecure)
		err := remote.Delete(r, remoteOptions(pusher.token)...)
		wantRefused(t, "delete by "+ref+" with push rights", err, http.StatusForbidden, "DENIED")
	}
	if _, err := pull(byDigest, pusher.token); err != nil {
		t.Fatalf("the refused delete removed the image: %v", err)
	}
	r, _ := name.ParseReference(byDigest, name.Insecure)
	if err := remote.Delete(r, remoteOptions(admin.token)...); err != nil {
		t.Fatalf("admin delete: %v", err)
	}
	_, err := pull(byDigest, admin.token)
	wantRefused(t, "pull after delete", err, http.StatusNotFound, "MANIFEST_UNKNOWN")
}

// TestImmutableTags: IMMUTABLE refuses to move a tag (400 TAG_INVALID naming it) and accepts
// re-pushing the same digest; exclusion filters make the listed tags behave the other way.
func TestImmutableTags(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "imm-a")
	builder := s.serviceAccount(t, "imm-a", "builder", "berth-registry-poweruser")
	s.repository(t, "imm-a", "strict", ecrv1alpha1.Immutable)
	s.repository(t, "imm-a", "mostly", ecrv1alpha1.ImmutableWithExclusion, "latest", "dev-*")
	s.repository(t, "imm-a", "loose", ecrv1alpha1.MutableWithExclusion, "release-*")

	first, second := randomImage(t), randomImage(t)
	mustPush := func(repo, tag string, img v1.Image) {
		t.Helper()
		if err := push(s.ref(repo, tag), img, builder.token); err != nil {
			t.Fatalf("push %s:%s: %v", repo, tag, err)
		}
	}
	refusedMove := func(repo, tag string) {
		t.Helper()
		err := push(s.ref(repo, tag), second, builder.token)
		wantRefused(t, "moving "+repo+":"+tag, err, http.StatusBadRequest, "TAG_INVALID")
		if !strings.Contains(err.Error(), "'"+tag+"'") {
			t.Errorf("the error does not name the tag %s: %v", tag, err)
		}
		got, err := pull(s.ref(repo, tag), builder.token)
		if err != nil || got != digestOf(t, first) {
			t.Errorf("%s:%s now points at %s (%v), want the first push %s", repo, tag, got, err, digestOf(t, first))
		}
	}

	mustPush("imm-a/strict", "v1", first)
	refusedMove("imm-a/strict", "v1")
	mustPush("imm-a/strict", "v1", first)  // same digest again
	mustPush("imm-a/strict", "v2", second) // a new tag
	mustPush("imm-a/strict", "latest", first)
	refusedMove("imm-a/strict", "latest") // IMMUTABLE has no exceptions

	mustPush("imm-a/mostly", "latest", first)
	mustPush("imm-a/mostly", "latest", second) // excluded: mutable
	mustPush("imm-a/mostly", "dev-1", first)
	mustPush("imm-a/mostly", "dev-1", second)
	mustPush("imm-a/mostly", "v1", first)
	refusedMove("imm-a/mostly", "v1")

	mustPush("imm-a/loose", "latest", first)
	mustPush("imm-a/loose", "latest", second)
	mustPush("imm-a/loose", "release-1", first)
	refusedMove("imm-a/loose", "release-1")
}

// TestPushToMissingRepository: without a Repository resource there is no repository.
func TestPushToMissingRepository(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "miss-a")
	builder := s.serviceAccount(t, "miss-a", "builder", "berth-registry-poweruser")
	for _, repo := range []string{"miss-a/nope", "miss-a/nested/name"} {
		err := push(s.ref(repo, "v1"), randomImage(t), builder.token)
		wantRefused(t, "push to "+repo, err, http.StatusNotFound, "NAME_UNKNOWN")
		_, err = pull(s.ref(repo, "v1"), builder.token)
		wantRefused(t, "pull from "+repo, err, http.StatusNotFound, "NAME_UNKNOWN")
	}
	// The answer for a name without rights reveals nothing: it is the usual refusal.
	stranger := s.serviceAccount(t, "miss-a", "stranger")
	err := push(s.ref("miss-a/nope", "v1"), randomImage(t), stranger.token)
	wantRefused(t, "push without rights", err, http.StatusForbidden, "DENIED")
}

// TestCatalogFiltered: the catalog needs list on repositories and shows only repositories
// with a Repository resource that the caller may pull.
func TestCatalogFiltered(t *testing.T) {
	s := needSuite(t)
	ctx := context.Background()
	s.namespaces(t, "cat-a", "cat-b", "cat-c")
	admins := map[string]caller{}
	for _, ns := range []string{"cat-a", "cat-b", "cat-c"} {
		admins[ns] = s.serviceAccount(t, ns, "admin", "berth-registry-admin")
		for _, repo := range []string{"one", "two"} {
			s.repository(t, ns, repo, ecrv1alpha1.Mutable)
			if err := push(s.ref(ns+"/"+repo, "v1"), randomImage(t), admins[ns].token); err != nil {
				t.Fatal(err)
			}
		}
	}
	lister := s.serviceAccount(t, "cat-a", "lister", "berth-registry-reader")
	// list on repositories cluster-wide: the catalog permission.
	if err := s.c.Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-catalog"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"ecr.berth.dev"}, Resources: []string{"repositories"}, Verbs: []string{"list"}}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.c.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "test-catalog-lister"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "test-catalog"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "cat-a", Name: "lister"}},
	}); err != nil {
		t.Fatal(err)
	}
	s.waitForBinding(t, "", "test-catalog", rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "cat-a", Name: "lister"})
	s.policy(t, "cat-c", "lister-pulls-two", "two", ecrv1alpha1.EffectAllow, authtest.ServiceAccount("cat-a", "lister"), "ecr:BatchGetImage")
	// A repository whose resource is gone stays in storage but leaves the catalog.
	if err := s.c.Delete(ctx, &ecrv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: "cat-a", Name: "two"}}); err != nil {
		t.Fatal(err)
	}
	s.waitForRepository(t, "cat-a", "two", false)

	reg, _ := name.NewRegistry(s.addr, name.Insecure)
	catalog := func(token string, pageSize int) ([]string, error) {
		opts := append(remoteOptions(token), remote.WithPageSize(pageSize))
		all, err := remote.Catalog(ctx, reg, opts...)
		var ours []string
		for _, r := range all {
			if strings.HasPrefix(r, "cat-") {
				ours = append(ours, r)
			}
		}
		return ours, err
	}
	want := []string{"cat-a/one", "cat-c/two"}
	for _, pageSize := range []int{1, 2, 100} {
		got, err := catalog(lister.token, pageSize)
		if err != nil {
			t.Fatalf("catalog (page size %d): %v", pageSize, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("catalog with page size %d mismatch (-want +got):\n%s", pageSize, diff)
		}
	}
	_, err := catalog(admins["cat-b"].token, 100)
	wantRefused(t, "catalog without list", err, http.StatusForbidden, "DENIED")
}

// TestMountDeniedBecomesUpload: a cross-repository mount from a repository the caller may
// not pull starts a normal upload (202) instead of failing; an allowed one mounts (201).
func TestMountDeniedBecomesUpload(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "mnt-a", "mnt-b")
	a := s.serviceAccount(t, "mnt-a", "builder", "berth-registry-poweruser")
	b := s.serviceAccount(t, "mnt-b", "builder", "berth-registry-poweruser")
	s.repository(t, "mnt-a", "dst", ecrv1alpha1.Mutable)
	s.repository(t, "mnt-b", "src", ecrv1alpha1.Mutable)
	img := randomImage(t)
	if err := push(s.ref("mnt-b/src", "v1"), img, b.token); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	blob, _ := layers[0].Digest()
	mount := "/v2/mnt-a/dst/blobs/uploads/?mount=" + blob.String() + "&from=mnt-b/src"

	resp := s.do(t, http.MethodPost, mount, a.token)
	if resp.status != http.StatusAccepted {
		t.Fatalf("mount from a repository the caller may not pull: %d, want 202 (a plain upload)", resp.status)
	}
	s.policy(t, "mnt-b", "share", "src", ecrv1alpha1.EffectAllow, authtest.ServiceAccount("mnt-a", "builder"), pullActions...)
	eventually(t, time.Second, func() error {
		resp := s.do(t, http.MethodPost, mount, a.token)
		if resp.status != http.StatusCreated {
			return fmt.Errorf("allowed mount: %d, want 201", resp.status)
		}
		return nil
	})
	resp = s.do(t, http.MethodHead, "/v2/mnt-a/dst/blobs/"+blob.String(), a.token)
	if resp.status != http.StatusOK {
		t.Errorf("the mounted blob: %d, want 200", resp.status)
	}
}

// TestMetricsCountDecisions: requests are counted by ECR action and decision.
func TestMetricsCountDecisions(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "met-a")
	builder := s.serviceAccount(t, "met-a", "builder", "berth-registry-poweruser")
	s.repository(t, "met-a", "app", ecrv1alpha1.Mutable)
	if err := push(s.ref("met-a/app", "v1"), randomImage(t), builder.token); err != nil {
		t.Fatal(err)
	}
	families, err := s.server.metrics.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetName() {
			case "berth_registry_requests_total":
				seen[labels["action"]+"/"+labels["decision"]] = true
			case "berth_registry_authorization_duration_seconds":
				seen["histogram"] = m.GetHistogram().GetSampleCount() > 0
			case "berth_registry_api_reviews_total":
				seen[labels["kind"]+"/"+labels["result"]] = true
			}
		}
	}
	for _, want := range []string{"ecr:PutImage/allow", "ecr:InitiateLayerUpload/allow", "histogram", "tokenreview/accepted", "subjectaccessreview/allowed"} {
		if !seen[want] {
			keys := make([]string, 0, len(seen))
			for k := range seen {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			t.Errorf("no %s sample; seen %v", want, keys)
		}
	}
}

// TestPushRefusedWhileRepositoryIsDeleted: once a Repository is being deleted (its finalizer
// holds it while the controller empties it), pushes are refused with NAME_UNKNOWN, while pulls
// go on until it is gone.
func TestPushRefusedWhileRepositoryIsDeleted(t *testing.T) {
	s := needSuite(t)
	ctx := context.Background()
	s.namespaces(t, "gone-a")
	admin := s.serviceAccount(t, "gone-a", "admin", "berth-registry-admin")
	s.repository(t, "gone-a", "app", ecrv1alpha1.Mutable)
	pushed := randomImage(t)
	if err := push(s.ref("gone-a/app", "v1"), pushed, admin.token); err != nil {
		t.Fatal(err)
	}
	repo := &ecrv1alpha1.Repository{}
	key := client.ObjectKey{Namespace: "gone-a", Name: "app"}
	if err := s.c.Get(ctx, key, repo); err != nil {
		t.Fatal(err)
	}
	repo.Finalizers = append(repo.Finalizers, "test.berth.dev/hold")
	if err := s.c.Update(ctx, repo); err != nil {
		t.Fatal(err)
	}
	if err := s.c.Delete(ctx, repo); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		err := push(s.ref("gone-a/app", "v2"), randomImage(t), admin.token)
		if status, code := ociError(err); status != http.StatusNotFound || code != "NAME_UNKNOWN" || !strings.Contains(err.Error(), "being deleted") {
			return fmt.Errorf("push during deletion: %w", err)
		}
		return nil
	})
	want, err := pushed.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pull(s.ref("gone-a/app", "v1"), admin.token); err != nil || got != want {
		t.Fatalf("pull during deletion: %v %v, want %s", got, err, want)
	}
	if err := s.c.Get(ctx, key, repo); err != nil {
		t.Fatal(err)
	}
	repo.Finalizers = nil
	if err := s.c.Update(ctx, repo); err != nil {
		t.Fatal(err)
	}
}
