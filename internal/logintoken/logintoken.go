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

// Package logintoken obtains and caches registry credentials for people: it asks the
// Kubernetes API server for an AuthorizationToken (registry.berth.dev, served by
// berth-registry) with the caller's kubeconfig, keeps it in a private cache until shortly
// before it expires, and remembers which kubeconfig context a registry host belongs to. The
// Docker credential helper (cmd/docker-credential-berth) and `kubectl berth login` use it.
package logintoken

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	registryv1alpha1 "github.com/berth-dev/berth/api/registry/v1alpha1"
)

// Request creates an AuthorizationToken in namespace as cfg's user. seconds may be nil (the
// registry's default, 12 hours).
func Request(ctx context.Context, cfg *rest.Config, namespace string, seconds *int64) (*registryv1alpha1.AuthorizationToken, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the API client: %w", err)
	}
	body, err := json.Marshal(registryv1alpha1.AuthorizationToken{
		TypeMeta: metav1.TypeMeta{APIVersion: registryv1alpha1.GroupName + "/" + registryv1alpha1.Version, Kind: registryv1alpha1.Kind},
		Spec:     registryv1alpha1.AuthorizationTokenSpec{ExpirationSeconds: seconds},
	})
	if err != nil {
		return nil, err
	}
	res := kube.CoreV1().RESTClient().Post().
		AbsPath("/apis", registryv1alpha1.GroupName, registryv1alpha1.Version, "namespaces", namespace, registryv1alpha1.Resource).
		Body(body).SetHeader("Content-Type", "application/json").Do(ctx)
	if err := res.Error(); err != nil {
		return nil, fmt.Errorf("requesting a registry token in namespace %s: %w", namespace, err)
	}
	raw, err := res.Raw()
	if err != nil {
		return nil, err
	}
	tok := &registryv1alpha1.AuthorizationToken{}
	if err := json.Unmarshal(raw, tok); err != nil || tok.Status.Token == "" {
		return nil, fmt.Errorf("the API server's answer is not an AuthorizationToken: %s", truncate(string(raw), 200))
	}
	return tok, nil
}

// Target is where a registry host's credentials come from: a kubeconfig file (empty: the
// default loading rules, $KUBECONFIG then ~/.kube/config), a context (empty: the current
// one) and a namespace (empty: the context's, else default).
type Target struct {
	Kubeconfig string `json:"kubeconfig,omitempty"`
	Context    string `json:"context,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
}

// RESTConfig loads the target's client configuration and the namespace it names.
func (t Target) RESTConfig() (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if t.Kubeconfig != "" {
		rules.ExplicitPath = t.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: t.Context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("loading the kubeconfig: %w", err)
	}
	ns := t.Namespace
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil || ns == "" {
			ns = "default"
		}
	}
	return cfg, ns, nil
}

// key names a cache entry: the host and where its credentials come from.
func (t Target) key(host string) string {
	sum := sha256.Sum256([]byte(host + "\x00" + t.Kubeconfig + "\x00" + t.Context + "\x00" + t.Namespace))
	return hex.EncodeToString(sum[:12])
}

// Store is the helper's files: the registries `kubectl berth login` configured
// (<config>/registries.json) and the cached credentials (<cache>/credentials/, one 0600
// file per registry).
type Store struct {
	ConfigDir, CacheDir string
	Now                 func() time.Time
}

// DefaultStore uses $XDG_CONFIG_HOME/berth and $XDG_CACHE_HOME/berth (or ~/.config, ~/.cache).
func DefaultStore() (*Store, error) {
	cfg, err := os.UserConfigDir()
	if err != nil {
		return nil, err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return nil, err
	}
	return &Store{ConfigDir: filepath.Join(cfg, "berth"), CacheDir: filepath.Join(cache, "berth"), Now: time.Now}, nil
}

type registries struct {
	Registries map[string]Target `json:"registries"`
}

// Targets lists the configured registry hosts.
func (s *Store) Targets() (map[string]Target, error) {
	var r registries
	data, err := os.ReadFile(filepath.Join(s.ConfigDir, "registries.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return map[string]Target{}, nil
	case err != nil:
		return nil, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(s.ConfigDir, "registries.json"), err)
	}
	if r.Registries == nil {
		r.Registries = map[string]Target{}
	}
	return r.Registries, nil
}

// SetTarget configures host.
func (s *Store) SetTarget(host string, t Target) error {
	all, err := s.Targets()
	if err != nil {
		return err
	}
	all[Host(host)] = t
	data, err := json.MarshalIndent(registries{Registries: all}, "", "  ")
	if err != nil {
		return err
	}
	return writePrivate(filepath.Join(s.ConfigDir, "registries.json"), data)
}

// TargetOf is host's configured target, or the current context's.
func (s *Store) TargetOf(host string) (Target, error) {
	all, err := s.Targets()
	if err != nil {
		return Target{}, err
	}
	return all[Host(host)], nil
}

// cached is a cache file.
type cached struct {
	Host      string    `json:"host"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	IssuedAt  time.Time `json:"issuedAt"`
}

