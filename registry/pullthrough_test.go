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
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	ipt "github.com/berth-dev/berth/internal/pullthrough"
	"github.com/berth-dev/berth/internal/testutil/regproc"
	"github.com/berth-dev/berth/registry/pullthrough"
)

// The pull through cache tests run the stock distribution registry (the same version Berth
// embeds, built by hack/build-stock-registry.sh) as the upstream, on loopback, requiring
// htpasswd credentials, behind a small reverse proxy that logs every request: the log is how
// the tests tell what the cache fetched from the upstream.

const (
	upstreamUser     = "cache-user"
	upstreamPassword = "cache-password"
)

// upstreamRegistry is the stock registry and its logging proxy.
type upstreamRegistry struct {
	// addr is the stock registry itself (pushes go there, unlogged); log the logged front the
	// rules point at.
	addr string
	log  *regproc.RequestLog
}

func startUpstream(t *testing.T) *upstreamRegistry {
	t.Helper()
	p := regproc.StartStock(t, regproc.Stock{Bin: regproc.StockBinary(t), Storage: "  inmemory: {}\n",
		User: upstreamUser, Password: upstreamPassword})
	l := regproc.StartRequestLog(t, p.Addr)
	return &upstreamRegistry{addr: p.Addr, log: l}
}

// ref is repo:tag at the upstream itself (not the logged proxy), for pushes.
func (u *upstreamRegistry) ref(t *testing.T, repo, tag string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(u.addr+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// upstreamAuth is the upstream's htpasswd user, for pushes.
var upstreamAuth = remote.WithAuth(&authn.Basic{Username: upstreamUser, Password: upstreamPassword})

// push pushes img to repo:tag of the upstream directly (not through the logged proxy).
func (u *upstreamRegistry) push(t *testing.T, repo, tag string, img v1.Image) v1.Hash {
	t.Helper()
	if err := remote.Write(u.ref(t, repo, tag), img, upstreamAuth); err != nil {
		t.Fatalf("pushing to the upstream: %v", err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// cacheRule creates a credentials Secret (password) and a PullThroughCacheRule prefix → upstream.
func (s *testSuite) cacheRule(t *testing.T, ns, prefix, upstream, password string, refresh time.Duration) {
	t.Helper()
	s.cacheRuleWith(t, ns, prefix, password, ecrv1alpha1.PullThroughCacheRuleSpec{
		UpstreamRegistryURL: "http://" + upstream, TagRefreshInterval: &metav1.Duration{Duration: refresh}})
}

// cacheRuleWith creates a credentials Secret (password) and a PullThroughCacheRule of spec
// for prefix.
func (s *testSuite) cacheRuleWith(t *testing.T, ns, prefix, password string, spec ecrv1alpha1.PullThroughCacheRuleSpec) {
	t.Helper()
	ctx := context.Background()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pull-through-cache-" + prefix},
		Type:       corev1.SecretTypeBasicAuth,
		StringData: map[string]string{corev1.BasicAuthUsernameKey: upstreamUser, corev1.BasicAuthPasswordKey: password},
	}
	if err := s.c.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	spec.EcrRepositoryPrefix = prefix
	spec.CredentialSecretRef = &ecrv1alpha1.SecretReference{Name: secret.Name}
	rule := &ecrv1alpha1.PullThroughCacheRule{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: prefix}, Spec: spec}
	if err := s.c.Create(ctx, rule); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		r, err := s.server.store.(interface {
			PullThroughCacheRule(context.Context, string, string) (*ecrv1alpha1.PullThroughCacheRule, error)
		}).PullThroughCacheRule(ctx, ns, prefix)
		if err != nil || r == nil {
			return fmt.Errorf("the registry's cache has no rule %s/%s yet (%w)", ns, prefix, err)
		}
		return nil
	})
}

func TestPullThroughCache(t *testing.T) {
	s := needSuite(t)
	up := startUpstream(t)
	ctx := context.Background()
	const ns = "ptc-a"
	s.namespaces(t, ns)

	// The template: tags immutable but "latest", a lifecycle rule, a policy letting ci pull.
	tmpl := &ecrv1alpha1.RepositoryCreationTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hub"},
		Spec: ecrv1alpha1.RepositoryCreationTemplateSpec{
			Prefix: "hub", AppliedFor: []ecrv1alpha1.AppliedFor{ecrv1alpha1.AppliedForPullThroughCache},
			ImageTagMutability:                 ecrv1alpha1.ImmutableWithExclusion,
			ImageTagMutabilityExclusionFilters: []ecrv1alpha1.ImageTagMutabilityExclusionFilter{{FilterType: "WILDCARD", Filter: "latest"}},
			LifecyclePolicy: &ecrv1alpha1.LifecyclePolicy{Rules: []ecrv1alpha1.LifecycleRule{{RulePriority: 1,
				Selection: ecrv1alpha1.LifecycleSelection{TagStatus: ecrv1alpha1.TagStatusAny, CountType: ecrv1alpha1.CountImageCountMoreThan, CountNumber: 5},
				Action:    ecrv1alpha1.LifecycleAction{Type: ecrv1alpha1.LifecycleActionExpire}}}},
			RepositoryPolicy: []ecrv1alpha1.Statement{{Sid: "CiPull", Effect: ecrv1alpha1.EffectAllow,
				Principals: []ecrv1alpha1.Principal{{Kind: ecrv1alpha1.PrincipalServiceAccount, Namespace: ns, Name: "ci"}},
				Actions:    []ecrv1alpha1.Action{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}}},
			ResourceTags: []ecrv1alpha1.ResourceTag{{Key: "team", Value: "platform"}},
		},
	}
	if err := s.c.Create(ctx, tmpl); err != nil {
		t.Fatal(err)
	}
	s.cacheRule(t, ns, "hub", up.log.Addr, upstreamPassword, 2*time.Second)
	reader := s.serviceAccount(t, ns, "puller", "berth-registry-reader")

	img, err := random.Image(64<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := up.push(t, "library/app", "latest", img)
	cacheRef := s.ref(ns+"/hub/library/app", "latest")

	// First pull: fetched from the upstream (manifest, config and 3 layers) and stored.
	start := time.Now()
	got, err := pull(cacheRef, reader.token)
	if err != nil {
		t.Fatalf("first pull through the cache: %v", err)
	}
	if got != want {
		t.Fatalf("first pull: digest %s, want the upstream's %s", got, want)
	}
	first := regproc.Content(up.log.Take())
	if n := countMatching(first, "GET", "/blobs/"); n != 4 {
		t.Fatalf("first pull: %d blob GETs at the upstream, want 4 (config + 3 layers): %v", n, first)
	}
	if n := countMatching(first, "GET", "/manifests/"); n < 1 {
		t.Fatalf("first pull: no manifest GET at the upstream: %v", first)
	}
	t.Logf("first pull in %s; upstream requests: %v", time.Since(start), first)

	// The Repository, from the template, with its policy.
	var repo ecrv1alpha1.Repository
	if err := s.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "hub.library.app"}, &repo); err != nil {
		t.Fatalf("the cached Repository: %v", err)
	}
	if repo.Spec.ImageTagMutability != ecrv1alpha1.ImmutableWithExclusion || repo.Spec.LifecyclePolicy == nil ||
		repo.Spec.LifecyclePolicy.Rules[0].Selection.CountNumber != 5 || repo.Labels["team"] != "platform" ||
		repo.Annotations[ipt.UpstreamAnnotation] != "http://"+up.log.Addr+"/library/app" || repo.Annotations[ipt.TemplateAnnotation] != "hub" {
		t.Fatalf("the cached Repository does not carry the template: %+v", repo)
	}
	var pol ecrv1alpha1.RepositoryPolicy
	if err := s.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "hub.library.app"}, &pol); err != nil {
		t.Fatalf("the template's RepositoryPolicy: %v", err)
	}
	if pol.Spec.RepositoryName != "hub.library.app" || len(pol.Spec.Statements) != 1 || pol.Spec.Statements[0].Sid != "CiPull" {
		t.Fatalf("the template's RepositoryPolicy: %+v", pol.Spec)
	}
	// The template's policy is in force: ci has no RBAC binding, yet pulls the cached image.
	ci := s.serviceAccount(t, ns, "ci")
	if _, err := pull(cacheRef, ci.token); err != nil {
		t.Fatalf("pull allowed by the template's RepositoryPolicy: %v", err)
	}
	_ = up.log.Take()

	// Second pull: served from storage, the upstream untouched; the Repository's own name too.
	if got, err := pull(cacheRef, reader.token); err != nil || got != want {
		t.Fatalf("second pull: %s, %v", got, err)
	}
	if got, err := pull(s.ref(ns+"/hub.library.app", "latest"), reader.token); err != nil || got != want {
		t.Fatalf("pull by the Repository's name: %s, %v", got, err)
	}
	if reqs := up.log.Take(); len(reqs) != 0 {
		t.Fatalf("second pull reached the upstream: %v", reqs)
	}

	// A new latest upstream: the cached tag is served until tagRefreshInterval passes.
	img2, err := random.Image(64<<10, 2)
	if err != nil {
		t.Fatal(err)
	}
	want2 := up.push(t, "library/app", "latest", img2)
	if got, err := pull(cacheRef, reader.token); err != nil || got != want {
		t.Fatalf("pull within the refresh interval: %s, %v; want the cached %s", got, err, want)
	}
	if reqs := regproc.Content(up.log.Take()); len(reqs) != 0 {
		t.Fatalf("a pull within the refresh interval reached the upstream: %v", reqs)
	}
	time.Sleep(2100 * time.Millisecond)
	if got, err := pull(cacheRef, reader.token); err != nil || got != want2 {
		t.Fatalf("pull after the refresh interval: %s, %v; want the upstream's new %s", got, err, want2)
	}
	if reqs := regproc.Content(up.log.Take()); countMatching(reqs, "GET", "/manifests/latest") != 1 {
		t.Fatalf("refresh: want one manifest GET of latest at the upstream: %v", reqs)
	}
	// After the interval again, an unchanged tag costs one HEAD only.
	time.Sleep(2100 * time.Millisecond)
	if got, err := pull(cacheRef, reader.token); err != nil || got != want2 {
		t.Fatalf("revalidated pull: %s, %v", got, err)
	}
	if reqs := regproc.Content(up.log.Take()); len(reqs) != 1 || !strings.HasPrefix(reqs[0], "HEAD ") {
		t.Fatalf("revalidation: want one manifest HEAD at the upstream: %v", reqs)
	}

	// Pushing to the cache path is refused; pushing goes to the Repository's own name.
	wantRefused(t, "push to the cache path", push(s.ref(ns+"/hub/library/app", "mine"), img2, reader.token), http.StatusMethodNotAllowed, "UNSUPPORTED")

	// The cache metrics counted both.
	if hits, misses := cacheCount(t, s, "hit"), cacheCount(t, s, "miss"); hits < 1 || misses < 1 {
		t.Fatalf("cache metrics: %v hits, %v misses", hits, misses)
	}
}

