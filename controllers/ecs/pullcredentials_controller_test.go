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

package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/internal/registrytest"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
	regclient "github.com/berth-dev/berth/registry/client"
	"github.com/berth-dev/berth/registry/options"
)

// TestPullCredentials runs the pull credentials controller against a real API server and the
// real registry: the Secret it writes must let a client pull (and only pull) the namespace's
// images, follow the Services that need it, survive its ServiceAccount being re-created, and
// go away with the last Service that needs it.
func TestPullCredentials(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is unset")
	}
	e := registrytest.Start(t)
	ctx := context.Background()
	e.StartRegistry(t, "")
	if err := envtest.ApplyFile(ctx, e.C, filepath.Join(envtest.RepoRoot(), "config/rbac/registry_reader_role.yaml")); err != nil {
		t.Fatal(err)
	}
	ns := e.PusherNS
	e.Repository(t, "web", nil)
	pushed := e.Push(t, "web", "v1")
	startPullCredentialsManager(t, e)

	image := e.RegAddr + "/" + ns + "/web:v1"
	createFamily(t, e, "web", image, "")
	createECSService(t, e, "web")

	var token string
	t.Run("SecretPullsButCannotPush", func(t *testing.T) {
		token = waitPullToken(t, e, DefaultPullSecretName, "")
		sa := &corev1.ServiceAccount{}
		if err := e.C.Get(ctx, types.NamespacedName{Namespace: ns, Name: "berth-task-execution"}, sa); err != nil {
			t.Fatalf("execution ServiceAccount: %v", err)
		}
		rb := &rbacv1.RoleBinding{}
		if err := e.C.Get(ctx, types.NamespacedName{Namespace: ns, Name: readerBindingName("berth-task-execution")}, rb); err != nil {
			t.Fatalf("reader RoleBinding: %v", err)
		}
		if rb.RoleRef.Name != RegistryReaderRole {
			t.Fatalf("RoleBinding binds %+v", rb.RoleRef)
		}
		ref, err := name.ParseReference(image, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		auth := authn.FromConfig(authn.AuthConfig{Username: "berth", Password: token})
		desc, err := remote.Get(ref, remote.WithAuth(auth))
		if err != nil {
			t.Fatalf("pull with the pull Secret's token: %v", err)
		}
		if desc.Digest != pushed {
			t.Fatalf("pulled %s, pushed %s", desc.Digest, pushed)
		}
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		err = remote.Write(ref, img, remote.WithAuth(auth))
		var terr *transport.Error
		if !errors.As(err, &terr) || terr.StatusCode != http.StatusForbidden {
			t.Fatalf("push with the pull token: %v, want 403", err)
		}
	})

	t.Run("OwnExecutionIdentity", func(t *testing.T) {
		createFamily(t, e, "batch", e.RegAddr+"/"+ns+"/web:v1", "batch-pull")
		createECSService(t, e, "batch")
		waitPullToken(t, e, DefaultPullSecretName+"-batch-pull", "")
		sa := &corev1.ServiceAccount{}
		if err := e.C.Get(ctx, types.NamespacedName{Namespace: ns, Name: "batch-pull"}, sa); err != nil {
			t.Fatalf("execution ServiceAccount batch-pull: %v", err)
		}
	})

	t.Run("ServiceAccountRecreatedGetsNewToken", func(t *testing.T) {
		sa := &corev1.ServiceAccount{}
		if err := e.C.Get(ctx, types.NamespacedName{Namespace: ns, Name: "berth-task-execution"}, sa); err != nil {
			t.Fatal(err)
		}
		if err := e.C.Delete(ctx, sa); err != nil {
			t.Fatal(err)
		}
		renewed := waitPullToken(t, e, DefaultPullSecretName, token)
		ref, _ := name.ParseReference(image, name.Insecure)
		if _, err := remote.Head(ref, remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "berth", Password: renewed}))); err != nil {
			t.Fatalf("pull with the renewed token: %v", err)
		}
	})

	t.Run("RemovedWithTheLastService", func(t *testing.T) {
		if err := e.C.Delete(ctx, &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "batch"}}); err != nil {
			t.Fatal(err)
		}
		kubetest.Eventually(t, 30*time.Second, func() error {
			for _, obj := range []client.Object{
				&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: DefaultPullSecretName + "-batch-pull"}},
				&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "batch-pull"}},
				&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: readerBindingName("batch-pull")}},
			} {
				err := e.C.Get(ctx, types.NamespacedName{Namespace: ns, Name: obj.GetName()}, obj)
				if !apierrors.IsNotFound(err) {
					return fmt.Errorf("%T %s still there (%w)", obj, obj.GetName(), err)
				}
			}
			return nil
		})
		// The other Service still needs its Secret.
		waitPullToken(t, e, DefaultPullSecretName, "")
	})

	t.Run("DigestsResolvedForDeployments", func(t *testing.T) {
		reg, err := regclient.New("http://"+e.RegAddr, http.DefaultClient, registrytest.StaticToken(e.Token(t, "berth-system", "berth-controller")))
		if err != nil {
			t.Fatal(err)
		}
		d := &regclient.Digests{Client: reg, Host: e.RegAddr}
		byDigest := e.RegAddr + "/" + ns + "/web@" + pushed.String()
		got, err := d.Resolve(ctx, ns, []string{image, e.RegAddr + "/" + ns + "/web:missing", "nginx:1.27", byDigest, e.RegAddr + "/" + ns + "/nothere:v1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[image] != pushed.String() {
			t.Fatalf("Resolve = %v, want only %s → %s", got, image, pushed)
		}
		down, _ := regclient.New("http://"+envtest.FreeLoopbackAddr(t), http.DefaultClient, registrytest.StaticToken("x"))
		if _, err := (&regclient.Digests{Client: down, Host: e.RegAddr}).Resolve(ctx, ns, []string{image}); !errors.Is(err, regclient.ErrUnavailable) {
			t.Fatalf("Resolve with the registry down: %v, want regclient.ErrUnavailable", err)
		}
	})
}

