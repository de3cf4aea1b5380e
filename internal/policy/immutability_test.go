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

package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

const (
	digestOld = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	digestNew = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func filters(patterns ...string) []ecrv1alpha1.ImageTagMutabilityExclusionFilter {
	var f []ecrv1alpha1.ImageTagMutabilityExclusionFilter
	for _, p := range patterns {
		f = append(f, ecrv1alpha1.ImageTagMutabilityExclusionFilter{FilterType: "WILDCARD", Filter: p})
	}
	return f
}

func TestCheckTagMutability(t *testing.T) {
	tests := []struct {
		name          string
		mode          ecrv1alpha1.ImageTagMutability
		filters       []ecrv1alpha1.ImageTagMutabilityExclusionFilter
		tag           string
		current, next string
		want          *TagImmutableError // nil = allowed
	}{
		// MUTABLE
		{name: "mutable: move a tag", mode: ecrv1alpha1.Mutable, tag: "latest", current: digestOld, next: digestNew},
		{name: "empty mode is the MUTABLE default", mode: "", tag: "v1", current: digestOld, next: digestNew},

		// IMMUTABLE
		{name: "immutable: create a new tag", mode: ecrv1alpha1.Immutable, tag: "v2", current: "", next: digestNew},
		{name: "immutable: re-push the same digest", mode: ecrv1alpha1.Immutable, tag: "v1", current: digestOld, next: digestOld},
		{name: "immutable: a caller allowed to push a new tag may not overwrite an existing one", mode: ecrv1alpha1.Immutable, tag: "v1", current: digestOld, next: digestNew,
			want: &TagImmutableError{Tag: "v1", CurrentDigest: digestOld, NewDigest: digestNew, Mode: ecrv1alpha1.Immutable}},
		{name: "immutable protects latest too", mode: ecrv1alpha1.Immutable, tag: "latest", current: digestOld, next: digestNew,
			want: &TagImmutableError{Tag: "latest", CurrentDigest: digestOld, NewDigest: digestNew, Mode: ecrv1alpha1.Immutable}},
		{name: "immutable ignores stray filters", mode: ecrv1alpha1.Immutable, filters: filters("*"), tag: "latest", current: digestOld, next: digestNew,
			want: &TagImmutableError{Tag: "latest", CurrentDigest: digestOld, NewDigest: digestNew, Mode: ecrv1alpha1.Immutable}},
		{name: "immutable: push by digest moves no tag", mode: ecrv1alpha1.Immutable, tag: "", current: digestOld, next: digestNew},
		{name: "immutable: another digest algorithm is another digest", mode: ecrv1alpha1.Immutable, tag: "v1", current: digestOld, next: "sha512:" + strings.Repeat("1", 128),
			want: &TagImmutableError{Tag: "v1", CurrentDigest: digestOld, NewDigest: "sha512:" + strings.Repeat("1", 128), Mode: ecrv1alpha1.Immutable}},

		// IMMUTABLE_WITH_EXCLUSION: excluded tags are mutable.
		{name: "immutable with exclusion: excluded latest moves", mode: ecrv1alpha1.ImmutableWithExclusion, filters: filters("latest"), tag: "latest", current: digestOld, next: digestNew},
		{name: "immutable with exclusion: excluded by wildcard", mode: ecrv1alpha1.ImmutableWithExclusion, filters: filters("latest", "dev-*"), tag: "dev-feature-x", current: digestOld, next: digestNew},
		{name: "immutable with exclusion: cosign fallback tags", mode: ecrv1alpha1.ImmutableWithExclusion, filters: filters("sha256-*.sig", "sha256-*"), tag: "sha256-abc.att", current: digestOld, next: digestNew},
		{name: "immutable with exclusion: other tags stay immutable", mode: ecrv1alpha1.ImmutableWithExclusion, filters: filters("latest", "dev-*"), tag: "v1.2.3", current: digestOld, next: digestNew,
			want: &TagImmutableError{Tag: "v1.2.3", CurrentDigest: digestOld, NewDigest: digestNew, Mode: ecrv1alpha1.ImmutableWithExclusion}},
		{name: "immutable with exclusion: filters are case-sensitive", mode: ecrv1alpha1.ImmutableWithExclusion, filters: filters("latest"), tag: "Latest", current: digestOld, next: digestNew,
			want: &TagImmutableError{Tag: "Latest", CurrentDigest: digestOld, NewDigest: digestNew, Mode: ecrv1alpha1.ImmutableWithExclusion}},
		{name: "immutable with exclusion: filters match whole tags", mode: ecrv1alpha1.ImmutableWithExclusion, filters: filters("dev"), tag: "dev-1", current: digestOld, next: digestNew,
			want: &TagImmutableError{Tag: "dev-1", CurrentDigest: digestOld, NewDigest: digestNew, Mode: ecrv1alpha1.ImmutableWithExclusion}},
		{name: "immutable with exclusion and no filters", mode: ecrv1alpha1.ImmutableWithExclusion, tag: "latest", current: digestOld, next: digestNew,
			want: &TagImmutableError{Tag: "latest", CurrentDigest: digestOld, NewDigest: digestNew, Mode: ecrv1alpha1.ImmutableWithExclusion}},

		// MUTABLE_WITH_EXCLUSION: excluded tags are immutable.
		{name: "mutable with exclusion: excluded tag is immutable", mode: ecrv1alpha1.MutableWithExclusion, filters: filters("release-*"), tag: "release-2026.1", current: digestOld, next: digestNew,
			want: &TagImmutableError{Tag: "release-2026.1", CurrentDigest: digestOld, NewDigest: digestNew, Mode: ecrv1alpha1.MutableWithExclusion, Filter: "release-*"}},
		{name: "mutable with exclusion: the first matching filter is named", mode: ecrv1alpha1.MutableWithExclusion, filters: filters("v*", "*.*"), tag: "v1.0", current: digestOld, next: digestNew,
			want: &TagImmutableError{Tag: "v1.0", CurrentDigest: digestOld, NewDigest: digestNew, Mode: ecrv1alpha1.MutableWithExclusion, Filter: "v*"}},
		{name: "mutable with exclusion: other tags move", mode: ecrv1alpha1.MutableWithExclusion, filters: filters("release-*"), tag: "latest", current: digestOld, next: digestNew},
		{name: "mutable with exclusion: excluded tag may still be created", mode: ecrv1alpha1.MutableWithExclusion, filters: filters("release-*"), tag: "release-1", current: "", next: digestNew},
		{name: "mutable with exclusion: excluded tag re-pushed with the same digest", mode: ecrv1alpha1.MutableWithExclusion, filters: filters("release-*"), tag: "release-1", current: digestOld, next: digestOld},

		// Unknown modes fail closed.
		{name: "unknown mode", mode: "FROZEN", tag: "v1", current: digestOld, next: digestNew,
			want: &TagImmutableError{Tag: "v1", CurrentDigest: digestOld, NewDigest: digestNew, Mode: "FROZEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTagMutability(tt.mode, tt.filters, tt.tag, tt.current, tt.next)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckTagMutability = %v, want nil", err)
				}
				return
			}
			var got *TagImmutableError
			if !errors.As(err, &got) {
				t.Fatalf("CheckTagMutability = %v, want a *TagImmutableError", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckTagMutability (-want +got):\n%s", diff)
			}
			if !errors.Is(err, ErrTagImmutable) {
				t.Error("errors.Is(err, ErrTagImmutable) is false")
			}
			if msg := err.Error(); !strings.Contains(msg, "'"+tt.tag+"'") {
				t.Errorf("message does not name the tag: %s", msg)
			}
			if TagMutable(tt.mode, tt.filters, tt.tag) {
				t.Error("TagMutable says the tag is mutable")
			}
		})
	}
}

