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

package pullthrough

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

func TestSplitCachePathAndNames(t *testing.T) {
	tests := []struct {
		name, path  string
		ok          bool
		repo        string
		upstreamPfx string
		upstream    string
		wantErr     bool
	}{
		{name: "two components are an ordinary repository", path: "team-a/web-app"},
		{name: "one component", path: "team-a"},
		{name: "docker hub library image", path: "team-a/docker-hub/library/nginx", ok: true, repo: "docker-hub.library.nginx", upstream: "library/nginx"},
		{name: "upstream prefix", path: "team-a/docker-hub/nginx", ok: true, repo: "docker-hub.nginx", upstreamPfx: "library", upstream: "library/nginx"},
		{name: "upstream prefix with trailing slash", path: "team-a/docker-hub/nginx", ok: true, repo: "docker-hub.nginx", upstreamPfx: "library/", upstream: "library/nginx"},
		{name: "single upstream component", path: "team-a/quay/busybox", ok: true, repo: "quay.busybox", upstream: "busybox"},
		{name: "dots and dashes kept", path: "team-a/k8s/kube-proxy/v1.2", ok: true, repo: "k8s.kube-proxy.v1.2", upstream: "kube-proxy/v1.2"},
		{name: "underscore cannot be a Repository name", path: "team-a/hub/my_org/app", ok: true, wantErr: true},
		{name: "too long", path: "team-a/hub/" + strings.Repeat("a", 190), ok: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := SplitCachePath(tt.path)
			if ok != tt.ok {
				t.Fatalf("SplitCachePath(%q) ok = %v, want %v", tt.path, ok, tt.ok)
			}
			if !ok {
				return
			}
			if p.Namespace != "team-a" {
				t.Errorf("namespace = %q", p.Namespace)
			}
			repo, err := p.RepositoryName()
			if tt.wantErr {
				if !errors.Is(err, ErrNotCacheable) {
					t.Fatalf("RepositoryName() err = %v, want ErrNotCacheable", err)
				}
				return
			}
			if err != nil || repo != tt.repo {
				t.Fatalf("RepositoryName() = %q, %v; want %q", repo, err, tt.repo)
			}
			if got := p.UpstreamRepository(tt.upstreamPfx); got != tt.upstream {
				t.Errorf("UpstreamRepository(%q) = %q, want %q", tt.upstreamPfx, got, tt.upstream)
			}
		})
	}
}

func TestUpstreamURL(t *testing.T) {
	tests := []struct {
		raw, want string
		wantErr   bool
	}{
		{raw: "registry-1.docker.io", want: "https://registry-1.docker.io"},
		{raw: "https://quay.io/", want: "https://quay.io"},
		{raw: "http://127.0.0.1:5000", want: "http://127.0.0.1:5000"},
		{raw: "https://quay.io/v2", wantErr: true},
		{raw: "http://user:pw@host", wantErr: true},
		{raw: "https://", wantErr: true},
	}
	for _, tt := range tests {
		u, err := UpstreamURL(tt.raw)
		if tt.wantErr {
			if err == nil {
				t.Errorf("UpstreamURL(%q) = %v, want an error", tt.raw, u)
			}
			continue
		}
		if err != nil || u.String() != tt.want {
			t.Errorf("UpstreamURL(%q) = %v, %v; want %s", tt.raw, u, err, tt.want)
		}
	}
}

func template(name, prefix string, created int, ways ...ecrv1alpha1.AppliedFor) ecrv1alpha1.RepositoryCreationTemplate {
	return ecrv1alpha1.RepositoryCreationTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(time.Unix(int64(created), 0))},
		Spec:       ecrv1alpha1.RepositoryCreationTemplateSpec{Prefix: prefix, AppliedFor: ways},
	}
}

func TestSelectTemplate(t *testing.T) {
	ptc, push := ecrv1alpha1.AppliedForPullThroughCache, ecrv1alpha1.AppliedForCreateOnPush
	tests := []struct {
		name      string
		templates []ecrv1alpha1.RepositoryCreationTemplate
		want      string
	}{
		{name: "none"},
		{name: "exact prefix", templates: []ecrv1alpha1.RepositoryCreationTemplate{template("root", "ROOT", 1, ptc), template("hub", "docker-hub", 2, ptc)}, want: "hub"},
		{name: "ROOT when no prefix matches", templates: []ecrv1alpha1.RepositoryCreationTemplate{template("root", "ROOT", 1, ptc), template("quay", "quay", 2, ptc)}, want: "root"},
		{name: "appliedFor without PULL_THROUGH_CACHE is ignored", templates: []ecrv1alpha1.RepositoryCreationTemplate{template("root", "ROOT", 1, ptc), template("hub", "docker-hub", 2, push)}, want: "root"},
		{name: "no template for the way", templates: []ecrv1alpha1.RepositoryCreationTemplate{template("hub", "docker-hub", 2, push)}},
		{name: "the older of two with one prefix", templates: []ecrv1alpha1.RepositoryCreationTemplate{template("b", "docker-hub", 2, ptc), template("a", "docker-hub", 3, ptc)}, want: "b"},
		{name: "the lower name of two as old", templates: []ecrv1alpha1.RepositoryCreationTemplate{template("b", "docker-hub", 2, ptc), template("a", "docker-hub", 2, ptc)}, want: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SelectTemplate(tt.templates, "docker-hub", ptc)
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tt.want {
				t.Fatalf("SelectTemplate = %q, want %q", name, tt.want)
			}
		})
	}
}