// startPullCredentialsManager runs the TaskDefinition and pull credentials controllers with
// the manager's real (label-scoped) cache.
func startPullCredentialsManager(t *testing.T, e *registrytest.Env) {
	t.Helper()
	startTaskDefinitionManager(t, e.Env, func(_ context.Context, mgr ctrl.Manager) error {
		return (&PullCredentialsReconciler{
			Client:       mgr.GetClient(),
			APIReader:    mgr.GetAPIReader(),
			RegistryHost: e.RegAddr,
			SecretName:   DefaultPullSecretName,
			Audience:     options.DefaultAudience,
			Lifetime:     time.Hour,
			Recorder:     mgr.GetEventRecorder("berth-pullcredentials-controller"),
		}).SetupWithManager(mgr)
	})
}

// startTaskDefinitionManager runs, against e's control plane, a manager with the real
// (label-scoped) cache, the field indexes, the TaskDefinition controller and what more
// registers; stop ends it (also at the end of the test).
func startTaskDefinitionManager(t *testing.T, env *envtest.Env, more envtest.Setup) (stop func()) {
	t.Helper()
	cacheOpts, err := CacheOptions()
	if err != nil {
		t.Fatal(err)
	}
	return env.StartManager(t, cacheOpts, func(ctx context.Context, mgr ctrl.Manager) error {
		if err := SetupIndexes(ctx, mgr); err != nil {
			return err
		}
		if err := (&TaskDefinitionReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(), Recorder: &events.FakeRecorder{}}).SetupWithManager(mgr); err != nil {
			return err
		}
		return more(ctx, mgr)
	})
}

func createFamily(t *testing.T, e *registrytest.Env, family, image, executionSA string) {
	t.Helper()
	td := &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.PusherNS, Name: family},
		Spec: ecsv1alpha1.TaskDefinitionSpec{
			ExecutionServiceAccountName: executionSA,
			ContainerDefinitions:        []ecsv1alpha1.ContainerDefinition{{Name: "app", Image: image}},
		},
	}
	if err := e.C.Create(context.Background(), td); err != nil {
		t.Fatal(err)
	}
}

func createECSService(t *testing.T, e *registrytest.Env, family string) {
	t.Helper()
	svc := &ecsv1alpha1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.PusherNS, Name: family},
		Spec:       ecsv1alpha1.ServiceSpec{TaskDefinition: family, DesiredCount: ptr.To[int32](0)},
	}
	if err := e.C.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
}

// waitPullToken waits for pull Secret name to hold a token other than not, for the test
// registry, and returns it.
func waitPullToken(t *testing.T, e *registrytest.Env, secret, not string) string {
	t.Helper()
	var token string
	kubetest.Eventually(t, 30*time.Second, func() error {
		s := &corev1.Secret{}
		if err := e.C.Get(context.Background(), types.NamespacedName{Namespace: e.PusherNS, Name: secret}, s); err != nil {
			return err
		}
		if s.Type != corev1.SecretTypeDockerConfigJson {
			return fmt.Errorf("secret type %s", s.Type)
		}
		var cfg dockerConfig
		if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &cfg); err != nil {
			return err
		}
		a, ok := cfg.Auths[e.RegAddr]
		if !ok || a.Password == "" || a.Password == not {
			return fmt.Errorf("no new token for %s in %v", e.RegAddr, s.Annotations)
		}
		token = a.Password
		return nil
	})
	return token
}

func TestPullTokenDue(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "berth-task-execution", UID: "uid-1"}}
	fresh := pullSecret(sa, "s", "reg:5000", "tok", now.Add(6*time.Hour), now.Add(12*time.Hour))
	cases := []struct {
		name    string
		mutate  func(*corev1.Secret)
		uid     string
		host    string
		at      time.Time
		wantNew bool
		wantDue time.Time
	}{
		{"fresh", nil, "uid-1", "reg:5000", now, false, now.Add(6 * time.Hour)},
		{"just before half-life", nil, "uid-1", "reg:5000", now.Add(6*time.Hour - time.Second), false, now.Add(6 * time.Hour)},
		{"at half-life", nil, "uid-1", "reg:5000", now.Add(6 * time.Hour), true, now.Add(6 * time.Hour)},
		{"ServiceAccount re-created", nil, "uid-2", "reg:5000", now, true, now},
		{"registry host changed", nil, "uid-1", "other:5000", now, true, now},
		{"wrong type", func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque }, "uid-1", "reg:5000", now, true, now},
		{"no data", func(s *corev1.Secret) { s.Data = nil }, "uid-1", "reg:5000", now, true, now},
		{"refresh time unreadable", func(s *corev1.Secret) { s.Annotations[pullTokenRefreshAnnotation] = "soon" }, "uid-1", "reg:5000", now, true, now},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := fresh.DeepCopy()
			if c.mutate != nil {
				c.mutate(s)
			}
			due, renew := pullTokenDue(s, c.uid, c.host, c.at)
			if renew != c.wantNew || (!renew && !due.Equal(c.wantDue)) {
				t.Errorf("pullTokenDue = %v, %v; want %v, %v", due, renew, c.wantDue, c.wantNew)
			}
		})
	}
}
