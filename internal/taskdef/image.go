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

package taskdef

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// ImageRef is an image reference split the way container runtimes split it
// (github.com/distribution/reference): Docker Hub's implicit registry is "docker.io".
type ImageRef struct {
	// Host is the registry host[:port].
	Host string
	// Repository is the path within the registry ("team-a/web", "library/nginx").
	Repository string
	// Tag and Digest are the reference's tag and digest, each "" when absent.
	Tag, Digest string
	// named is the parsed reference.
	named reference.Named
}

// ParseImage parses an image reference; every decision about an image's registry,
// repository or tag in Berth goes through it, so they cannot disagree.
func ParseImage(ref string) (ImageRef, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ImageRef{}, fmt.Errorf("image %q: %w", ref, err)
	}
	r := ImageRef{Host: reference.Domain(named), Repository: reference.Path(named), named: named}
	if t, ok := named.(reference.Tagged); ok {
		r.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		r.Digest = d.Digest().String()
	}
	return r, nil
}

// From reports whether the image is pulled from host (host[:port], case-insensitive).
func (r ImageRef) From(host string) bool {
	return host != "" && strings.EqualFold(r.Host, host)
}

// Pinned is the reference without its tag, at digest, written as the user would
// (Docker Hub images keep their short form): host:5000/team/app:1.2 → host:5000/team/app@digest.
func (r ImageRef) Pinned(digest string) string {
	return reference.FamiliarName(r.named) + "@" + digest
}
