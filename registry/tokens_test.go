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
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	registryv1alpha1 "github.com/berth-dev/berth/api/registry/v1alpha1"
	"github.com/berth-dev/berth/internal/logintoken"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/registry/authtoken"
)

// tokenRegistry is a registry of the suite's control plane with the AuthorizationToken API
// on, reached through the API server's aggregation layer (config/registry/token_api.yaml's
// APIService and Service, endpoints on this host).
type tokenRegistry struct {
	addr string
}

// startTokenRegistry serves a registry with the token API on this host's first non-loopback
// address (endpoints may not be loopback), points the APIService's Service at it, and waits
// until the API server reports the APIService Available.
func startTokenRegistry(t *testing.T, s *testSuite) *tokenRegistry {
	t.Helper()
	ctx := context.Background()
	ip := hostIP(t)
	port, err := envtest.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	regAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port+1))
	if err := envtest.ApplyFile(ctx, s.c, filepath.Join(envtest.RepoRoot(), "config", "registry", "token_api.yaml")); err != nil {
		t.Fatal(err)
	}
	// No kube-controller-manager here: the Service's endpoints are written by hand.
	if err := s.c.Create(ctx, &corev1.Endpoints{ //nolint:staticcheck // the aggregator may read either
		ObjectMeta: metav1.ObjectMeta{Namespace: "berth-system", Name: "berth-registry-api"},
		Subsets: []corev1.EndpointSubset{{ //nolint:staticcheck // as above
			Addresses: []corev1.EndpointAddress{{IP: ip}},
			Ports:     []corev1.EndpointPort{{Name: "https", Port: int32(port)}}, //nolint:gosec // a port
		}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.c.Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "berth-system", Name: "berth-registry-api-1", Labels: map[string]string{discoveryv1.LabelServiceName: "berth-registry-api"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To(int32(port))}}, //nolint:gosec // a port
	}); err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Auth.Tokens.APIAddr = net.JoinHostPort(ip, strconv.Itoa(port))
	opts.Auth.Tokens.Namespace = "berth-system"
	opts.Host = "http://" + regAddr // the proxyEndpoint tokens name
	srv, err := New(opts, s.registryConfig)
	if err != nil {
		t.Fatal(err)
	}
	addr, stop, err := serveOn(srv, regAddr, stderrLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	eventually(t, time.Minute, func() error {
		as := &unstructured.Unstructured{}
		as.SetAPIVersion("apiregistration.k8s.io/v1")
		as.SetKind("APIService")
		if err := s.c.Get(ctx, client.ObjectKey{Name: "v1alpha1.registry.berth.dev"}, as); err != nil {
			return err
		}
		conds, _, _ := unstructured.NestedSlice(as.Object, "status", "conditions")
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "Available" && m["status"] == "True" {
				return nil
			}
		}
		return fmt.Errorf("APIService not Available: %v", conds)
	})
	return &tokenRegistry{addr: addr}
}

// hostIP is this machine's first non-loopback IPv4 address.
func hostIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address: the aggregation layer cannot reach a local server")
	return ""
}

// requestToken creates an AuthorizationToken in ns as cfg's user, as kubectl berth and
// docker-credential-berth do.
func requestToken(cfg *rest.Config, ns string, seconds *int64) (*registryv1alpha1.AuthorizationToken, error) {
	return logintoken.Request(context.Background(), cfg, ns, seconds)
}

// bindSubject binds clusterRole in ns to a user or a group.
func (s *testSuite) bindSubject(t *testing.T, ns, name, clusterRole string, subject rbacv1.Subject) {
	t.Helper()
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   []rbacv1.Subject{subject},
	}
	if err := s.c.Create(context.Background(), rb); err != nil {
		t.Fatal(err)
	}
	s.waitForBinding(t, ns, clusterRole, subject)
}

