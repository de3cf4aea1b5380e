//go:build e2e

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

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/scheme"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/realnode"
)

// The install tests put Berth into a sandbox of their own the two ways the README offers,
// `helm install` of charts/berth and `kubectl apply -k config/default`, then check that the
// installation works end to end and that uninstalling leaves nothing cluster-wide but CRDs.
//
// kwok has no container runtime: it would mark the Pods of the chart's Deployments Running
// without running anything. So the Deployments are scaled to zero, and berth-controller and
// berth-registry run as local processes (hack/sandbox.sh components, as `make run` does)
// that authenticate as the installation's own ServiceAccounts by client impersonation: the
// RBAC the chart or kustomize installed is exactly what they get.

const (
	installNamespace = "berth-system"
	samplesNamespace = "team-a"
	// pullSecretName is the managed pull Secret of a namespace's default execution identity.
	pullSecretName = "berth-registry-pull"
)

// installSandbox is one sandbox cluster with Berth's components run by hack/sandbox.sh.
type installSandbox struct {
	t      *testing.T
	root   string
	dir    string
	env    []string
	c      client.Client
	host   string // the registry's host:port
	kubecf string
	cfg    *rest.Config
	bin    string // the components' binaries (buildComponents)
}

// TestInstall checks both ways to install, each in a sandbox of its own, one after the other
// (the machine's cores are better spent on one control plane at a time).
func TestInstall(t *testing.T) {
	bin := buildComponents(t)
	t.Run("helm", installWithHelm(bin))
	t.Run("kustomize", installWithKustomize(bin))
}

// installWithHelm installs the chart with helm, checks the installation, uninstalls it.
func installWithHelm(bin string) func(*testing.T) {
	return func(t *testing.T) {
		// The chart installs the CRDs itself (crds.install): a cluster made without them.
		// (Deleting the sandbox's CRDs instead hung twice in CI, the API server's cleanup of a
		// CRD outlasting the delete's wait.)
		sb := newInstallSandbox(t, bin, false)
		before := sb.namespaces()
		sb.run(5*time.Minute, sb.tool("helm"), "install", "berth", sb.chart(),
			"--namespace", installNamespace, "--create-namespace", "--kubeconfig", sb.kubecf,
			// kwok would only pretend to run these Pods; the components run as local processes.
			// No --wait: the registry's claim stays Pending, as the sandbox has no volume provisioner.
			"--set", "controller.replicas=0", "--set", "registry.replicas=0")
		sb.checkInstallation()

		sb.run(5*time.Minute, sb.tool("helm"), "uninstall", "berth", "--namespace", installNamespace,
			"--kubeconfig", sb.kubecf, "--wait", "--timeout=2m")
		sb.checkNoClusterLeftovers()
		// helm never deletes the namespace --create-namespace made; the chart's objects in it must
		// be gone.
		after := sb.namespaces()
		for _, ns := range after {
			if !slices.Contains(before, ns) && ns != installNamespace {
				t.Errorf("namespace %s left after helm uninstall", ns)
			}
		}
		sb.checkNamespaceEmptied(installNamespace)
		// crds.keep (the default) keeps the CRDs, and so every Berth resource, on uninstall.
		sb.checkCRDs(true)
	}
}

// installWithKustomize installs config/default with kubectl, checks the installation,
// deletes it.
func installWithKustomize(bin string) func(*testing.T) {
	return func(t *testing.T) {
		sb := newInstallSandbox(t, bin, true)
		before := sb.namespaces()
		sb.kubectl("apply", "-k", "config/default")
		// kwok would only pretend to run these Pods; the components run as local processes.
		sb.kubectl("scale", "deployment", "--all", "--replicas=0", "-n", installNamespace)
		sb.checkInstallation()

		sb.kubectl("delete", "-k", "config/default", "--wait=true", "--timeout=3m")
		sb.checkNoClusterLeftovers()
		sb.poll(2*time.Minute, func() error {
			if after := sb.namespaces(); !slices.Equal(after, before) {
				return fmt.Errorf("namespaces %v after kubectl delete -k, want those before the install: %v", after, before)
			}
			return nil
		})
		sb.checkCRDs(false)
	}
}

