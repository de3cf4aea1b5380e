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

// Package client is how Berth's controllers call the bundled registry: an HTTP client of its
// API (image listing, manifest deletion, tag-to-digest resolution) authenticated as a
// ServiceAccount through the TokenRequest API, the token source that renews those tokens at
// half-life, and the digest resolver that pins deployment images (ECS versionConsistency). It
// owns the registry's wire protocol as a client sees it; the server is the registry package,
// which this one does not import (the manager does not link distribution).
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	crclient "sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/registry/imageapi"
)

// DefaultAudience is the token audience berth-registry accepts by default.
const DefaultAudience = "berth-registry"

// ErrUnavailable marks failures to reach or use the registry: the network, a 5xx, a token the
// registry refuses. The Repository reconciler reports them as RegistryUnavailable and
// retries; they never count as "the repository is empty".
var ErrUnavailable = errors.New("the registry is unavailable")

// ErrRepositoryUnknown is the registry's 404 NAME_UNKNOWN for a Repository its informer has
// not seen yet (or no longer sees).
var ErrRepositoryUnknown = errors.New("the registry does not know the repository")

// Client calls the registry's HTTP API as the controller's ServiceAccount, which the
// berth-registry-admin ClusterRole lets list and delete images in every repository.
type Client struct {
	base   *url.URL
	http   *http.Client
	tokens TokenSource
}

// TokenSource returns a bearer token the registry accepts.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// New is a client of the registry API at rawURL (http or https), sending tokens' tokens.
func New(rawURL string, httpClient *http.Client, tokens TokenSource) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("registry URL %q must be an http or https URL", rawURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, http: httpClient, tokens: tokens}, nil
}

// Images lists every manifest of repository namespace/name.
func (c *Client) Images(ctx context.Context, namespace, name string) ([]imageapi.Image, error) {
	l, err := c.ImageList(ctx, namespace, name)
	return l.Images, err
}

// ImageList lists every manifest of repository namespace/name with what they occupy in the
// store.
func (c *Client) ImageList(ctx context.Context, namespace, name string) (imageapi.ImageList, error) {
	var l imageapi.ImageList
	resp, err := c.do(ctx, http.MethodGet, imageapi.ImagesPath(namespace, name))
	if err != nil {
		return l, err
	}
	defer func() { _ = resp.Body.Close() }()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return l, fmt.Errorf("%w %s/%s: %s", ErrRepositoryUnknown, namespace, name, readBody(resp))
	case resp.StatusCode != http.StatusOK:
		return l, fmt.Errorf("%w: listing the images of %s/%s: %s %s", ErrUnavailable, namespace, name, resp.Status, readBody(resp))
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&l); err != nil {
		return imageapi.ImageList{}, fmt.Errorf("%w: decoding the images of %s/%s: %w", ErrUnavailable, namespace, name, err)
	}
	return l, nil
}

// DeleteManifest deletes manifest digest (and so its tags); a manifest already gone is no
// error.
func (c *Client) DeleteManifest(ctx context.Context, namespace, name, digest string) error {
	resp, err := c.do(ctx, http.MethodDelete, "/v2/"+namespace+"/"+name+"/manifests/"+digest)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	switch resp.StatusCode {
	case http.StatusAccepted, http.StatusOK, http.StatusNotFound:
		// 404: already deleted (MANIFEST_UNKNOWN); NAME_UNKNOWN cannot happen while the
		// Repository exists, which the finalizer guarantees.
		return nil
	default:
		return fmt.Errorf("%w: deleting %s from %s/%s: %s %s", ErrUnavailable, digest, namespace, name, resp.Status, readBody(resp))
	}
}

// do sends one authenticated request; transport failures wrap ErrUnavailable.
func (c *Client) do(ctx context.Context, method, path string) (*http.Response, error) {
	return c.doWith(ctx, method, path, nil)
}

// doWith is do with extra request headers.
func (c *Client) doWith(ctx context.Context, method, path string, header map[string]string) (*http.Response, error) {
	token, err := c.tokens.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: getting a registry token: %w", ErrUnavailable, err)
	}
	u := *c.base
	u.Path += path
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("building a registry request: %w", err)
	}
	req.SetBasicAuth("berth", token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return resp, nil
}

// readBody returns the start of an error response, for messages.
func readBody(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return strings.TrimSpace(string(b))
}

// ServiceAccountTokens requests tokens for one ServiceAccount through the TokenRequest API
// and reuses each until half its lifetime has passed, so a token is never used near expiry
// and the API server sees one request per half-life.
type ServiceAccountTokens struct {
	// Client creates the TokenRequests.
	Client crclient.Client
	// Namespace and Name are the ServiceAccount's.
	Namespace, Name string
	// Audience is the registry's token audience.
	Audience string
	// Lifetime is the lifetime asked of each token.
	Lifetime time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	mu      sync.Mutex
	current string
	renewAt time.Time
}

// Token implements TokenSource.
func (s *ServiceAccountTokens) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	if s.current != "" && now.Before(s.renewAt) {
		return s.current, nil
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name}}
	t, err := RequestToken(ctx, s.Client, sa, s.Audience, s.Lifetime, now)
	if err != nil {
		return "", err
	}
	s.current, s.renewAt = t.Token, t.RenewAt
	return s.current, nil
}