// TestPullThroughCacheIndex pulls a multi-platform image through the cache the way docker and
// containerd do: the index by tag, then a platform's manifest by digest, then its blobs. The
// cache stores the index, every manifest and every blob it served, so a second round, by the
// cache path or by the Repository's own name, never reaches the upstream.
func TestPullThroughCacheIndex(t *testing.T) {
	s := needSuite(t)
	up := startUpstream(t)
	const ns = "ptc-index"
	s.namespaces(t, ns)
	s.cacheRule(t, ns, "hub", up.log.Addr, upstreamPassword, time.Hour)
	reader := s.serviceAccount(t, ns, "puller", "berth-registry-reader")

	idx, err := random.Index(16<<10, 2, 2) // two platform images of two layers each
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(up.ref(t, "library/multi", "v1"), idx, upstreamAuth); err != nil {
		t.Fatalf("pushing the index to the upstream: %v", err)
	}
	want, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}

	// round pulls the index by tag and each platform image by digest from repo, and returns
	// what reached the upstream.
	round := func(what, repo string) []string {
		t.Helper()
		r, err := name.ParseReference(s.ref(repo, "v1"), name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		got, err := remote.Index(r, remoteOptions(reader.token)...)
		if err != nil {
			t.Fatalf("%s: the index: %v", what, err)
		}
		if d, err := got.Digest(); err != nil || d != want {
			t.Fatalf("%s: index digest %s (%v), want the upstream's %s", what, d, err, want)
		}
		for _, m := range manifest.Manifests {
			if d, err := pull(s.ref(repo, m.Digest.String()), reader.token); err != nil || d != m.Digest {
				t.Fatalf("%s: platform image %s: %s, %v", what, m.Digest, d, err)
			}
		}
		return regproc.Content(up.log.Take())
	}

	first := round("first pull", ns+"/hub/library/multi")
	if n := countMatching(first, "GET", "/manifests/sha256:"); n != len(manifest.Manifests) {
		t.Errorf("first pull: %d manifest GETs by digest at the upstream, want %d (one per platform): %v", n, len(manifest.Manifests), first)
	}
	if n := countMatching(first, "GET", "/blobs/"); n != 6 {
		t.Errorf("first pull: %d blob GETs at the upstream, want 6 (2 configs + 4 layers): %v", n, first)
	}
	if reqs := round("second pull", ns+"/hub/library/multi"); len(reqs) != 0 {
		t.Errorf("second pull reached the upstream: %v", reqs)
	}
	if reqs := round("pull by the Repository's name", ns+"/hub.library.multi"); len(reqs) != 0 {
		t.Errorf("pull by the Repository's name reached the upstream: %v", reqs)
	}
}