// buildComponents builds bin/manager, bin/registry and bin/docker-credential-berth as `make build` does, into a
// folder removed when the test ends.
func buildComponents(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin+"/", "./cmd/manager", "./cmd/registry", "./cmd/docker-credential-berth", "./cmd/kubectl-berth")
	build.Dir, build.Env = envtest.RepoRoot(), append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the components: %v\n%s", err, out)
	}
	return bin
}

// newInstallSandbox creates a sandbox cluster (Berth's CRDs installed when crds, nothing else of
// Berth) whose components are the binaries in bin; it is removed when the test ends.
func newInstallSandbox(t *testing.T, bin string, crds bool) *installSandbox {
	t.Helper()
	root := envtest.RepoRoot()
	sb := &installSandbox{t: t, root: root, dir: filepath.Join(t.TempDir(), "sandbox"), bin: bin}
	port, err := envtest.FreePorts(6)
	if err != nil {
		t.Fatal(err)
	}
	sb.host = "127.0.0.1:" + strconv.Itoa(port)
	sb.env = append(os.Environ(),
		fmt.Sprintf("BERTH_SANDBOX_NAME=berth-install-%d-%d", os.Getpid(), port),
		"BERTH_SANDBOX_DIR="+sb.dir,
		"BERTH_SANDBOX_PORTS="+strconv.Itoa(port),
		"BERTH_SANDBOX_BIN="+bin,
		"BERTH_SANDBOX_CRDS="+strconv.FormatBool(crds),
	)
	sb.kubecf = filepath.Join(sb.dir, "kubeconfig")
	start := time.Now()
	t.Cleanup(func() {
		// Logs of the components help when something failed.
		if t.Failed() {
			for _, f := range []string{"manager.log", "registry.log"} {
				if b, err := os.ReadFile(filepath.Join(sb.dir, f)); err == nil { //nolint:gosec // our temp dir
					t.Logf("--- %s (last 4000 bytes)\n%s", f, realnode.Tail(string(b), 4000))
				}
			}
		}
		if _, err := sb.exec(5*time.Minute, filepath.Join(root, "hack", "sandbox.sh"), "down"); err != nil {
			t.Errorf("removing the sandbox: %v", err)
		}
	})
	sb.run(5*time.Minute, filepath.Join(root, "hack", "sandbox.sh"), "cluster")
	cfg, err := clientcmd.BuildConfigFromFlags("", sb.kubecf)
	if err != nil {
		t.Fatal(err)
	}
	sb.cfg = cfg
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if sb.c, err = client.New(cfg, client.Options{Scheme: s}); err != nil {
		t.Fatal(err)
	}
	t.Logf("sandbox up in %s", time.Since(start).Round(time.Second))
	return sb
}

