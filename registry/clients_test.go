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
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/docker/distribution/registry/client/auth"
	"github.com/docker/distribution/registry/client/auth/challenge"
	"github.com/docker/distribution/registry/client/transport"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// TestPublicPullWithClients: a repository a policy makes public is pulled without
// credentials by the clients that failed before the token protocol: docker (its registry
// client, github.com/docker/distribution's auth package, with no credentials), skopeo (which
// is podman's library, answering a challenge with an empty Basic login) and crane; a private
// one is refused with 401 to all of them, and pulled with a token through the same flow.
func TestPublicPullWithClients(t *testing.T) {
	s := needSuite(t)
	skopeo, err := exec.LookPath("skopeo")
	if err != nil {
		t.Fatal("skopeo is needed (apt-get install skopeo): it is podman's registry client")
	}
	s.namespaces(t, "pub-c")
	owner := s.serviceAccount(t, "pub-c", "owner", "berth-registry-poweruser")
	s.repository(t, "pub-c", "public", ecrv1alpha1.Mutable)
	s.repository(t, "pub-c", "private", ecrv1alpha1.Mutable)
	img := randomImage(t)
	for _, repo := range []string{"pub-c/public", "pub-c/private"} {
		if err := push(s.ref(repo, "latest"), img, owner.token); err != nil {
			t.Fatal(err)
		}
	}
	s.policy(t, "pub-c", "public", "public", ecrv1alpha1.EffectAllow, ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Name: "system:unauthenticated"}, pullActions...)
	eventually(t, 2*time.Second, func() error {
		_, err := pull(s.ref("pub-c/public", "latest"), "")
		return err
	})
	want := digestOf(t, img).String()

	t.Run("docker", func(t *testing.T) {
		if got, status := dockerGetManifest(t, s.addr, "pub-c/public", "", ""); status != http.StatusOK || got != want {
			t.Errorf("anonymous docker pull of a public repository: %d %s, want 200 %s", status, got, want)
		}
		if _, status := dockerGetManifest(t, s.addr, "pub-c/private", "", ""); status != http.StatusUnauthorized {
			t.Errorf("anonymous docker pull of a private repository: %d, want 401", status)
		}
		if got, status := dockerGetManifest(t, s.addr, "pub-c/private", "berth", owner.token); status != http.StatusOK || got != want {
			t.Errorf("docker pull with a login: %d %s, want 200 %s", status, got, want)
		}
	})
	t.Run("skopeo", func(t *testing.T) {
		inspect := func(repo string, creds ...string) (string, error) {
			args := append([]string{"inspect", "--tls-verify=false", "--retry-times=0", "--no-tags"}, creds...)
			out, err := exec.CommandContext(context.Background(), skopeo, append(args, "docker://"+s.addr+"/"+repo+":latest")...).CombinedOutput()
			return string(out), err
		}
		out, err := inspect("pub-c/public", "--no-creds")
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("anonymous skopeo inspect of a public repository: %v\n%s", err, out)
		}
		if out, err := inspect("pub-c/private", "--no-creds"); err == nil || !strings.Contains(strings.ToLower(out), "unauthorized") {
			t.Errorf("anonymous skopeo inspect of a private repository: %v, want unauthorized\n%s", err, out)
		}
		if out, err := inspect("pub-c/private", "--creds", "berth:"+owner.token); err != nil || !strings.Contains(out, want) {
			t.Errorf("skopeo inspect with credentials: %v\n%s", err, redactToken(out, owner.token))
		}
	})
	t.Run("empty basic login", func(t *testing.T) {
		for repo, wantStatus := range map[string]int{"pub-c/public": http.StatusOK, "pub-c/private": http.StatusUnauthorized} {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodHead, "http://"+s.addr+"/v2/"+repo+"/manifests/latest", nil)
			req.Header.Set("Authorization", "Basic Og==") // ":" — podman's and skopeo's answer without credentials
			req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != wantStatus {
				t.Errorf("HEAD %s with an empty Basic login: %d, want %d", repo, resp.StatusCode, wantStatus)
			}
		}
	})
}

