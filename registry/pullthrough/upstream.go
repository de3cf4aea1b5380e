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
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/opencontainers/go-digest"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	ipt "github.com/berth-dev/berth/internal/pullthrough"
)

// maxManifestSize bounds a manifest read from the upstream (distribution's own limit).
const maxManifestSize = 4 << 20

// transportTTL is how long an upstream transport (its credentials and bearer token) is
// reused: a changed Secret or caCertificateRef ConfigMap applies within it.
const transportTTL = time.Minute

// manifestAccept are the manifest media types asked of the upstream.
var manifestAccept = []string{
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
}

// Failure classifies what went wrong upstream.
type Failure string

// Upstream failures; the gate turns each into an HTTP status (docs/registry-internals.md).
const (
	// FailureNotFound: the upstream has no such repository, tag or digest (404).
	FailureNotFound Failure = "not_found"
	// FailureAuth: the upstream refused the rule's credentials, or asked for credentials the
	// rule does not have (401, 403).
	FailureAuth Failure = "auth"
	// FailureCredentials: the rule's Secret is missing or malformed.
	FailureCredentials Failure = "credentials"
	// FailureCACertificate: the rule's caCertificateRef ConfigMap is missing or holds no
	// certificate.
	FailureCACertificate Failure = "ca_certificate"
	// FailureThrottled: the upstream answered 429.
	FailureThrottled Failure = "throttled"
	// FailureUnavailable: the upstream could not be reached or failed (5xx, a bad answer).
	FailureUnavailable Failure = "unavailable"
)