// chart is charts/berth as helm install gets it. The sandbox's kube-apiserver, built from
// the kubernetes module by hack/setup-tools.sh without version stamping, reports
// v0.0.0-master, which the chart's kubeVersion (>=1.33) rightly refuses; for such a server
// only, the test installs a copy of the chart without that one line.
func (sb *installSandbox) chart() string {
	t := sb.t
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(sb.cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := dc.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.GitVersion, "v0.0.0") {
		return "charts/berth"
	}
	t.Logf("the sandbox's kube-apiserver reports %s: installing the chart without its kubeVersion constraint", v.GitVersion)
	dir := filepath.Join(t.TempDir(), "berth")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(sb.root, "charts", "berth"))); err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(dir, "Chart.yaml")
	b, err := os.ReadFile(meta) //nolint:gosec // our temp dir
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if !strings.HasPrefix(line, "kubeVersion:") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(meta, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkInstallation starts the components as the installation's ServiceAccounts, applies
// the samples and checks what a user would: the sample Service Ready with 6 tasks over three
// zones, a push with a Kubernetes token (and a refusal without rights), the image in the
// Repository's status, and a Service of the pushed image RUNNING with the managed pull
// Secret. It removes what it made before it stops the components, as a user uninstalling
// must (finalizers need the controller).
func (sb *installSandbox) checkInstallation() {
	t := sb.t
	t.Helper()
	start := time.Now()
	sb.run(3*time.Minute, filepath.Join(sb.root, "hack", "sandbox.sh"), "components")
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			sb.run(time.Minute, filepath.Join(sb.root, "hack", "sandbox.sh"), "stop-components")
		}
	}
	t.Cleanup(stop)
	// The components' kubeconfigs really impersonate the installation's ServiceAccounts.
	for file, sa := range map[string]string{"controller.kubeconfig": "berth-controller", "registry.kubeconfig": "berth-registry"} {
		out := sb.run(time.Minute, sb.tool("kubectl"), "--kubeconfig", filepath.Join(sb.dir, file), "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
		if want := "system:serviceaccount:" + installNamespace + ":" + sa; strings.TrimSpace(out) != want {
			t.Errorf("%s authenticates as %q, want %q", file, out, want)
		}
	}
	if env, err := os.ReadFile(filepath.Join(sb.dir, "env")); err != nil || !strings.Contains(string(env), "BERTH_REGISTRY="+sb.host) {
		t.Errorf("sandbox env file %q (%v) does not name the registry %s", env, err, sb.host)
	}

	sb.kubectl("apply", "-k", "config/samples")
	sb.waitService(samplesNamespace, "web", 6, true)
	t.Logf("samples Ready in %s", time.Since(start).Round(time.Second))

	// Push with the sample builder's token (berth-registry-poweruser in team-a).
	image := filepath.Join(sb.dir, "image")
	sb.run(time.Minute, filepath.Join(sb.root, "hack", "sandbox.sh"), "image", image)
	ref := sb.host + "/" + samplesNamespace + "/web-app:v1"
	// A ServiceAccount without a registry role is refused.
	denied := sb.token(samplesNamespace, "default")
	if out, err := sb.exec(2*time.Minute, "skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "berth:"+denied,
		"oci:"+image+":v1", "docker://"+ref); err == nil || !strings.Contains(out, "403 (Forbidden)") {
		t.Fatalf("a push as team-a/default (no registry role) was not denied: %v\n%s", err, out)
	}
	sb.run(2*time.Minute, "skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "berth:"+sb.token(samplesNamespace, "builder"),
		"oci:"+image+":v1", "docker://"+ref)
	// The registry's notification, not the 10-minute resync, brings the image into status.
	sb.poll(time.Minute, func() error {
		repo := &ecrv1alpha1.Repository{}
		if err := sb.c.Get(context.Background(), types.NamespacedName{Namespace: samplesNamespace, Name: "web-app"}, repo); err != nil {
			return err
		}
		if repo.Status.ImageCount != 1 || repo.Status.RepositoryURI != sb.host+"/"+samplesNamespace+"/web-app" {
			return fmt.Errorf("repository status: %d images, URI %q", repo.Status.ImageCount, repo.Status.RepositoryURI)
		}
		return nil
	})
	// The sandbox's admin pushes as itself, through the credential helper.
	sb.checkCredentialHelper(image)

	// A Service of the pushed image runs with the managed pull Secret.
	ctx := context.Background()
	td := &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: samplesNamespace, Name: "pushed"},
		Spec: ecsv1alpha1.TaskDefinitionSpec{
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "app", Image: ref, Memory: new(int32(128))}},
		},
	}
	svc := &ecsv1alpha1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: samplesNamespace, Name: "pushed"},
		Spec:       ecsv1alpha1.ServiceSpec{TaskDefinition: "pushed", DesiredCount: new(int32(3))},
	}
	for _, o := range []client.Object{td, svc} {
		if err := sb.c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	sb.waitService(samplesNamespace, "pushed", 3, false)
	pods := &corev1.PodList{}
	if err := sb.c.List(ctx, pods, client.InNamespace(samplesNamespace), client.MatchingLabels{ecsv1alpha1.ServiceLabel: "pushed"}); err != nil {
		t.Fatal(err)
	}
	// The deployment pins the tag to the digest it resolved at its start (ECS
	// versionConsistency): the digest of the manifest just pushed.
	pinned := sb.host + "/" + samplesNamespace + "/web-app@" + layoutDigest(t, image)
	for _, p := range pods.Items {
		if got := p.Spec.Containers[0].Image; got != ref && got != pinned {
			t.Errorf("task %s runs image %q, want %q or %q", p.Name, got, pinned, ref)
		}
		if !slices.Contains(p.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: pullSecretName}) {
			t.Errorf("task %s pulls with %v, want the managed Secret %s", p.Name, p.Spec.ImagePullSecrets, pullSecretName)
		}
	}
	secret := &corev1.Secret{}
	if err := sb.c.Get(ctx, types.NamespacedName{Namespace: samplesNamespace, Name: pullSecretName}, secret); err != nil {
		t.Errorf("the managed pull Secret: %v", err)
	} else if secret.Type != corev1.SecretTypeDockerConfigJson || !strings.Contains(string(secret.Data[corev1.DockerConfigJsonKey]), sb.host) {
		t.Errorf("the managed pull Secret is of type %s and names registries %q, want %s for %s", secret.Type, secret.Data[corev1.DockerConfigJsonKey], corev1.SecretTypeDockerConfigJson, sb.host)
	}
	t.Logf("installation checked in %s", time.Since(start).Round(time.Second))

	sb.deleteSamples()
	stop()
}

