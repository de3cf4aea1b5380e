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

package controllers

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
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/registry/imageapi"
)

// errRegistryUnavailable marks failures to reach or use the registry: the network, a 5xx, a
// token the registry refuses. The reconciler reports them as RegistryUnavailable and retries;
// they never count as "the repository is empty".
var errRegistryUnavailable = errors.New("the registry is unavailable")

// errRepositoryUnknown is the registry's 404 NAME_UNKNOWN for a Repository its informer has
// not seen yet (or no longer sees).
var errRepositoryUnknown = errors.New("the registry does not know the repository")

// registryAPI is what the Repository reconciler needs from the bundled registry; tests may
// substitute it.
type registryAPI interface {
	// images lists every manifest of repository namespace/name.
	images(ctx context.Context, namespace, name string) ([]imageapi.Image, error)
	// deleteManifest deletes manifest digest (and so its tags); a manifest already gone is no
	// error.
	deleteManifest(ctx context.Context, namespace, name, digest string) error
}

// registryClient calls the registry's HTTP API as the controller's ServiceAccount, which the
// berth-registry-admin ClusterRole lets list and delete images in every repository.
type registryClient struct {
	base   *url.URL
	http   *http.Client
	tokens tokenSource
}

// tokenSource returns a bearer token the registry accepts.
type tokenSource interface {
	token(ctx context.Context) (string, error)
}

func newRegistryClient(rawURL string, httpClient *http.Client, tokens tokenSource) (*registryClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("registry URL %q must be an http or https URL", rawURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &registryClient{base: u, http: httpClient, tokens: tokens}, nil
}

func (c *registryClient) images(ctx context.Context, namespace, name string) ([]imageapi.Image, error) {
	resp, err := c.do(ctx, http.MethodGet, imageapi.ImagesPath(namespace, name))
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%w %s/%s: %s", errRepositoryUnknown, namespace, name, readBody(resp))
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: listing the images of %s/%s: %s %s", errRegistryUnavailable, namespace, name, resp.Status, readBody(resp))
	}
	var l imageapi.ImageList
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&l); err != nil {
		return nil, fmt.Errorf("%w: decoding the images of %s/%s: %w", errRegistryUnavailable, namespace, name, err)
	}
	return l.Images, nil
}

func (c *registryClient) deleteManifest(ctx context.Context, namespace, name, digest string) error {
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
		return fmt.Errorf("%w: deleting %s from %s/%s: %s %s", errRegistryUnavailable, digest, namespace, name, resp.Status, readBody(resp))
	}
}

// do sends one authenticated request; transport failures wrap errRegistryUnavailable.
func (c *registryClient) do(ctx context.Context, method, path string) (*http.Response, error) {
	return c.doWith(ctx, method, path, nil)
}

// doWith is do with extra request headers.
func (c *registryClient) doWith(ctx context.Context, method, path string, header map[string]string) (*http.Response, error) {
	token, err := c.tokens.token(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: getting a registry token: %w", errRegistryUnavailable, err)
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
		return nil, fmt.Errorf("%w: %w", errRegistryUnavailable, err)
	}
	return resp, nil
}

// readBody returns the start of an error response, for messages.
func readBody(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return strings.TrimSpace(string(b))
}

// serviceAccountTokens requests tokens for one ServiceAccount through the TokenRequest API
// and reuses each until half its lifetime has passed, so a token is never used near expiry
// and the API server sees one request per half-life.
type serviceAccountTokens struct {
	client    client.Client
	namespace string
	name      string
	audience  string
	lifetime  time.Duration
	now       func() time.Time

	mu      sync.Mutex
	current string
	renewAt time.Time
}

func (s *serviceAccountTokens) token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.current != "" && now.Before(s.renewAt) {
		return s.current, nil
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: s.name}}
	t, err := requestRegistryToken(ctx, s.client, sa, s.audience, s.lifetime, now)
	if err != nil {
		return "", err
	}
	s.current, s.renewAt = t.token, t.renewAt
	return s.current, nil
}