func TestTagImmutableErrorMessages(t *testing.T) {
	tests := []struct {
		err  TagImmutableError
		want string
	}{
		{TagImmutableError{Tag: "v1", CurrentDigest: "sha256:a", NewDigest: "sha256:b", Mode: ecrv1alpha1.Immutable},
			"the image tag 'v1' already exists (at sha256:a) and cannot be overwritten with sha256:b because the repository is immutable"},
		{TagImmutableError{Tag: "v1", CurrentDigest: "sha256:a", NewDigest: "sha256:b", Mode: ecrv1alpha1.ImmutableWithExclusion},
			"the image tag 'v1' already exists (at sha256:a) and cannot be overwritten with sha256:b because the repository is IMMUTABLE_WITH_EXCLUSION and the tag matches no exclusion filter"},
		{TagImmutableError{Tag: "r-1", CurrentDigest: "sha256:a", NewDigest: "sha256:b", Mode: ecrv1alpha1.MutableWithExclusion, Filter: "r-*"},
			`the image tag 'r-1' already exists (at sha256:a) and cannot be overwritten with sha256:b because it matches the exclusion filter "r-*" of the MUTABLE_WITH_EXCLUSION repository`},
		{TagImmutableError{Tag: "v1", CurrentDigest: "sha256:a", NewDigest: "sha256:b", Mode: "FROZEN"},
			`the image tag 'v1' already exists (at sha256:a) and cannot be overwritten with sha256:b because the repository's tag mutability "FROZEN" is not understood`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error():\n got %s\nwant %s", got, tt.want)
		}
	}
}

func TestTagMutable(t *testing.T) {
	if !TagMutable(ecrv1alpha1.Mutable, nil, "latest") {
		t.Error("MUTABLE: latest should be mutable")
	}
	if TagMutable(ecrv1alpha1.Immutable, nil, "latest") {
		t.Error("IMMUTABLE: latest should be immutable")
	}
	if !TagMutable(ecrv1alpha1.ImmutableWithExclusion, filters("latest"), "latest") {
		t.Error("IMMUTABLE_WITH_EXCLUSION: excluded latest should be mutable")
	}
	if TagMutable(ecrv1alpha1.MutableWithExclusion, filters("latest"), "latest") {
		t.Error("MUTABLE_WITH_EXCLUSION: excluded latest should be immutable")
	}
}

func TestMatchWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"latest", "latest", true},
		{"latest", "latest2", false},
		{"latest", "latet", false},
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "a", false},
		{"dev-*", "dev-", true},
		{"dev-*", "dev-x", true},
		{"dev-*", "dev", false},
		{"*-rc", "1.0-rc", true},
		{"*-rc", "1.0-rc1", false},
		{"v*.*", "v1.2", true},
		{"v*.*", "v1", false},
		{"*a*", "bab", true},
		{"*a*", "bbb", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbYcZ", false},
		{"a*b*c", "acb", false},
		{"**", "x", true},
		{"a*ab", "aaab", true}, // needs backtracking
		{"*ab*ab", "abxabab", true},
		{"sha256-*.sig", "sha256-abc.sig", true},
		{"sha256-*.sig", "sha256-abc.att", false},
		{"Latest", "latest", false},
		{"x?", "xy", false}, // "?" is an ordinary character
		{"x?", "x?", true},
	}
	for _, tt := range tests {
		if got := MatchWildcard(tt.pattern, tt.s); got != tt.want {
			t.Errorf("MatchWildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