// TestTokenEndpoint: the token endpoint gives callers without credentials the anonymous
// token, gives authenticated ones their own token back (GET with Basic, and the OAuth2 POST
// containerd and docker try first), refuses bad credentials with 401, and what it gives
// works as a Bearer token.
func TestTokenEndpoint(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "tok-e")
	owner := s.serviceAccount(t, "tok-e", "owner", "berth-registry-poweruser")
	s.repository(t, "tok-e", "app", ecrv1alpha1.Mutable)
	if err := push(s.ref("tok-e/app", "v1"), randomImage(t), owner.token); err != nil {
		t.Fatal(err)
	}
	base := "http://" + s.addr + "/berth/v1/token?service=berth-registry&scope=repository:tok-e/app:pull"
	token := func(req *http.Request) (int, map[string]any) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	get := func(user, password string) (int, map[string]any) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, base, nil)
		if user != "" || password != "" {
			req.SetBasicAuth(user, password)
		}
		return token(req)
	}

	status, body := get("", "")
	if status != http.StatusOK || body["token"] != "berth.anonymous" || body["access_token"] != "berth.anonymous" {
		t.Errorf("anonymous token request: %d %v", status, body)
	}
	status, body = get("berth", owner.token)
	if status != http.StatusOK || body["token"] != owner.token {
		t.Errorf("token request with a login: %d, token given back: %v", status, body["token"] == owner.token)
	}
	if exp, ok := body["expires_in"].(float64); !ok || exp < 60 || exp > 3600 {
		t.Errorf("expires_in = %v, want 60..3600", body["expires_in"])
	}
	if status, _ := get("berth", "not-a-token"); status != http.StatusUnauthorized {
		t.Errorf("token request with a bad password: %d, want 401", status)
	}
	form := url.Values{"grant_type": {"password"}, "username": {"berth"}, "password": {owner.token}, "service": {"berth-registry"}, "client_id": {"containerd"}}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, base, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, body := token(req); status != http.StatusOK || body["access_token"] != owner.token {
		t.Errorf("OAuth2 password grant: %d, access token given back: %v", status, body["access_token"] == owner.token)
	}

	for _, tc := range []struct {
		bearer string
		want   int
	}{{owner.token, http.StatusOK}, {"berth.anonymous", http.StatusUnauthorized}} {
		resp := s.doBearer(t, http.MethodGet, "/v2/tok-e/app/tags/list", tc.bearer)
		if resp.status != tc.want {
			t.Errorf("tags/list with Bearer token (anonymous: %v): %d, want %d", tc.bearer == "berth.anonymous", resp.status, tc.want)
		}
	}
}

// dockerGetManifest fetches repo:latest's manifest as docker's registry client does: ping
// /v2/ for the challenges, then a transport with the token and Basic handlers over the
// credentials (none when user and password are empty). It returns the Docker-Content-Digest
// and the status.
func dockerGetManifest(t *testing.T, addr, repo, user, password string) (string, int) {
	t.Helper()
	ping, err := http.Get("http://" + addr + "/v2/") //nolint:noctx // as docker pings
	if err != nil {
		t.Fatal(err)
	}
	_ = ping.Body.Close()
	cm := challenge.NewSimpleManager()
	if err := cm.AddResponse(ping); err != nil {
		t.Fatal(err)
	}
	creds := staticCredentials{user: user, password: password}
	tokens := auth.NewTokenHandler(http.DefaultTransport, creds, repo, "pull")
	tr := transport.NewTransport(http.DefaultTransport, auth.NewAuthorizer(cm, tokens, auth.NewBasicHandler(creds)))
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+addr+"/v2/"+repo+"/manifests/latest", nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		// docker's client gives up before sending when it cannot authorize.
		t.Logf("docker's client: %v", err)
		return "", http.StatusUnauthorized
	}
	_ = resp.Body.Close()
	return resp.Header.Get("Docker-Content-Digest"), resp.StatusCode
}

// staticCredentials is docker's credential store with one login, or none.
type staticCredentials struct{ user, password string }

func (c staticCredentials) Basic(*url.URL) (string, string)          { return c.user, c.password }
func (c staticCredentials) RefreshToken(*url.URL, string) string     { return "" }
func (c staticCredentials) SetRefreshToken(*url.URL, string, string) {}

// redactToken hides token in output shown on failure.
func redactToken(out, token string) string { return strings.ReplaceAll(out, token, "<token>") }

// TestEveryonePrincipal: ECR's "Principal": "*" ({kind: Group, name: "*"}) in an Allow makes
// a repository public, and in a Deny stops everyone, RBAC admins included.
func TestEveryonePrincipal(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "star-a")
	admin := s.serviceAccount(t, "star-a", "admin", "berth-registry-admin")
	s.repository(t, "star-a", "app", ecrv1alpha1.Mutable)
	if err := push(s.ref("star-a/app", "v1"), randomImage(t), admin.token); err != nil {
		t.Fatal(err)
	}
	everyone := ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Name: "*"}
	s.policy(t, "star-a", "public", "app", ecrv1alpha1.EffectAllow, everyone, pullActions...)
	eventually(t, 2*time.Second, func() error {
		_, err := pull(s.ref("star-a/app", "v1"), "")
		return err
	})
	s.policy(t, "star-a", "frozen", "app", ecrv1alpha1.EffectDeny, everyone, "ecr:PutImage")
	eventually(t, 2*time.Second, func() error {
		err := push(s.ref("star-a/app", "v2"), randomImage(t), admin.token)
		if status, code := ociError(err); status != http.StatusForbidden || code != "DENIED" {
			return fmt.Errorf("push by an admin under Deny *: %w", err)
		}
		return nil
	})
}