func TestPullThroughCacheRefusals(t *testing.T) {
	s := needSuite(t)
	up := startUpstream(t)
	ctx := context.Background()
	const ns = "ptc-b"
	s.namespaces(t, ns)
	s.cacheRule(t, ns, "hub", up.log.Addr, upstreamPassword, time.Hour)
	s.cacheRule(t, ns, "wrong", up.log.Addr, "not-the-password", time.Hour)
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	up.push(t, "library/app", "v1", img)

	// pull without import: a ClusterRole with verb pull only.
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "berth-test-pull-only"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{ecrv1alpha1.GroupVersion.Group}, Resources: []string{"repositories"}, Verbs: []string{"pull"}}}}
	if err := s.c.Create(ctx, role); err != nil {
		t.Fatal(err)
	}
	pullOnly := s.serviceAccount(t, ns, "pull-only", role.Name)
	nobody := s.serviceAccount(t, ns, "nobody")
	reader := s.serviceAccount(t, ns, "reader", "berth-registry-reader")
	_ = up.log.Take()

	_, err = pull(s.ref(ns+"/hub/library/app", "v1"), pullOnly.token)
	wantRefused(t, "first pull without import", err, http.StatusForbidden, "DENIED")
	if !strings.Contains(err.Error(), "ecr:BatchImportUpstreamImage") {
		t.Fatalf("the refusal does not name ecr:BatchImportUpstreamImage: %v", err)
	}
	_, err = pull(s.ref(ns+"/hub/library/app", "v1"), nobody.token)
	wantRefused(t, "first pull without any permission", err, http.StatusForbidden, "DENIED")
	_, err = pull(s.ref(ns+"/hub/library/app", "v1"), "")
	wantRefused(t, "anonymous first pull", err, http.StatusUnauthorized, "UNAUTHORIZED")
	if reqs := up.log.Take(); len(reqs) != 0 {
		t.Fatalf("refused pulls reached the upstream: %v", reqs)
	}
	var repo ecrv1alpha1.Repository
	if err := s.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "hub.library.app"}, &repo); err == nil {
		t.Fatal("a refused pull created the Repository")
	}

	// Wrong upstream credentials: 502 UNAVAILABLE naming the Secret; nothing created.
	_, err = pull(s.ref(ns+"/wrong/library/app", "v1"), reader.token)
	wantRefused(t, "pull with wrong upstream credentials", err, http.StatusBadGateway, "UNAVAILABLE")
	if !strings.Contains(err.Error(), "pull-through-cache-wrong") {
		t.Fatalf("the error does not name the Secret: %v", err)
	}
	// Not found upstream: 404 MANIFEST_UNKNOWN.
	_, err = pull(s.ref(ns+"/hub/library/absent", "v1"), reader.token)
	wantRefused(t, "pull of an image the upstream lacks", err, http.StatusNotFound, "MANIFEST_UNKNOWN")
	for _, name := range []string{"wrong.library.app", "hub.library.absent"} {
		if err := s.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &repo); err == nil {
			t.Fatalf("a failed pull created Repository %s", name)
		}
	}
	// A name that cannot be a Repository, and a path without a rule.
	_, err = pull(s.ref(ns+"/hub/my_org/app", "v1"), reader.token)
	wantRefused(t, "an upstream name with '_'", err, http.StatusBadRequest, "NAME_INVALID")
	_, err = pull(s.ref(ns+"/norule/library/app", "v1"), reader.token)
	wantRefused(t, "a path without a rule", err, http.StatusNotFound, "NAME_UNKNOWN")
	if n := cacheErrors(t, s, "auth"); n < 1 {
		t.Fatalf("upstream auth errors counted: %v", n)
	}
}