// deleteSamples removes the samples namespace while the controller still runs: the sample
// policy's Deny of ecr:BatchDeleteImage goes first and forceDelete is set, or the Repository,
// which holds an image, would be kept (ECR's RepositoryNotEmptyException).
func (sb *installSandbox) deleteSamples() {
	sb.kubectl("delete", "repositorypolicy", "--all", "-n", samplesNamespace, "--wait=true", "--timeout=1m")
	sb.kubectl("patch", "repository", "web-app", "-n", samplesNamespace, "--type=merge", "-p", `{"spec":{"forceDelete":true}}`)
	sb.kubectl("delete", "namespace", samplesNamespace, "--wait=true", "--timeout=2m")
}

// waitService waits until Service ns/name is Ready with want RUNNING tasks, spread evenly
// over the three zones when spread is set.
func (sb *installSandbox) waitService(ns, name string, want int32, spread bool) {
	ctx := context.Background()
	sb.poll(3*time.Minute, func() error {
		svc := &ecsv1alpha1.Service{}
		if err := sb.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, svc); err != nil {
			return err
		}
		if !meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ReadyCondition) || svc.Status.RunningCount != want {
			return fmt.Errorf("service %s/%s: %d RUNNING, conditions %v", ns, name, svc.Status.RunningCount, svc.Status.Conditions)
		}
		if !spread {
			return nil
		}
		perZone, err := sb.runningPerZone(ns, name)
		if err != nil {
			return err
		}
		for _, z := range []string{"zone-a", "zone-b", "zone-c"} {
			if perZone[z] != int(want)/3 {
				return fmt.Errorf("service %s/%s: RUNNING tasks per zone %v, want %d each", ns, name, perZone, want/3)
			}
		}
		return nil
	})
}

// runningPerZone counts the Running task Pods of a Service by their node's zone.
func (sb *installSandbox) runningPerZone(ns, name string) (map[string]int, error) {
	ctx := context.Background()
	pods := &corev1.PodList{}
	if err := sb.c.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: name}); err != nil {
		return nil, err
	}
	perZone := map[string]int{}
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
			continue
		}
		node := &corev1.Node{}
		if err := sb.c.Get(ctx, types.NamespacedName{Name: p.Spec.NodeName}, node); err != nil {
			return nil, err
		}
		perZone[node.Labels[corev1.LabelTopologyZone]]++
	}
	return perZone, nil
}

