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
	"fmt"
	"net/url"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// MaxRepositoryNameLength is the longest Repository name (the CRD's limit, so that
// <namespace>/<name> stays within OCI's 255 characters).
const MaxRepositoryNameLength = 191

// ErrNotCacheable reports an upstream repository that cannot be stored as a Repository.
var ErrNotCacheable = errors.New("cannot be cached")

// CachePath is a pull through cache path <namespace>/<prefix>/<rest>, rest being one or more
// path components.
type CachePath struct {
	Namespace string
	Prefix    string
	Rest      string
}

// SplitCachePath splits an OCI repository name of at least three components into its
// namespace, the prefix a PullThroughCacheRule may claim, and the rest. Names of fewer
// components are ordinary Berth repositories (ok is false).
func SplitCachePath(name string) (CachePath, bool) {
	ns, after, ok := strings.Cut(name, "/")
	if !ok {
		return CachePath{}, false
	}
	prefix, rest, ok := strings.Cut(after, "/")
	if !ok || ns == "" || prefix == "" || rest == "" {
		return CachePath{}, false
	}
	return CachePath{Namespace: ns, Prefix: prefix, Rest: rest}, true
}

// RepositoryName is the Repository that stores the cached path: the prefix and the rest
// joined by ".", every "/" of the rest becoming "." (docker-hub/library/nginx is Repository
// docker-hub.library.nginx). The name must be a Kubernetes object name of at most
// MaxRepositoryNameLength characters; an upstream name with "_" or one too long cannot be
// cached (ErrNotCacheable). Two upstream names that differ only by "/" against "." map to one
// Repository; the registry tells them apart by the upstream repository it records on it.
func (p CachePath) RepositoryName() (string, error) {
	name := p.Prefix + "." + strings.ReplaceAll(p.Rest, "/", ".")
	if len(name) > MaxRepositoryNameLength {
		return "", fmt.Errorf("%w: its Repository name %q would be %d characters, more than %d", ErrNotCacheable, name, len(name), MaxRepositoryNameLength)
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", fmt.Errorf("%w: %q is no Repository name (lowercase letters, digits, '-' and '.'; upstream names with '_' cannot be cached): %s", ErrNotCacheable, name, strings.Join(errs, "; "))
	}
	return name, nil
}

// UpstreamRepository is the repository to pull upstream: the rule's upstreamRepositoryPrefix,
// if any, then the rest of the path.
func (p CachePath) UpstreamRepository(upstreamPrefix string) string {
	if upstreamPrefix == "" {
		return p.Rest
	}
	return strings.TrimSuffix(upstreamPrefix, "/") + "/" + p.Rest
}

// UpstreamURL parses a rule's upstreamRegistryUrl: a bare host[:port] means HTTPS.
func UpstreamURL(raw string) (*url.URL, error) {
	s := strings.TrimSuffix(raw, "/")
	if strings.Contains(s, "://") && !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return nil, fmt.Errorf("upstreamRegistryUrl %q: the scheme must be http or https", raw)
	}
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("upstreamRegistryUrl %q: %w", raw, err)
	}
	if u.Host == "" || strings.HasSuffix(u.Host, ":") || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("upstreamRegistryUrl %q must be host[:port] or an http(s) URL without path, query or user", raw)
	}
	u.Path = ""
	return u, nil
}
