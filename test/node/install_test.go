//go:build node

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

package node

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// ownRegistry is the registry a user pushes Berth's image to before a release publishes one:
// go-containerregistry's registry, served on loopback by the test (containerd pulls from
// 127.0.0.1 over plain HTTP).
func ownRegistry(t *testing.T) string {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0))), ReadHeaderTimeout: 10 * time.Second}}
	srv.Start()
	t.Cleanup(srv.Close)
	return l.Addr().String()
}

// TestHelmInstallOnRealNode installs the chart with the image `make image-push` builds, as
// docs/install.md says, and checks that berth-controller, berth-registry and the node proxy
// run as Pods on the real node with the chart's defaults (probes, non-root, read-only root,
// the registry's volume, the controller reaching the API server through the kubernetes
// Service, leader election, metrics), and that a task image pushed through the node proxy's
// localhost:<port> is pulled by containerd from the same name.
func TestHelmInstallOnRealNode(t *testing.T) {
	// The suite's own Berth runs as local processes: stop it while the installed one works.
	if out, err := script(time.Minute, "sandbox.sh", "stop-components"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := script(3*time.Minute, "sandbox.sh", "components"); err != nil {
			t.Errorf("restarting the suite's components: %v\n%s", err, out)
		}
	})

	own := ownRegistry(t)
	start := time.Now()
	out, err := command(15*time.Minute, nil, "go", "run", "./hack/image", "-platforms", "linux/"+goarch(), "-oci-layout", "",
		"-push", own+"/berth:test", "-insecure")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Fields(strings.TrimSpace(out))
	digest := lines[len(lines)-1]
	if !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("make image-push printed %q, want a digest last", out)
	}
	t.Logf("image built and pushed to %s in %s: %s", own, time.Since(start).Round(time.Second), digest)

	// The registry's volume: a static PV (the sandbox has no provisioner) the chart's claim
	// binds to, owned by the registry's user.
	pvDir := filepath.Join(t.TempDir(), "registry-pv")
	if err := os.MkdirAll(pvDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(pvDir, 65532, 65532); err != nil {
		t.Fatal(err)
	}
	apply(t, "default", fmt.Sprintf(`
apiVersion: v1
kind: PersistentVolume
metadata: {name: berth-registry-node-test}
spec:
  capacity: {storage: 20Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  hostPath: {path: %s, type: Directory}
`, pvDir))
	t.Cleanup(func() { _, _ = command(time.Minute, nil, tool("kubectl"), "delete", "pv", "berth-registry-node-test", "--wait=false") })

	proxyPort, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	host := "localhost:" + strconv.Itoa(proxyPort)
	const ns, release = "platform", "ecs"
	helm := tool("helm")
	start = time.Now()
	if out, err := command(10*time.Minute, nil, helm, "install", release, "charts/berth", "--namespace", ns, "--create-namespace",
		"--set", "image.repository="+own+"/berth", "--set", "image.digest="+digest,
		// The sandbox's CRDs are installed already (without Helm's ownership).
		"--set", "crds.install=false",
		"--set", "registry.nodeProxy.port="+strconv.Itoa(proxyPort),
		"--wait", "--timeout", "5m"); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, kubectlOut("get", "pods", "-A", "-o", "wide"))
	}
	t.Logf("helm install --wait: %s", time.Since(start).Round(time.Second))
	t.Cleanup(func() {
		if out, err := command(5*time.Minute, nil, helm, "uninstall", release, "--namespace", ns, "--wait", "--timeout", "3m"); err != nil {
			t.Errorf("%v\n%s", err, out)
		}
		ds := &corev1.PodList{}
		if err := k8s.List(context.Background(), ds, client.InNamespace("kube-system"), client.MatchingLabels{"app.kubernetes.io/name": "berth-node-proxy"}); err == nil && len(ds.Items) > 0 {
			t.Errorf("%d node proxy Pods left after helm uninstall", len(ds.Items))
		}
	})

	// Every component runs on the real node, ready, as the chart describes it.
	for _, c := range []struct{ ns, name string }{{ns, "ecs-berth-controller"}, {ns, "ecs-berth-registry"}, {"kube-system", "ecs-berth-node-proxy"}} {
		pods := &corev1.PodList{}
		if err := k8s.List(context.Background(), pods, client.InNamespace(c.ns), client.MatchingLabels{"app.kubernetes.io/name": strings.TrimPrefix(c.name, "ecs-")}); err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) != 1 {
			t.Fatalf("%d Pods of %s, want 1", len(pods.Items), c.name)
		}
		p := pods.Items[0]
		cs := p.Status.ContainerStatuses
		if p.Spec.NodeName != nodeName || p.Status.Phase != corev1.PodRunning || len(cs) != 1 || !cs[0].Ready || cs[0].RestartCount != 0 {
			t.Errorf("%s: node %q, phase %s, container statuses %+v", p.Name, p.Spec.NodeName, p.Status.Phase, cs)
		}
		if !strings.HasSuffix(cs[0].ImageID, digestOfPlatform(t, own, digest)) && !strings.Contains(p.Spec.Containers[0].Image, digest) {
			t.Errorf("%s runs image %s (%s), want %s@%s", p.Name, p.Spec.Containers[0].Image, cs[0].ImageID, own, digest)
		}
		sc := p.Spec.Containers[0].SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || p.Spec.SecurityContext.RunAsNonRoot == nil || !*p.Spec.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: security context %+v / %+v, want non-root with a read-only root", p.Name, p.Spec.SecurityContext, sc)
		}
		if c.name == "ecs-berth-controller" {
			// Leader election through the in-cluster API address (the kubernetes Service).
			lease := &coordinationv1.Lease{}
			kubetest.Eventually(t, time.Minute, func() error {
				if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "berth-controller.berth.dev"}, lease); err != nil {
					return err
				}
				if lease.Spec.HolderIdentity == nil || !strings.HasPrefix(*lease.Spec.HolderIdentity, p.Name) {
					return fmt.Errorf("lease holder %v, want %s", lease.Spec.HolderIdentity, p.Name)
				}
				return nil
			})
			body, err := get("http://" + p.Status.PodIP + ":8080/metrics")
			if err != nil || !strings.Contains(body, "controller_runtime_reconcile_total") {
				t.Errorf("controller metrics at %s:8080: %v\n%s", p.Status.PodIP, err, tail(body, 500))
			}
		}
	}
	claim := &corev1.PersistentVolumeClaim{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "ecs-berth-registry"}, claim); err != nil || claim.Spec.VolumeName != "berth-registry-node-test" {
		t.Errorf("registry claim: %v, bound to %q", err, claim.Spec.VolumeName)
	}

	// A team pushes through the node proxy's address and deploys from it.
	u := &user{ns: kubetest.NewNamespace(t, k8s, "node-"), layout: filepath.Join(t.TempDir(), "image")}
	apply(t, u.ns, `
apiVersion: ecr.berth.dev/v1alpha1
kind: Repository
metadata: {name: hello}
spec: {}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder-poweruser}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ecs-berth-registry-poweruser}
subjects: [{kind: ServiceAccount, name: builder, namespace: `+u.ns+`}]
`)
	kubectl(t, "wait", "--for=condition=Ready", "-n", u.ns, "repositories.ecr.berth.dev/hello", "--timeout=60s")
	if uri := strings.TrimSpace(kubectl(t, "get", "-n", u.ns, "repositories.ecr.berth.dev/hello", "-o", "jsonpath={.status.repositoryUri}")); uri != host+"/"+u.ns+"/hello" {
		t.Errorf("repositoryUri %q, want %s/%s/hello", uri, host, u.ns)
	}
	u.pushTo(t, host, "v1", "through-the-node-proxy")
	u.taskDefinition(t, "hello", host+"/"+u.ns+"/hello:v1")
	u.service(t, "hello", "hello", 1)
	pods := u.waitRunning(t, "hello", 1, 3*time.Minute)
	if img := pods[0].Spec.Containers[0].Image; !strings.HasPrefix(img, host+"/"+u.ns+"/hello@sha256:") {
		t.Errorf("task image %q, want %s/%s/hello pinned by digest", img, host, u.ns)
	}
}

// digestOfPlatform is the manifest digest of this machine's platform in the image index.
func digestOfPlatform(t *testing.T, reg, index string) string {
	t.Helper()
	out, err := command(time.Minute, nil, "skopeo", "inspect", "--raw", "--tls-verify=false", "docker://"+reg+"/berth@"+index)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	i := strings.Index(out, `"digest":"`)
	if i < 0 {
		i = strings.Index(out, `"digest": "`)
	}
	if i < 0 {
		t.Fatalf("no manifest in the index: %s", out)
	}
	rest := out[i:]
	rest = rest[strings.Index(rest, "sha256:"):]
	return rest[:len("sha256:")+64]
}

// kubectlOut runs kubectl and returns its output, errors included (for failure messages).
func kubectlOut(args ...string) string {
	out, err := command(time.Minute, nil, tool("kubectl"), args...)
	if err != nil {
		return out + err.Error()
	}
	return out
}