// renewBefore is how long before its expiry a cached token is replaced: a tenth of its
// life, at least 5 minutes (a push of large layers must not outlive its credential).
func renewBefore(c cached) time.Duration {
	return max(c.ExpiresAt.Sub(c.IssuedAt)/10, 5*time.Minute)
}

// Get returns a token for host: the cached one while it is valid for longer than its
// renewal margin, else a new one (cached).
func (s *Store) Get(ctx context.Context, host string) (string, error) {
	host = Host(host)
	t, err := s.TargetOf(host)
	if err != nil {
		return "", err
	}
	path := filepath.Join(s.CacheDir, "credentials", t.key(host)+".json")
	if data, err := os.ReadFile(path); err == nil { //nolint:gosec // the helper's own cache file
		var c cached
		if json.Unmarshal(data, &c) == nil && c.Token != "" && s.Now().Add(renewBefore(c)).Before(c.ExpiresAt) {
			return c.Token, nil
		}
	}
	cfg, ns, err := t.RESTConfig()
	if err != nil {
		return "", err
	}
	tok, err := Request(ctx, cfg, ns, nil)
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(cached{Host: host, Token: tok.Status.Token, ExpiresAt: tok.Status.ExpirationTimestamp.Time, IssuedAt: s.Now()})
	if err != nil {
		return "", err
	}
	if err := writePrivate(path, data); err != nil {
		return "", err
	}
	return tok.Status.Token, nil
}

// Erase drops host's cached token.
func (s *Store) Erase(host string) error {
	t, err := s.TargetOf(host)
	if err != nil {
		return err
	}
	err = os.Remove(filepath.Join(s.CacheDir, "credentials", t.key(Host(host))+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// List is the hosts with a configuration or a cached token.
func (s *Store) List() ([]string, error) {
	all, err := s.Targets()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for h := range all {
		seen[h] = true
	}
	entries, _ := os.ReadDir(filepath.Join(s.CacheDir, "credentials"))
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(s.CacheDir, "credentials", e.Name()))
		var c cached
		if err == nil && json.Unmarshal(data, &c) == nil && c.Host != "" {
			seen[c.Host] = true
		}
	}
	hosts := make([]string, 0, len(seen))
	for h := range seen {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return hosts, nil
}

// Host is the registry host of a server URL as Docker passes it ("https://r.example.com",
// "r.example.com:5000/v2/", "r.example.com").
func Host(server string) string {
	s := strings.TrimSpace(server)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	return s
}

// writePrivate writes data to path readable by its owner only, through a rename so a reader
// never sees half a file.
func writePrivate(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// HelperName is the credential helper's name in Docker's configuration: Docker runs
// docker-credential-<name>.
const HelperName = "berth"

// DockerConfigPath is Docker's client configuration: $DOCKER_CONFIG/config.json, else
// ~/.docker/config.json (crane, skopeo and podman read it too).
func DockerConfigPath() (string, error) {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".docker", "config.json"), nil
}

// ConfigureDocker adds "credHelpers": {host: "berth"} to the Docker configuration at path,
// keeping everything else in it.
func ConfigureDocker(path, host string) error {
	cfg := map[string]json.RawMessage{}
	data, err := os.ReadFile(path) //nolint:gosec // the user's Docker configuration
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &cfg); err != nil {
			return fmt.Errorf("%s is not JSON: %w", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	helpers := map[string]string{}
	if raw, ok := cfg["credHelpers"]; ok {
		if err := json.Unmarshal(raw, &helpers); err != nil {
			return fmt.Errorf("%s: credHelpers: %w", path, err)
		}
	}
	helpers[Host(host)] = HelperName
	raw, err := json.Marshal(helpers)
	if err != nil {
		return err
	}
	cfg["credHelpers"] = raw
	out, err := json.MarshalIndent(cfg, "", "\t")
	if err != nil {
		return err
	}
	return writePrivate(path, append(out, '\n'))
}

// Put caches tok as host's current token (what `kubectl berth login` just obtained).
func (s *Store) Put(host string, t Target, tok *registryv1alpha1.AuthorizationToken) error {
	host = Host(host)
	data, err := json.Marshal(cached{Host: host, Token: tok.Status.Token, ExpiresAt: tok.Status.ExpirationTimestamp.Time, IssuedAt: s.Now()})
	if err != nil {
		return err
	}
	return writePrivate(filepath.Join(s.CacheDir, "credentials", t.key(host)+".json"), data)
}