// Error is an upstream failure with a message naming the rule and the upstream.
type Error struct {
	Failure Failure
	// Missing: the rule's Secret or ConfigMap (FailureCredentials, FailureCACertificate)
	// does not exist.
	Missing bool
	Err     error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// FailureOf classifies err; errors that are no *Error are FailureUnavailable.
func FailureOf(err error) Failure {
	var e *Error
	if errors.As(err, &e) {
		return e.Failure
	}
	return FailureUnavailable
}

// Upstream talks to the upstream registries of PullThroughCacheRules.
type Upstream struct {
	// References reads the rules' credential Secrets and CA ConfigMaps.
	References References
	// Base is the HTTP transport under authentication; nil is http.DefaultTransport. A rule
	// with caCertificateRef uses a clone of it with the rule's roots.
	Base http.RoundTripper
	now  func() time.Time

	mu         sync.Mutex
	transports map[string]cachedTransport
	// caTransports are the transports of caCertificateRef bundles, by the bundle's SHA-256.
	caTransports map[[32]byte]*http.Transport
}

type cachedTransport struct {
	rt      http.RoundTripper
	expires time.Time
}

// NewUpstream returns an Upstream reading Secrets and ConfigMaps with core.
func NewUpstream(core interface {
	corev1client.SecretsGetter
	corev1client.ConfigMapsGetter
}) *Upstream {
	return &Upstream{References: ReferencesOf(core), now: time.Now, transports: map[string]cachedTransport{},
		caTransports: map[[32]byte]*http.Transport{}}
}

// Validate asks the upstream whether it accepts the rule's credentials (ECR's
// ValidatePullThroughCacheRule): the /v2/ endpoint with the credentials, through the Docker
// token protocol when the upstream speaks it.
// creds are the rule's credentials (authn.Anonymous without a Secret).
func Validate(ctx context.Context, creds authn.Authenticator, base http.RoundTripper, rule *ecrv1alpha1.PullThroughCacheRule) error {
	u, reg, err := registryOf(rule)
	if err != nil {
		return err
	}
	if base == nil {
		base = http.DefaultTransport
	}
	rt, err := transport.NewWithContext(ctx, reg, creds, base, nil)
	if err != nil {
		return classify(rule, fmt.Errorf("authenticating with %s: %w", u, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String()+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return classify(rule, fmt.Errorf("asking %s: %w", u, err))
	}
	_ = resp.Body.Close()
	return statusError(rule, u.String()+"/v2/", resp.StatusCode)
}

func registryOf(rule *ecrv1alpha1.PullThroughCacheRule) (*url.URL, name.Registry, error) {
	u, err := ipt.UpstreamURL(rule.Spec.UpstreamRegistryURL)
	if err != nil {
		return nil, name.Registry{}, &Error{Failure: FailureUnavailable, Err: err}
	}
	var opts []name.Option
	if u.Scheme == "http" {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(u.Host, opts...)
	if err != nil {
		return nil, name.Registry{}, &Error{Failure: FailureUnavailable, Err: fmt.Errorf("upstreamRegistryUrl %q: %w", rule.Spec.UpstreamRegistryURL, err)}
	}
	return u, reg, nil
}

// client returns an authenticated HTTP client for repository of the rule's upstream.
func (up *Upstream) client(ctx context.Context, rule *ecrv1alpha1.PullThroughCacheRule, repository string) (*http.Client, *url.URL, error) {
	u, reg, err := registryOf(rule)
	if err != nil {
		return nil, nil, err
	}
	key := fmt.Sprintf("%s/%s/%d/%s", rule.Namespace, rule.UID, rule.Generation, repository)
	now := up.now()
	up.mu.Lock()
	ct, ok := up.transports[key]
	up.mu.Unlock()
	if ok && now.Before(ct.expires) {
		return &http.Client{Transport: ct.rt}, u, nil
	}
	creds, err := up.References.Credentials(ctx, rule)
	if err != nil {
		return nil, nil, fmt.Errorf("PullThroughCacheRule %s/%s: %w", rule.Namespace, rule.Name, err)
	}
	base, err := up.base(ctx, rule)
	if err != nil {
		return nil, nil, fmt.Errorf("PullThroughCacheRule %s/%s: %w", rule.Namespace, rule.Name, err)
	}
	scope := reg.Repo(repository).Scope(transport.PullScope)
	rt, err := transport.NewWithContext(ctx, reg, creds, base, []string{scope})
	if err != nil {
		return nil, nil, classify(rule, fmt.Errorf("authenticating with %s for %s: %w", u, repository, err))
	}
	up.mu.Lock()
	if len(up.transports) > 1000 {
		for k, t := range up.transports {
			if now.After(t.expires) {
				delete(up.transports, k)
			}
		}
	}
	up.transports[key] = cachedTransport{rt: rt, expires: now.Add(transportTTL)}
	up.mu.Unlock()
	return &http.Client{Transport: rt}, u, nil
}

// classify wraps an error of the upstream transport.
func classify(rule *ecrv1alpha1.PullThroughCacheRule, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		if f := failureOfStatus(te.StatusCode); f != "" {
			return &Error{Failure: f, Err: fmt.Errorf("PullThroughCacheRule %s/%s: %w%s", rule.Namespace, rule.Name, err, authHint(rule, f))}
		}
	}
	return &Error{Failure: FailureUnavailable, Err: fmt.Errorf("PullThroughCacheRule %s/%s: %w", rule.Namespace, rule.Name, err)}
}

func failureOfStatus(status int) Failure {
	switch {
	case status == http.StatusNotFound:
		return FailureNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return FailureAuth
	case status == http.StatusTooManyRequests:
		return FailureThrottled
	case status >= 300:
		return FailureUnavailable
	}
	return ""
}

func authHint(rule *ecrv1alpha1.PullThroughCacheRule, f Failure) string {
	if f != FailureAuth {
		return ""
	}
	if rule.Spec.CredentialSecretRef == nil {
		return " (the upstream wants credentials: set credentialSecretRef)"
	}
	return fmt.Sprintf(" (check the credentials in Secret %s)", rule.Spec.CredentialSecretRef.Name)
}

// statusError is nil for 2xx, else the classified failure of an upstream answer.
func statusError(rule *ecrv1alpha1.PullThroughCacheRule, what string, status int) error {
	f := failureOfStatus(status)
	if f == "" {
		return nil
	}
	return &Error{Failure: f, Err: fmt.Errorf("PullThroughCacheRule %s/%s: the upstream answered %d %s to %s%s",
		rule.Namespace, rule.Name, status, http.StatusText(status), what, authHint(rule, f))}
}

// Manifest is a manifest fetched from the upstream.
type Manifest struct {
	MediaType string
	Payload   []byte
	Digest    digest.Digest
}

// HeadManifest asks the upstream for the digest of repository:reference (a HEAD, which
// registries such as Docker Hub do not count against pull limits).
func (up *Upstream) HeadManifest(ctx context.Context, rule *ecrv1alpha1.PullThroughCacheRule, repository, reference string) (digest.Digest, error) {
	resp, what, err := up.manifestRequest(ctx, http.MethodHead, rule, repository, reference)
	if err != nil {
		return "", err
	}
	_ = resp.Body.Close()
	if err := statusError(rule, what, resp.StatusCode); err != nil {
		return "", err
	}
	d, err := digest.Parse(resp.Header.Get("Docker-Content-Digest"))
	if err != nil {
		return "", &Error{Failure: FailureUnavailable, Err: fmt.Errorf("the upstream gave no digest for %s: %w", what, err)}
	}
	return d, nil
}

// GetManifest fetches repository:reference from the upstream and checks its digest when the
// reference is one.
func (up *Upstream) GetManifest(ctx context.Context, rule *ecrv1alpha1.PullThroughCacheRule, repository, reference string) (*Manifest, error) {
	resp, what, err := up.manifestRequest(ctx, http.MethodGet, rule, repository, reference)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if err := statusError(rule, what, resp.StatusCode); err != nil {
		return nil, err
	}
	payload, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestSize+1))
	if err != nil {
		return nil, &Error{Failure: FailureUnavailable, Err: fmt.Errorf("reading %s: %w", what, err)}
	}
	if len(payload) > maxManifestSize {
		return nil, &Error{Failure: FailureUnavailable, Err: fmt.Errorf("%s is larger than %d bytes", what, maxManifestSize)}
	}
	m := &Manifest{MediaType: resp.Header.Get("Content-Type"), Payload: payload, Digest: digest.FromBytes(payload)}
	if want, err := digest.Parse(reference); err == nil && want.Algorithm() == digest.SHA256 && want != m.Digest {
		return nil, &Error{Failure: FailureUnavailable, Err: fmt.Errorf("%s has digest %s", what, m.Digest)}
	}
	return m, nil
}

func (up *Upstream) manifestRequest(ctx context.Context, method string, rule *ecrv1alpha1.PullThroughCacheRule, repository, reference string) (*http.Response, string, error) {
	hc, u, err := up.client(ctx, rule, repository)
	if err != nil {
		return nil, "", err
	}
	what := u.String() + "/v2/" + repository + "/manifests/" + reference
	req, err := http.NewRequestWithContext(ctx, method, what, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", strings.Join(manifestAccept, ", "))
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", classify(rule, fmt.Errorf("%s %s: %w", method, what, err))
	}
	return resp, what, nil
}

// Blob is a blob being read from the upstream.
type Blob struct {
	Body io.ReadCloser
	// Size is the upstream's Content-Length, -1 when it gave none.
	Size int64
}

// GetBlob opens repository's blob d at the upstream; the caller closes Body.
func (up *Upstream) GetBlob(ctx context.Context, rule *ecrv1alpha1.PullThroughCacheRule, repository string, d digest.Digest) (*Blob, error) {
	hc, u, err := up.client(ctx, rule, repository)
	if err != nil {
		return nil, err
	}
	what := u.String() + "/v2/" + repository + "/blobs/" + d.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, what, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, classify(rule, fmt.Errorf("GET %s: %w", what, err))
	}
	if err := statusError(rule, what, resp.StatusCode); err != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	return &Blob{Body: resp.Body, Size: resp.ContentLength}, nil
}

// HeadBlob asks the upstream for the size of repository's blob d.
func (up *Upstream) HeadBlob(ctx context.Context, rule *ecrv1alpha1.PullThroughCacheRule, repository string, d digest.Digest) (int64, error) {
	hc, u, err := up.client(ctx, rule, repository)
	if err != nil {
		return 0, err
	}
	what := u.String() + "/v2/" + repository + "/blobs/" + d.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, what, nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, classify(rule, fmt.Errorf("HEAD %s: %w", what, err))
	}
	_ = resp.Body.Close()
	if err := statusError(rule, what, resp.StatusCode); err != nil {
		return 0, err
	}
	return resp.ContentLength, nil
}