func TestNewRepository(t *testing.T) {
	repo, pol := NewRepository(nil, "team-a", "docker-hub.library.nginx", "docker-hub", "https://registry-1.docker.io/library/nginx")
	if pol != nil || repo.Spec.ImageTagMutability != ecrv1alpha1.Mutable || repo.Spec.LifecyclePolicy != nil {
		t.Fatalf("without a template: %+v, %+v", repo.Spec, pol)
	}
	if repo.Annotations[UpstreamAnnotation] != "https://registry-1.docker.io/library/nginx" || repo.Labels[RuleLabel] != "docker-hub" {
		t.Fatalf("without a template: metadata %+v", repo.ObjectMeta)
	}

	tmpl := template("hub", "docker-hub", 1, ecrv1alpha1.AppliedForPullThroughCache)
	tmpl.Spec.ImageTagMutability = ecrv1alpha1.Immutable
	tmpl.Spec.LifecyclePolicy = &ecrv1alpha1.LifecyclePolicy{Rules: []ecrv1alpha1.LifecycleRule{{RulePriority: 1,
		Selection: ecrv1alpha1.LifecycleSelection{TagStatus: ecrv1alpha1.TagStatusAny, CountType: ecrv1alpha1.CountImageCountMoreThan, CountNumber: 3},
		Action:    ecrv1alpha1.LifecycleAction{Type: ecrv1alpha1.LifecycleActionExpire}}}}
	tmpl.Spec.RepositoryPolicy = []ecrv1alpha1.Statement{{Sid: "Pull", Effect: ecrv1alpha1.EffectAllow,
		Principals: []ecrv1alpha1.Principal{{Kind: ecrv1alpha1.PrincipalGroup, Name: "system:authenticated"}}, Actions: []ecrv1alpha1.Action{"ecr:BatchGetImage"}}}
	tmpl.Spec.ResourceTags = []ecrv1alpha1.ResourceTag{{Key: "team", Value: "platform"}, {Key: RuleLabel, Value: "spoofed"}}
	repo, pol = NewRepository(&tmpl, "team-a", "docker-hub.library.nginx", "docker-hub", "u")
	if repo.Spec.ImageTagMutability != ecrv1alpha1.Immutable || repo.Spec.LifecyclePolicy == nil || repo.Spec.LifecyclePolicy.Rules[0].Selection.CountNumber != 3 {
		t.Fatalf("template settings not copied: %+v", repo.Spec)
	}
	if repo.Labels["team"] != "platform" || repo.Labels[RuleLabel] != "docker-hub" || repo.Annotations[TemplateAnnotation] != "hub" {
		t.Fatalf("template metadata: %+v", repo.ObjectMeta)
	}
	if pol == nil || pol.Name != repo.Name || pol.Spec.RepositoryName != repo.Name || len(pol.Spec.Statements) != 1 || pol.Namespace != "team-a" {
		t.Fatalf("policy: %+v", pol)
	}
	repo.Spec.LifecyclePolicy.Rules[0].Selection.CountNumber = 9
	pol.Spec.Statements[0].Actions[0] = "ecr:*"
	if tmpl.Spec.LifecyclePolicy.Rules[0].Selection.CountNumber != 3 || tmpl.Spec.RepositoryPolicy[0].Actions[0] != "ecr:BatchGetImage" {
		t.Fatal("NewRepository shares memory with the template")
	}
}

func TestTagFresh(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	tests := []struct {
		name     string
		fetched  time.Time
		interval time.Duration
		want     bool
	}{
		{name: "never fetched", interval: time.Hour},
		{name: "just fetched", fetched: now.Add(-time.Second), interval: time.Hour, want: true},
		{name: "at the interval", fetched: now.Add(-time.Hour), interval: time.Hour},
		{name: "past the interval", fetched: now.Add(-2 * time.Hour), interval: time.Hour},
		{name: "zero interval means a day", fetched: now.Add(-23 * time.Hour), want: true},
		{name: "far in the future (clock jump)", fetched: now.Add(2 * time.Hour), interval: time.Hour},
	}
	for _, tt := range tests {
		if got := TagFresh(tt.fetched, now, tt.interval); got != tt.want {
			t.Errorf("%s: TagFresh = %v, want %v", tt.name, got, tt.want)
		}
	}
}