// checkNoClusterLeftovers fails when a ClusterRole or ClusterRoleBinding with "berth" in
// its name outlives the uninstall.
func (sb *installSandbox) checkNoClusterLeftovers() {
	ctx := context.Background()
	sb.poll(time.Minute, func() error {
		var left []string
		roles := &rbacv1.ClusterRoleList{}
		bindings := &rbacv1.ClusterRoleBindingList{}
		if err := errors.Join(sb.c.List(ctx, roles), sb.c.List(ctx, bindings)); err != nil {
			return err
		}
		for _, r := range roles.Items {
			if strings.Contains(r.Name, "berth") {
				left = append(left, "ClusterRole "+r.Name)
			}
		}
		for _, b := range bindings.Items {
			if strings.Contains(b.Name, "berth") {
				left = append(left, "ClusterRoleBinding "+b.Name)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("left after uninstalling: %v", left)
		}
		return nil
	})
}

// checkNamespaceEmptied fails when the installation's own objects remain in ns.
func (sb *installSandbox) checkNamespaceEmptied(ns string) {
	ctx := context.Background()
	sb.poll(time.Minute, func() error {
		var left []string
		lists := map[string]client.ObjectList{
			"Deployment": &appsv1.DeploymentList{}, "Service": &corev1.ServiceList{},
			"PersistentVolumeClaim": &corev1.PersistentVolumeClaimList{}, "ServiceAccount": &corev1.ServiceAccountList{},
			"Role": &rbacv1.RoleList{}, "RoleBinding": &rbacv1.RoleBindingList{},
		}
		for kind, l := range lists {
			if err := sb.c.List(ctx, l, client.InNamespace(ns)); err != nil {
				return err
			}
			items, err := meta.ExtractList(l)
			if err != nil {
				return err
			}
			for _, o := range items {
				if name := o.(client.Object).GetName(); kind != "ServiceAccount" || name != "default" {
					left = append(left, kind+" "+name)
				}
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("left in namespace %s: %v", ns, left)
		}
		return nil
	})
}

// checkCRDs checks that Berth's CRDs (one per file of config/crd/bases) are there, or gone.
func (sb *installSandbox) checkCRDs(want bool) {
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join(sb.root, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(files) == 0 {
		sb.t.Fatalf("no CRDs under config/crd/bases: %v", err)
	}
	sb.poll(2*time.Minute, func() error {
		crds := &apiextensionsv1.CustomResourceDefinitionList{}
		if err := sb.c.List(ctx, crds); err != nil {
			return err
		}
		var berth []string
		for _, c := range crds.Items {
			if strings.HasSuffix(c.Spec.Group, ".berth.dev") {
				berth = append(berth, c.Name)
			}
		}
		if want && len(berth) != len(files) {
			return fmt.Errorf("CRDs %v, want Berth's %d kept", berth, len(files))
		}
		if !want && len(berth) != 0 {
			return fmt.Errorf("CRDs %v left", berth)
		}
		return nil
	})
}

// namespaces lists the cluster's namespaces, sorted.
func (sb *installSandbox) namespaces() []string {
	l := &corev1.NamespaceList{}
	if err := sb.c.List(context.Background(), l); err != nil {
		sb.t.Fatal(err)
	}
	var names []string
	for _, n := range l.Items {
		names = append(names, n.Name)
	}
	slices.Sort(names)
	return names
}

// token asks for a registry token of ServiceAccount ns/name, as a user would.
func (sb *installSandbox) token(ns, name string) string {
	return strings.TrimSpace(sb.kubectl("create", "token", name, "-n", ns, "--audience", "berth-registry"))
}

// tool is a cached binary of hack/setup-tools.sh (kubectl, helm).
func (sb *installSandbox) tool(name string) string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return filepath.Join(dir, name)
		}
	}
	return name
}

// kubectl runs the cached kubectl against the sandbox and fails the test on error.
func (sb *installSandbox) kubectl(args ...string) string {
	sb.t.Helper()
	return sb.run(5*time.Minute, sb.tool("kubectl"), append([]string{"--kubeconfig", sb.kubecf}, args...)...)
}

// run runs a command in the repository's top folder with the sandbox's environment and
// fails the test on error; it returns the output.
func (sb *installSandbox) run(timeout time.Duration, name string, args ...string) string {
	sb.t.Helper()
	out, err := sb.exec(timeout, name, args...)
	if err != nil {
		sb.t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(realnode.Redact(args), " "), err, out)
	}
	return out
}

// exec runs a command like run and returns its error.
func (sb *installSandbox) exec(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = sb.root, sb.env
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("running %s: %w", filepath.Base(name), err)
	}
	return string(out), nil
}

// poll retries check every second until it passes or timeout passes.
func (sb *installSandbox) poll(timeout time.Duration, check func() error) {
	sb.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if apierrors.IsForbidden(err) || time.Now().After(deadline) {
			sb.t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(time.Second)
	}
}

// layoutDigest is the digest of the one manifest of an OCI image layout.
func layoutDigest(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json")) //nolint:gosec // our temp dir
	if err != nil {
		t.Fatal(err)
	}
	var index struct {
		Manifests []struct {
			Digest string `json:"digest"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(b, &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json of %s: %v %s", dir, err, b)
	}
	return index.Manifests[0].Digest
}