// startTLSFront serves target (a registry on http) over HTTPS with a certificate for
// 127.0.0.1 that no system root signed, as an in-house registry with a private CA; it returns
// the front's URL and its certificate in PEM, the CA a rule's ConfigMap holds.
func startTLSFront(t *testing.T, target string) (string, string) {
	t.Helper()
	u, err := url.Parse("http://" + target)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(u))
	t.Cleanup(front.Close)
	return front.URL, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw}))
}

// TestPullThroughCachePrivateCA: an upstream whose HTTPS certificate a private CA signed is
// pulled through once the rule's caCertificateRef ConfigMap holds that CA; before, the pull
// is 502 UNAVAILABLE saying what is wrong (the system's roots do not know the CA, the
// ConfigMap is missing, it holds no certificate), and nothing reaches the upstream.
func TestPullThroughCachePrivateCA(t *testing.T) {
	s := needSuite(t)
	up := startUpstream(t)
	frontURL, caPEM := startTLSFront(t, up.log.Addr)
	ctx := context.Background()
	const ns = "ptc-ca"
	s.namespaces(t, ns)
	s.cacheRuleWith(t, ns, "roots", upstreamPassword, ecrv1alpha1.PullThroughCacheRuleSpec{UpstreamRegistryURL: frontURL})
	s.cacheRuleWith(t, ns, "inhouse", upstreamPassword, ecrv1alpha1.PullThroughCacheRuleSpec{UpstreamRegistryURL: frontURL,
		CACertificateRef: &ecrv1alpha1.ConfigMapReference{Name: "inhouse-ca"}})
	reader := s.serviceAccount(t, ns, "puller", "berth-registry-reader")
	img, err := random.Image(32<<10, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := up.push(t, "team/app", "v1", img)
	_ = up.log.Take()
	caErrors := cacheErrors(t, s, string(pullthrough.FailureCACertificate))

	_, err = pull(s.ref(ns+"/roots/team/app", "v1"), reader.token)
	wantRefused(t, "pull through a rule without the CA", err, http.StatusBadGateway, "UNAVAILABLE")
	if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("the error does not say the upstream's certificate was not trusted: %v", err)
	}
	_, err = pull(s.ref(ns+"/inhouse/team/app", "v1"), reader.token)
	wantRefused(t, "pull before the CA ConfigMap exists", err, http.StatusBadGateway, "UNAVAILABLE")
	if !strings.Contains(err.Error(), "inhouse-ca") {
		t.Fatalf("the error does not name the ConfigMap: %v", err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "inhouse-ca"},
		Data: map[string]string{pullthrough.CAKey: "not a certificate"}}
	if err := s.c.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	_, err = pull(s.ref(ns+"/inhouse/team/app", "v1"), reader.token)
	wantRefused(t, "pull with a CA ConfigMap holding no certificate", err, http.StatusBadGateway, "UNAVAILABLE")
	if !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("the error does not say the ConfigMap holds no certificate: %v", err)
	}
	if reqs := up.log.Take(); len(reqs) != 0 {
		t.Fatalf("pulls over an untrusted connection reached the upstream: %v", reqs)
	}
	if n := cacheErrors(t, s, string(pullthrough.FailureCACertificate)) - caErrors; n < 2 {
		t.Fatalf("%v ca_certificate upstream errors counted, want one for each of the last two pulls", n)
	}

	cm.Data[pullthrough.CAKey] = caPEM
	if err := s.c.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	got, err := pull(s.ref(ns+"/inhouse/team/app", "v1"), reader.token)
	if err != nil || got != want {
		t.Fatalf("pull with the private CA: %s, %v; want the upstream's %s", got, err, want)
	}
	if n := countMatching(regproc.Content(up.log.Take()), "GET", "/blobs/"); n != 3 {
		t.Fatalf("%d blob GETs at the upstream, want 3 (config + 2 layers)", n)
	}
}

func countMatching(reqs []string, method, part string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r, method+" ") && strings.Contains(r, part) {
			n++
		}
	}
	return n
}

func cacheCount(t *testing.T, s *testSuite, result string) float64 {
	t.Helper()
	return metricSum(t, s, "berth_registry_pull_through_cache_requests_total", "result", result)
}

func cacheErrors(t *testing.T, s *testSuite, failure string) float64 {
	t.Helper()
	return metricSum(t, s, "berth_registry_pull_through_cache_upstream_errors_total", "failure", failure)
}

func metricSum(t *testing.T, s *testSuite, family, label, value string) float64 {
	t.Helper()
	mfs, err := s.server.metrics.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != family {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}
