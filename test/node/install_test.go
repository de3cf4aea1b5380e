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
	"runtime"
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

// installation is Berth installed in the cluster: where, under which names, with which image.
type installation struct {
	ns        string // the components' namespace
	prefix    string // of object names: "ecs-" for release ecs, "" for config/default
	host      string // the registry's name in image references: the node proxy's localhost:<port>
	own       string // the registry holding Berth's image
	digest    string // Berth's image index
	poweruser string // the ClusterRole granting push
}

// prepareInstall stops the suite's own Berth (local processes) until the test ends, pushes
// Berth's image (built for this machine's platform as `make image-push` does) to a registry
// of the user's, and makes a static volume for the registry's claim (no provisioner here).
func prepareInstall(t *testing.T) (own, digest string) {
	t.Helper()
	if out, err := script(time.Minute, "sandbox.sh", "stop-components"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Cleanup(func() {
		for _, step := range [][]string{{"sandbox.sh", "rbac"}, {"sandbox.sh", "components"}} {
			if out, err := script(3*time.Minute, step...); err != nil {
				t.Errorf("restarting the suite's components: %v\n%s", err, out)
			}
		}
	})
	own = ownRegistry(t)
	start := time.Now()
	out, err := command(15*time.Minute, nil, "go", "run", "./hack/image", "-platforms", "linux/"+runtime.GOARCH, "-oci-layout", "",
		"-push", own+"/berth:test", "-insecure")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Fields(strings.TrimSpace(out))
	digest = lines[len(lines)-1]
	if !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("make image-push printed %q, want a digest last", out)
	}
	t.Logf("image built and pushed to %s in %s: %s", own, time.Since(start).Round(time.Second), digest)

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
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: %s, type: Directory}
`, pvDir))
	t.Cleanup(func() {
		_, _ = command(time.Minute, nil, tool("kubectl"), "delete", "pv", "berth-registry-node-test", "--wait=false")
	})
	return own, digest
}

// TestHelmInstallOnRealNode installs the chart with the image `make image-push` builds, as
// docs/install.md says, and checks the installation (check).
func TestHelmInstallOnRealNode(t *testing.T) {
	own, digest := prepareInstall(t)
	proxyPort, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	const ns, release = "platform", "ecs"
	helm := tool("helm")
	start := time.Now()
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
		checkNodeProxyGone(t)
	})
	check(t, installation{ns: ns, prefix: "ecs-", host: "localhost:" + strconv.Itoa(proxyPort), own: own, digest: digest, poweruser: "ecs-berth-registry-poweruser"})
}

// TestKustomizeInstallOnRealNode installs config/default with kubectl, Berth's image set by
// an overlay as a user would (kustomize edit set image), and checks the installation. The
// node proxy listens on its default, localhost:5001.
func TestKustomizeInstallOnRealNode(t *testing.T) {
	own, digest := prepareInstall(t)
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "config"), os.DirFS(filepath.Join(sb.Root, "config"))); err != nil {
		t.Fatal(err)
	}
	overlay := filepath.Join(dir, "install")
	if err := os.MkdirAll(overlay, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), fmt.Appendf(nil, `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../config/default]