// Any identity the API server authenticates gets a registry credential of its own, when RBAC
// lets it create authorizationtokens; the registry verifies it locally and still authorizes
// every request with RBAC and policies.
func TestAuthorizationTokens(t *testing.T) {
	s := needSuite(t)
	reg := startTokenRegistry(t, s)
	ctx := context.Background()
	s.namespaces(t, "authz-tok")
	s.repository(t, "authz-tok", "app", ecrv1alpha1.Mutable)
	ref := refAt(reg.addr, "authz-tok/app", "v1")

	t.Run("a certificate user without the permission is refused by the API server", func(t *testing.T) {
		cfg, err := s.env.AddUser("carol", "devs")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := requestToken(cfg, "authz-tok", nil); !apierrors.IsForbidden(err) {
			t.Fatalf("token for a user without RBAC: %v, want Forbidden", err)
		}
	})

	alice, err := s.env.AddUser("alice", "team-a-devs")
	if err != nil {
		t.Fatal(err)
	}
	s.bindSubject(t, "authz-tok", "alice-poweruser", "berth-registry-poweruser", rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"})
	var aliceTok *registryv1alpha1.AuthorizationToken
	t.Run("a certificate user gets a token and pushes with it", func(t *testing.T) {
		start := time.Now()
		if aliceTok, err = requestToken(alice, "authz-tok", nil); err != nil {
			t.Fatal(err)
		}
		st := aliceTok.Status
		if st.User.Username != "alice" || !slices.Contains(st.User.Groups, "team-a-devs") || st.Username != registryv1alpha1.BasicUsername ||
			st.ProxyEndpoint != "http://"+reg.addr || !authtoken.Is(st.Token) {
			t.Errorf("token status %+v", st)
		}
		if life := st.ExpirationTimestamp.Sub(start); life < 12*time.Hour-time.Minute || life > 12*time.Hour+time.Minute {
			t.Errorf("the token lives %s, want 12h (ECR's default)", life)
		}
		if err := push(ref, randomImage(t), st.Token); err != nil {
			t.Fatalf("pushing with alice's token: %v", err)
		}
	})

	t.Run("lifetimes: a longer request is cut to the maximum, a too short one is invalid", func(t *testing.T) {
		long, err := requestToken(alice, "authz-tok", ptr.To[int64](30*24*3600))
		if err != nil {
			t.Fatal(err)
		}
		if life := time.Until(long.Status.ExpirationTimestamp.Time); life > 12*time.Hour+time.Minute {
			t.Errorf("a 30-day request got %s, want the 12h cap", life)
		}
		if _, err := requestToken(alice, "authz-tok", ptr.To[int64](60)); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.expirationSeconds") {
			t.Errorf("a 60 s request: %v, want Invalid naming spec.expirationSeconds", err)
		}
	})

	t.Run("an OIDC-like user's groups are in the token and grant what RBAC gives the group", func(t *testing.T) {
		s.bindSubject(t, "authz-tok", "platform-reader", "berth-registry-reader", rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "oidc:platform"})
		bob := rest.CopyConfig(s.env.Config)
		bob.Impersonate = rest.ImpersonationConfig{UserName: "oidc:bob@example.com", Groups: []string{"oidc:platform", "system:authenticated"},
			Extra: map[string][]string{"acme.example.com/team": {"platform"}}}
		tok, err := requestToken(bob, "authz-tok", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Status.User.Username != "oidc:bob@example.com" || !slices.Contains(tok.Status.User.Groups, "oidc:platform") ||
			len(tok.Status.User.Extra["acme.example.com/team"]) != 1 {
			t.Errorf("bob's token carries %+v", tok.Status.User)
		}
		if _, err := pull(ref, tok.Status.Token); err != nil {
			t.Errorf("bob pulls through his group's reader role: %v", err)
		}
		wantRefused(t, "bob pushes with a reader's token", push(ref, randomImage(t), tok.Status.Token), http.StatusForbidden, "DENIED")
	})

	t.Run("a ServiceAccount with only the login role gets a token that can do nothing more", func(t *testing.T) {
		sa := s.serviceAccount(t, "authz-tok", "ci", "berth-registry-login")
		cfg := &rest.Config{Host: s.env.Config.Host, TLSClientConfig: rest.TLSClientConfig{CAData: s.env.Config.CAData},
			BearerToken: s.token(t, "authz-tok", "ci")}
		tok, err := requestToken(cfg, "authz-tok", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Status.User.Username != sa.user() {
			t.Errorf("the ServiceAccount's token names %q, want %q", tok.Status.User.Username, sa.user())
		}
		wantRefused(t, "pull with the login role only", errOf(pull(ref, tok.Status.Token)), http.StatusForbidden, "DENIED")
		s.bind(t, "authz-tok", "berth-registry-poweruser", "authz-tok", "ci")
		eventually(t, 15*time.Second, func() error { return push(ref, randomImage(t), tok.Status.Token) })
	})

	t.Run("removing the RoleBinding refuses the same token at once (after the access cache)", func(t *testing.T) {
		if _, err := pull(ref, aliceTok.Status.Token); err != nil {
			t.Fatalf("alice pulls before: %v", err)
		}
		if err := s.c.Delete(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "authz-tok", Name: "alice-poweruser"}}); err != nil {
			t.Fatal(err)
		}
		took := eventually(t, 15*time.Second, func() error {
			if _, err := pull(ref, aliceTok.Status.Token); err == nil {
				return errors.New("alice still pulls")
			}
			return nil
		})
		t.Logf("refused %s after the RoleBinding was deleted (access cache TTL %s)", took.Round(100*time.Millisecond), testOptions().Auth.AccessCacheTTL.Duration)
		wantRefused(t, "alice after her RoleBinding went", errOf(pull(ref, aliceTok.Status.Token)), http.StatusForbidden, "DENIED")
	})

	t.Run("expired, foreign-signed and altered tokens are refused", func(t *testing.T) {
		s.bindSubject(t, "authz-tok", "alice-reader", "berth-registry-reader", rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"})
		ring := s.keyring(t)
		now := time.Now()
		expired, err := ring.Sign(authtoken.Claims{User: "alice", IssuedAt: now.Add(-2 * time.Hour).Unix(), Expires: now.Add(-time.Hour).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		valid, _ := ring.Sign(authtoken.Claims{User: "alice", IssuedAt: now.Unix(), Expires: now.Add(time.Hour).Unix()})
		eventually(t, 15*time.Second, func() error { _, err := pull(ref, valid); return err })
		foreign := &authtoken.Keyring{}
		key, _ := authtoken.NewKey(now)
		foreign.Set([]authtoken.Key{key})
		forged, _ := foreign.Sign(authtoken.Claims{User: "alice", IssuedAt: now.Unix(), Expires: now.Add(time.Hour).Unix()})
		parts := strings.Split(valid, ".")
		admin, _ := ring.Sign(authtoken.Claims{User: "system:admin", Groups: []string{"system:masters"}, IssuedAt: now.Unix(), Expires: now.Add(time.Hour).Unix()})
		altered := strings.Join(append(parts[:2:2], strings.Split(admin, ".")[2], parts[3]), ".")
		for what, tok := range map[string]string{"expired": expired, "signed with another key": forged, "claims altered": altered} {
			wantRefused(t, what, errOf(pull(ref, tok)), http.StatusUnauthorized, "UNAUTHORIZED")
		}
	})

	t.Run("key rotation keeps old tokens until their key is retired", func(t *testing.T) {
		old, err := requestToken(alice, "authz-tok", nil)
		if err != nil {
			t.Fatal(err)
		}
		oldKID := strings.Split(old.Status.Token, ".")[1]
		// Rotate as the registry does when the key is due: a newer key joins the Secret.
		next, _ := authtoken.NewKey(time.Now().Add(time.Second))
		s.updateKeys(t, func(data map[string][]byte) { data[next.ID] = next.Secret })
		eventually(t, 15*time.Second, func() error {
			tok, err := requestToken(alice, "authz-tok", nil)
			if err != nil {
				return err
			}
			if kid := strings.Split(tok.Status.Token, ".")[1]; kid != next.ID {
				return fmt.Errorf("new tokens are signed with %s, want the new key %s", kid, next.ID)
			}
			return nil
		})
		// (Alice's RBAC answers are cached negative for a few seconds from the test before.)
		eventually(t, 15*time.Second, func() error { _, err := pull(ref, old.Status.Token); return err })
		// Retiring the old key (by hand here) revokes its tokens at once.
		s.updateKeys(t, func(data map[string][]byte) { delete(data, oldKID) })
		eventually(t, 15*time.Second, func() error {
			if _, err := pull(ref, old.Status.Token); err == nil {
				return errors.New("the retired key's token still pulls")
			}
			return nil
		})
		wantRefused(t, "a retired key's token", errOf(pull(ref, old.Status.Token)), http.StatusUnauthorized, "UNAUTHORIZED")
	})

	t.Run("the token API believes user headers only from the API server's front proxy", func(t *testing.T) {
		as := &unstructured.Unstructured{}
		as.SetAPIVersion("v1")
		as.SetKind("Endpoints")
		if err := s.c.Get(ctx, client.ObjectKey{Namespace: "berth-system", Name: "berth-registry-api"}, as); err != nil {
			t.Fatal(err)
		}
		subsets, _, _ := unstructured.NestedSlice(as.Object, "subsets")
		sub := subsets[0].(map[string]any)
		ip := sub["addresses"].([]any)[0].(map[string]any)["ip"].(string)
		port := sub["ports"].([]any)[0].(map[string]any)["port"]
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the attacker's client
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
			fmt.Sprintf("https://%s:%v/apis/registry.berth.dev/v1alpha1/namespaces/authz-tok/authorizationtokens", ip, port), strings.NewReader("{}"))
		req.Header.Set("X-Remote-User", "system:admin")
		req.Header.Set("X-Remote-Group", "system:masters")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a direct request with forged user headers: %d, want 401", resp.StatusCode)
		}
	})
}

// errOf keeps the error of a two-result call.
func errOf[T any](_ T, err error) error { return err }

// keyring loads the registry's token keys from their Secret, as the registry does.
func (s *testSuite) keyring(t *testing.T) *authtoken.Keyring {
	t.Helper()
	sec, err := s.kube.CoreV1().Secrets("berth-system").Get(context.Background(), "berth-registry-token-keys", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := authtoken.KeysFromSecret(sec)
	if err != nil {
		t.Fatal(err)
	}
	ring := &authtoken.Keyring{}
	ring.Set(keys)
	return ring
}

// updateKeys changes the key Secret's data.
func (s *testSuite) updateKeys(t *testing.T, change func(map[string][]byte)) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		secrets := s.kube.CoreV1().Secrets("berth-system")
		sec, err := secrets.Get(context.Background(), "berth-registry-token-keys", metav1.GetOptions{})
		if err != nil {
			return err
		}
		change(sec.Data)
		_, err = secrets.Update(context.Background(), sec, metav1.UpdateOptions{})
		return err
	})
}