images:
- {name: ghcr.io/berth-dev/berth, newName: %s/berth, digest: %s}
`, own, digest), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	kubectl(t, "apply", "-k", overlay)
	t.Cleanup(func() {
		if t.Failed() {
			releaseLeftovers(t)
		}
		if out, err := command(5*time.Minute, nil, tool("kubectl"), "delete", "-k", overlay, "--wait=true", "--timeout=3m", "--ignore-not-found"); err != nil {
			t.Errorf("%v\n%s", err, out)
		}
		checkNodeProxyGone(t)
		// The sandbox's CRDs went with config/default: put them back for the other tests.
		kubectl(t, "apply", "--server-side", "-k", "config/crd")
		kubectl(t, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
	})
	for _, d := range []string{"deployment/berth-controller", "deployment/berth-registry"} {
		kubectl(t, "rollout", "status", "-n", "berth-system", d, "--timeout=5m")
	}
	kubectl(t, "rollout", "status", "-n", "kube-system", "daemonset/berth-node-proxy", "--timeout=3m")
	t.Logf("kubectl apply -k, rolled out: %s", time.Since(start).Round(time.Second))
	check(t, installation{ns: "berth-system", host: "localhost:5001", own: own, digest: digest, poweruser: "berth-registry-poweruser"})
}

// releaseLeftovers removes the finalizers of the Berth objects a failed test left behind
// (a Repository its controller could not release, say): the uninstall removes the CRDs, which
// would otherwise stay terminating, and every later test would fail on them.
func releaseLeftovers(t *testing.T) {
	t.Helper()
	out := kubectlOut("get", "berth", "-A", "-o",
		`jsonpath={range .items[?(@.metadata.finalizers)]}{.metadata.namespace} {.kind} {.apiVersion} {.metadata.name}{"\n"}{end}`)
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			continue
		}
		group, _, _ := strings.Cut(f[2], "/")
		t.Logf("releasing %s %s/%s, left by the failed test: %s", f[1], f[0], f[3],
			kubectlOut("patch", "-n", f[0], strings.ToLower(f[1])+"."+group, f[3], "--type=merge", "-p", `{"metadata":{"finalizers":null}}`))
	}
}

// checkNodeProxyGone fails the test when node proxy Pods are left after an uninstall.
func checkNodeProxyGone(t *testing.T) {
	t.Helper()
	kubetest.Eventually(t, 2*time.Minute, func() error {
		pods := &corev1.PodList{}
		if err := k8s.List(context.Background(), pods, client.InNamespace("kube-system"), client.MatchingLabels{"app.kubernetes.io/name": "berth-node-proxy"}); err != nil {
			return err
		}
		if len(pods.Items) > 0 {
			return fmt.Errorf("%d node proxy Pods left after the uninstall", len(pods.Items))
		}
		return nil
	})
}

// check verifies an installation on the real node: berth-controller, berth-registry and the
// node proxy run there as Pods with the defaults (probes, non-root, read-only root, the
// registry's volume, the controller reaching the API server through the kubernetes Service,
// leader election, metrics), and a task image pushed through the node proxy's
// localhost:<port> is pulled by containerd from the same name.
func check(t *testing.T, in installation) {
	t.Helper()
	for _, c := range []struct{ ns, name string }{{in.ns, "berth-controller"}, {in.ns, "berth-registry"}, {"kube-system", "berth-node-proxy"}} {
		pods := &corev1.PodList{}
		if err := k8s.List(context.Background(), pods, client.InNamespace(c.ns), client.MatchingLabels{"app.kubernetes.io/name": c.name}); err != nil {
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
		if img := p.Spec.Containers[0].Image; img != in.own+"/berth@"+in.digest {
			t.Errorf("%s runs image %s, want %s/berth@%s", p.Name, img, in.own, in.digest)
		}
		sc := p.Spec.Containers[0].SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || p.Spec.SecurityContext.RunAsNonRoot == nil || !*p.Spec.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: security context %+v / %+v, want non-root with a read-only root", p.Name, p.Spec.SecurityContext, sc)
		}
		if c.name == "berth-controller" {
			// Leader election through the in-cluster API address (the kubernetes Service).
			lease := &coordinationv1.Lease{}
			kubetest.Eventually(t, time.Minute, func() error {
				if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: in.ns, Name: "berth-controller.berth.dev"}, lease); err != nil {
					return err
				}
				if lease.Spec.HolderIdentity == nil || !strings.HasPrefix(*lease.Spec.HolderIdentity, p.Name) {
					return fmt.Errorf("lease holder %v, want %s", lease.Spec.HolderIdentity, p.Name)
				}
				return nil
			})
			body, err := get("http://" + p.Status.PodIP + ":8080/metrics")
			if err != nil || !containsAll(body, []string{"controller_runtime_reconcile_total", "rest_client_rate_limiter_duration_seconds_bucket", "rest_client_request_duration_seconds_bucket"}) {
				t.Errorf("controller metrics at %s:8080: %v\n%s", p.Status.PodIP, err, tail(body, 500))
			}
		}
	}
	claim := &corev1.PersistentVolumeClaim{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: in.ns, Name: in.prefix + "berth-registry"}, claim); err != nil || claim.Spec.VolumeName != "berth-registry-node-test" {
		t.Errorf("registry claim: %v, bound to %q", err, claim.Spec.VolumeName)
	}

	// A team pushes through the node proxy's address and deploys from it.
	u := newUserOf(t, in.poweruser, in.ns)
	if uri := strings.TrimSpace(kubectl(t, "get", "-n", u.ns, "repositories.ecr.berth.dev/hello", "-o", "jsonpath={.status.repositoryUri}")); uri != in.host+"/"+u.ns+"/hello" {
		t.Errorf("repositoryUri %q, want %s/%s/hello", uri, in.host, u.ns)
	}
	u.pushTo(t, in.host, "v1", "through-the-node-proxy")
	u.taskDefinition(t, "hello", in.host+"/"+u.ns+"/hello:v1")
	u.service(t, "hello", "hello", 1)
	pods := u.waitRunning(t, "hello", 1, 3*time.Minute)
	if img := pods[0].Spec.Containers[0].Image; !strings.HasPrefix(img, in.host+"/"+u.ns+"/hello@sha256:") {
		t.Errorf("task image %q, want %s/%s/hello pinned by digest", img, in.host, u.ns)
	}
	// Deleted before the components go, as a user uninstalling must (finalizers).
	if out, err := command(2*time.Minute, nil, tool("kubectl"), "delete", "namespace", u.ns, "--wait=true", "--timeout=90s"); err != nil {
		t.Fatalf("%v\n%s\nnamespace: %s\nleft: %s\ncontroller: %s", err, out, kubectlOut("get", "namespace", u.ns, "-o", "jsonpath={.status}"),
			kubectlOut("get", "pods,services.ecs.berth.dev,taskdefinitions,repositories,secrets,serviceaccounts", "-n", u.ns,
				"-o", "custom-columns=KIND:.kind,NAME:.metadata.name,FINALIZERS:.metadata.finalizers,DELETING:.metadata.deletionTimestamp,PHASE:.status.phase"),
			grepLines(kubectlOut("logs", "-n", in.ns, "deployment/"+in.prefix+"berth-controller", "--tail=2000"), "epositor", 20))
	}
}

// grepLines is the last n lines of s that contain sub.
func grepLines(s, sub string, n int) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out[max(0, len(out)-n):], "\n")
}

// kubectlOut runs kubectl and returns its output, errors included (for failure messages).
func kubectlOut(args ...string) string {
	out, err := command(time.Minute, nil, tool("kubectl"), args...)
	if err != nil {
		return out + err.Error()
	}
	return out
}
