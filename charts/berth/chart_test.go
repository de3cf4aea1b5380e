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

// Package chart_test renders the Helm chart with the helm binary of hack/setup-tools.sh and
// checks what it would install: the same objects as config/default with the default values,
// CRDs and the controller's RBAC identical to the generated ones, and the objects each main
// value combination adds or changes; every rendered object also passes a server-side dry
// run against a real kube-apiserver.
package chart_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/internal/testutil/envtest"
)

const (
	release   = "berth"
	namespace = "berth-system"
	repoRoot  = "../.."
)

// tool finds a binary of hack/setup-tools.sh: on PATH (hack/test.sh puts the folder there)
// or in $KUBEBUILDER_ASSETS. The chart is untested without it, so its absence fails.
func tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	t.Fatalf("%s is not on PATH nor in $KUBEBUILDER_ASSETS: run the tests with `make test` or hack/test.sh, "+
		"which build it with hack/setup-tools.sh and put its folder on PATH "+
		"(or: export PATH=\"$(hack/setup-tools.sh):$PATH\")", name)
	return ""
}

// run runs a tool and returns its standard output; a failure returns the error with stderr.
func run(t *testing.T, name string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), tool(t, name), args...)
	// Keep helm away from the user's repositories, plugins and caches.
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, errors.Join(err, errors.New(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// objects are the rendered objects of one install.
type objects []*unstructured.Unstructured

func decode(t *testing.T, data []byte) objects {
	t.Helper()
	var out objects
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		j, err := utilyaml.ToJSON(doc)
		if err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, doc)
		}
		if s := string(bytes.TrimSpace(j)); s == "null" || s == "{}" {
			continue // a document of comments only
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			t.Fatalf("rendered object does not decode: %v\n%s", err, doc)
		}
		out = append(out, u)
	}
}

// render runs `helm template` for release berth in berth-system with the given flags.
func render(t *testing.T, flags ...string) objects {
	t.Helper()
	return renderAs(t, release, namespace, flags...)
}

func renderAs(t *testing.T, rel, ns string, flags ...string) objects {
	t.Helper()
	out, err := run(t, "helm", append([]string{"template", rel, ".", "--namespace", ns}, flags...)...)
	if err != nil {
		t.Fatalf("helm template %v: %v", flags, err)
	}
	return decode(t, out)
}

func (o objects) find(kind, name string) *unstructured.Unstructured {
	for _, u := range o {
		if u.GetKind() == kind && u.GetName() == name {
			return u
		}
	}
	return nil
}

func (o objects) get(t *testing.T, kind, name string) *unstructured.Unstructured {
	t.Helper()
	u := o.find(kind, name)
	if u == nil {
		t.Fatalf("no %s %s rendered; rendered: %v", kind, name, o.names())
	}
	return u
}

func (o objects) ofKind(kind string) objects {
	var out objects
	for _, u := range o {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}

func (o objects) names() []string {
	out := make([]string, 0, len(o))
	for _, u := range o {
		out = append(out, u.GetKind()+"/"+u.GetName())
	}
	slices.Sort(out)
	return out
}

// into converts an object (or part of one) into a typed value.
func into[T any](t *testing.T, v any) *T {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out := new(T)
	if err := yaml.UnmarshalStrict(b, out); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return out
}

func podSpec(t *testing.T, o objects, deployment string) *corev1.PodTemplateSpec {
	t.Helper()
	tmpl, _, _ := unstructured.NestedMap(o.get(t, "Deployment", deployment).Object, "spec", "template")
	return into[corev1.PodTemplateSpec](t, tmpl)
}

func readYAML(t *testing.T, path string) objects {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b)
}

// TestCRDTemplatesMatchConfig: the chart's CRDs (generated by hack/sync-chart-crds.sh) have
// the same names and specs as config/crd/bases, and carry the chart's labels and the keep
// policy only when crds.keep is set.
func TestCRDTemplatesMatchConfig(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in config/crd/bases: %v", err)
	}
	want := map[string]*unstructured.Unstructured{}
	for _, f := range files {
		for _, u := range readYAML(t, f) {
			want[u.GetName()] = u
		}
		if _, err := os.Stat(filepath.Join("templates", "crds", filepath.Base(f))); err != nil {
			t.Errorf("templates/crds has no copy of %s: run `make manifests`", f)
		}
	}
	rendered := render(t).ofKind("CustomResourceDefinition")
	if len(rendered) != len(want) {
		t.Errorf("the chart renders %d CRDs, config/crd/bases has %d: %v", len(rendered), len(want), rendered.names())
	}
	for _, got := range rendered {
		w, ok := want[got.GetName()]
		if !ok {
			t.Errorf("the chart renders CRD %s, which config/crd/bases lacks", got.GetName())
			continue
		}
		if d := cmp.Diff(w.Object["spec"], got.Object["spec"]); d != "" {
			t.Errorf("CRD %s differs from config/crd/bases (-config +chart); run `make manifests`:\n%s", got.GetName(), d)
		}
		if got.GetAPIVersion() != w.GetAPIVersion() {
			t.Errorf("CRD %s: apiVersion %s, want %s", got.GetName(), got.GetAPIVersion(), w.GetAPIVersion())
		}
		if got.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("CRD %s is not kept on uninstall by default", got.GetName())
		}
		if got.GetLabels()["app.kubernetes.io/instance"] != release {
			t.Errorf("CRD %s lacks the chart's labels: %v", got.GetName(), got.GetLabels())
		}
	}
	for _, got := range render(t, "--set", "crds.keep=false").ofKind("CustomResourceDefinition") {
		if _, ok := got.GetAnnotations()["helm.sh/resource-policy"]; ok {
			t.Errorf("CRD %s is kept although crds.keep=false", got.GetName())
		}
	}
}

// chartOnlyArgs are flags the chart passes that config/ leaves to the binary's default:
// the chart names things after the release, so it passes them explicitly.
var chartOnlyArgs = []string{"--registry-service-account=berth-system/berth-controller",
	"--token-key-secret=berth-registry-token-keys", "--token-api-serving-secret=berth-registry-api-tls", "--token-api-service=berth-registry-api"}

// TestDefaultsInstallWhatKustomizeInstalls: `helm template` with the default values renders the
// objects of `kubectl kustomize config/default` (but the Namespace, which helm's
// --create-namespace makes), and each is the same but for labels the chart adds to.
func TestDefaultsInstallWhatKustomizeInstalls(t *testing.T) {
	out, err := run(t, "kubectl", "kustomize", filepath.Join(repoRoot, "config", "default"))
	if err != nil {
		t.Fatalf("kubectl kustomize config/default: %v", err)
	}
	want := decode(t, out)
	got := render(t)

	key := func(u *unstructured.Unstructured) string {
		return u.GetKind() + " " + u.GetNamespace() + "/" + u.GetName()
	}
	gotByKey := map[string]*unstructured.Unstructured{}
	for _, u := range got {
		gotByKey[key(u)] = u
	}
	wantKeys := map[string]bool{}
	for _, w := range want {
		if w.GetKind() == "Namespace" {
			continue
		}
		wantKeys[key(w)] = true
		g, ok := gotByKey[key(w)]
		if !ok {
			t.Errorf("config/default installs %s, the chart does not", key(w))
			continue
		}
		t.Run(key(w), func(t *testing.T) {
			compareToKustomize(t, w.DeepCopy(), g.DeepCopy())
		})
	}
	for k := range gotByKey {
		if !wantKeys[k] {
			t.Errorf("the chart installs %s, config/default does not", k)
		}
	}
}

// compareToKustomize compares one object: labels and selectors of config/ must be a subset of
// the chart's (which adds instance, version, ...), everything else equal.
func compareToKustomize(t *testing.T, want, got *unstructured.Unstructured) {
	t.Helper()
	subset := func(what string, w, g map[string]any) {
		for k, v := range w {
			if g[k] != v {
				t.Errorf("%s: config/ has %s=%v, the chart %v", what, k, v, g[k])
			}
		}
	}
	take := func(u *unstructured.Unstructured, path ...string) map[string]any {
		m, _, _ := unstructured.NestedMap(u.Object, path...)
		unstructured.RemoveNestedField(u.Object, path...)
		return m
	}
	paths := [][]string{{"metadata", "labels"}}
	switch want.GetKind() {
	case "Deployment", "DaemonSet":
		paths = append(paths, []string{"spec", "selector", "matchLabels"}, []string{"spec", "template", "metadata", "labels"})
	case "Service":
		paths = append(paths, []string{"spec", "selector"})
	}
	for _, path := range paths {
		subset(strings.Join(path, "."), take(want, path...), take(got, path...))
	}
	// Annotations: the CRDs' controller-gen version is not copied; the keep policy is added.
	unstructured.RemoveNestedField(want.Object, "metadata", "annotations")
	unstructured.RemoveNestedField(got.Object, "metadata", "annotations")

	if got.GetKind() == "Deployment" {
		containers, _, _ := unstructured.NestedSlice(got.Object, "spec", "template", "spec", "containers")
		for _, c := range containers {
			c := c.(map[string]any)
			args, _ := c["args"].([]any)
			c["args"] = slices.DeleteFunc(args, func(a any) bool { return slices.Contains(chartOnlyArgs, a.(string)) })
		}
		_ = unstructured.SetNestedSlice(got.Object, containers, "spec", "template", "spec", "containers")
	}
	if d := cmp.Diff(want.Object, got.Object); d != "" {
		t.Errorf("(-config/default +chart):\n%s", d)
	}
}

// A value combination: the flags, and what it must render.
type chartCase struct {
	name        string
	release, ns string // default berth, berth-system
	flags       []string
	assert      func(t *testing.T, o objects)
}

func (c chartCase) render(t *testing.T) objects {
	t.Helper()
	rel, ns := release, namespace
	if c.release != "" {
		rel, ns = c.release, c.ns
	}
	return renderAs(t, rel, ns, c.flags...)
}

func valuesFile(name string) []string { return []string{"--values", filepath.Join("ci", name)} }

var chartCases = []chartCase{
	{name: "defaults", assert: assertDefaults},
	{name: "no CRDs", flags: valuesFile("no-crds-values.yaml"), assert: func(t *testing.T, o objects) {
		t.Helper()
		if crds := o.ofKind("CustomResourceDefinition"); len(crds) != 0 {
			t.Errorf("crds.install=false still renders %v", crds.names())
		}
		o.get(t, "Deployment", "berth-controller")
		o.get(t, "Deployment", "berth-registry")
	}},
	{name: "s3 storage", flags: valuesFile("s3-values.yaml"), assert: assertS3},
	{name: "TLS from a Secret", flags: valuesFile("tls-secret-values.yaml"), assert: func(t *testing.T, o objects) {
		t.Helper()
		assertTLS(t, o, "registry-tls", "registry.example.com")
		if c := o.ofKind("Certificate"); len(c) != 0 {
			t.Errorf("a Certificate is rendered without cert-manager: %v", c.names())
		}
	}},
	{name: "TLS from cert-manager", flags: valuesFile("cert-manager-values.yaml"), assert: assertCertManager},
	{name: "ServiceMonitor and NetworkPolicy", flags: valuesFile("monitoring-values.yaml"), assert: assertMonitoring},
	{name: "release and namespace of another name", release: "ecs", ns: "platform",
		assert: func(t *testing.T, o objects) {
			t.Helper()
			ctrl := podSpec(t, o, "ecs-berth-controller").Spec.Containers[0]
			for _, a := range []string{
				"--registry-service-account=platform/ecs-berth-controller",
				"--registry-url=http://ecs-berth-registry.platform.svc:5000",
			} {
				if !slices.Contains(ctrl.Args, a) {
					t.Errorf("controller args %v lack %s", ctrl.Args, a)
				}
			}
			token := o.get(t, "Role", "ecs-berth-controller-registry-token")
			rules := *into[[]map[string]any](t, token.Object["rules"])
			if d := cmp.Diff([]any{"ecs-berth-controller"}, rules[0]["resourceNames"]); d != "" {
				t.Errorf("token Role resourceNames: %s", d)
			}
			o.get(t, "ClusterRole", "ecs-berth-registry-poweruser")
		}},
}

// TestChartRenders lints and renders the chart for each main value combination, checks the
// references between the rendered objects, and what the combination renders.
func TestChartRenders(t *testing.T) {
	for _, tc := range chartCases {
		t.Run(tc.name, func(t *testing.T) {
			if out, err := run(t, "helm", append([]string{"lint", "--strict", "."}, tc.flags...)...); err != nil {
				t.Fatalf("helm lint: %v\n%s", err, out)
			}
			o := tc.render(t)
			assertConsistent(t, o)
			tc.assert(t, o)
		})
	}
}

// assertConsistent checks what holds for every combination: namespaced objects in the
// release namespace, references to ServiceAccounts, (Cluster)Roles, Secrets and claims that
// the chart renders, Service selectors that select a Deployment's Pods, hardened containers.
func assertConsistent(t *testing.T, o objects) {
	t.Helper()
	ns := ""
	for _, u := range o.ofKind("Deployment") {
		if ns == "" {
			ns = u.GetNamespace()
		}
		if u.GetNamespace() != ns {
			t.Errorf("Deployment %s in namespace %q, others in %q", u.GetName(), u.GetNamespace(), ns)
		}
	}
	for _, u := range o {
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			t.Errorf("an object without apiVersion, kind or name: %v", u.Object)
		}
		if want := !slices.Contains([]string{"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "APIService"}, u.GetKind()); want != (u.GetNamespace() != "") {
			t.Errorf("%s/%s: namespace %q", u.GetKind(), u.GetName(), u.GetNamespace())
		}
		if u.GetLabels()["app.kubernetes.io/managed-by"] != "Helm" || u.GetLabels()["app.kubernetes.io/part-of"] != "berth" {
			t.Errorf("%s/%s lacks the chart's labels: %v", u.GetKind(), u.GetName(), u.GetLabels())
		}
	}
	type binding struct {
		RoleRef  map[string]string   `json:"roleRef"`
		Subjects []map[string]string `json:"subjects"`
	}
	for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
		for _, u := range o.ofKind(kind) {
			b := into[binding](t, map[string]any{"roleRef": u.Object["roleRef"], "subjects": u.Object["subjects"]})
			// The Role every API server bootstraps for aggregated API servers.
			bootstrap := b.RoleRef["kind"] == "Role" && b.RoleRef["name"] == "extension-apiserver-authentication-reader" && u.GetNamespace() == "kube-system"
			if o.find(b.RoleRef["kind"], b.RoleRef["name"]) == nil && !bootstrap {
				t.Errorf("%s %s refers to %s %s, which the chart does not render", kind, u.GetName(), b.RoleRef["kind"], b.RoleRef["name"])
			}
			for _, s := range b.Subjects {
				if s["kind"] != "ServiceAccount" || s["namespace"] != ns || o.find("ServiceAccount", s["name"]) == nil {
					t.Errorf("%s %s binds %v, not a ServiceAccount of the chart", kind, u.GetName(), s)
				}
			}
		}
	}
	for _, d := range o.ofKind("Deployment") {
		p := podSpec(t, o, d.GetName())
		if o.find("ServiceAccount", p.Spec.ServiceAccountName) == nil {
			t.Errorf("Deployment %s runs as ServiceAccount %q, which the chart does not render", d.GetName(), p.Spec.ServiceAccountName)
		}
		sel, _, _ := unstructured.NestedStringMap(d.Object, "spec", "selector", "matchLabels")
		if !selects(sel, p.Labels) {
			t.Errorf("Deployment %s: selector %v does not select its Pods %v", d.GetName(), sel, p.Labels)
		}
		if sc := p.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("Deployment %s: Pods may run as root", d.GetName())
		}
		for _, c := range p.Spec.Containers {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("Deployment %s container %s: root file system not read-only or privilege escalation allowed", d.GetName(), c.Name)
			}
			if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("Deployment %s container %s: no memory request or limit", d.GetName(), c.Name)
			}
			if c.LivenessProbe == nil || c.ReadinessProbe == nil {
				t.Errorf("Deployment %s container %s: no liveness or readiness probe", d.GetName(), c.Name)
			}
			for _, m := range c.VolumeMounts {
				if !slices.ContainsFunc(p.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name }) {
					t.Errorf("Deployment %s mounts volume %s, which it does not declare", d.GetName(), m.Name)
				}
			}
		}
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim != nil && o.find("PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName) == nil {
				t.Errorf("Deployment %s uses claim %s, which the chart does not render", d.GetName(), v.PersistentVolumeClaim.ClaimName)
			}
		}
	}
	for _, s := range o.ofKind("Service") {
		sel, _, _ := unstructured.NestedStringMap(s.Object, "spec", "selector")
		n := 0
		for _, d := range o.ofKind("Deployment") {
			if selects(sel, podSpec(t, o, d.GetName()).Labels) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("Service %s selects the Pods of %d Deployments, want 1", s.GetName(), n)
		}
	}
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func assertDefaults(t *testing.T, o objects) {
	t.Helper()
	if d := cmp.Diff([]string{
		"APIService/v1alpha1.registry.berth.dev",
		"ClusterRole/berth-controller", "ClusterRole/berth-registry", "ClusterRole/berth-registry-admin",
		"ClusterRole/berth-registry-login", "ClusterRole/berth-registry-poweruser", "ClusterRole/berth-registry-reader",
		"ClusterRoleBinding/berth-controller", "ClusterRoleBinding/berth-controller-registry-admin", "ClusterRoleBinding/berth-registry",
		"CustomResourceDefinition/repositories.ecr.berth.dev", "CustomResourceDefinition/repositorypolicies.ecr.berth.dev",
		"CustomResourceDefinition/scheduledtasks.ecs.berth.dev",
		"CustomResourceDefinition/services.ecs.berth.dev", "CustomResourceDefinition/taskdefinitions.ecs.berth.dev",
		"CustomResourceDefinition/tasks.ecs.berth.dev",
		"DaemonSet/berth-node-proxy",
		"Deployment/berth-controller", "Deployment/berth-registry",
		"PersistentVolumeClaim/berth-registry",
		"Role/berth-controller-leader-election", "Role/berth-controller-registry-token", "Role/berth-registry-leases",
		"Role/berth-registry-tokens",
		"RoleBinding/berth-controller-leader-election", "RoleBinding/berth-controller-registry-token", "RoleBinding/berth-registry-auth-reader",
		"RoleBinding/berth-registry-leases", "RoleBinding/berth-registry-tokens",
		"Service/berth-controller-events", "Service/berth-registry", "Service/berth-registry-api",
		"ServiceAccount/berth-controller", "ServiceAccount/berth-registry",
	}, o.names()); d != "" {
		t.Errorf("rendered objects (-want +got):\n%s", d)
	}

	// The controller's ClusterRole is the one controller-gen generates from the markers.
	generated := readYAML(t, filepath.Join(repoRoot, "config", "rbac", "role.yaml"))
	if len(generated) != 1 {
		t.Fatalf("config/rbac/role.yaml holds %d objects, want 1", len(generated))
	}
	if d := cmp.Diff(generated[0].Object["rules"], o.get(t, "ClusterRole", "berth-controller").Object["rules"]); d != "" {
		t.Errorf("the controller's ClusterRole differs from config/rbac/role.yaml (-config +chart); run `make manifests`:\n%s", d)
	}
	for role, verbs := range map[string][]any{
		"berth-registry-reader":    {"pull"},
		"berth-registry-poweruser": {"pull", "push"},
		"berth-registry-admin":     {"pull", "push", "delete"},
	} {
		want := []any{map[string]any{"apiGroups": []any{"ecr.berth.dev"}, "resources": []any{"repositories"}, "verbs": verbs},
			map[string]any{"apiGroups": []any{"registry.berth.dev"}, "resources": []any{"authorizationtokens"}, "verbs": []any{"create"}}}
		if d := cmp.Diff(want, o.get(t, "ClusterRole", role).Object["rules"]); d != "" {
			t.Errorf("ClusterRole %s (-want +got):\n%s", role, d)
		}
	}

	ctrl := podSpec(t, o, "berth-controller")
	c := ctrl.Spec.Containers[0]
	if c.Image != "ghcr.io/berth-dev/berth:v0.1.0" || !slices.Contains(c.Args, "--leader-elect") {
		t.Errorf("controller: image %s, args %v", c.Image, c.Args)
	}
	// Image references name the node proxy, which forwards every node's loopback port to the
	// registry's Service from the host network, in kube-system (berth-system is restricted).
	if !slices.Contains(c.Args, "--registry-host=localhost:5001") {
		t.Errorf("controller args %v lack --registry-host=localhost:5001", c.Args)
	}
	proxy := o.get(t, "DaemonSet", "berth-node-proxy")
	if proxy.GetNamespace() != "kube-system" {
		t.Errorf("DaemonSet berth-node-proxy in namespace %q, want kube-system", proxy.GetNamespace())
	}
	tmpl, _, _ := unstructured.NestedMap(proxy.Object, "spec", "template")
	np := into[corev1.PodTemplateSpec](t, tmpl).Spec
	if !np.HostNetwork || np.DNSPolicy != corev1.DNSClusterFirstWithHostNet || np.AutomountServiceAccountToken == nil || *np.AutomountServiceAccountToken ||
		!slices.Equal(np.Containers[0].Args, []string{"--listen-address=127.0.0.1:5001", "--upstream=berth-registry.berth-system.svc:5000"}) {
		t.Errorf("node proxy Pod spec: hostNetwork %v, dnsPolicy %s, automount %v, args %v", np.HostNetwork, np.DNSPolicy, np.AutomountServiceAccountToken, np.Containers[0].Args)
	}
	if r, _, _ := unstructured.NestedInt64(o.get(t, "Deployment", "berth-controller").Object, "spec", "replicas"); r != 1 {
		t.Errorf("controller replicas %d, want 1", r)
	}

	reg := podSpec(t, o, "berth-registry")
	rc := reg.Spec.Containers[0]
	if !slices.ContainsFunc(reg.Spec.Volumes, func(v corev1.Volume) bool {
		return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "berth-registry"
	}) || !slices.ContainsFunc(rc.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/var/lib/registry" }) {
		t.Errorf("the registry does not mount its claim at /var/lib/registry: %v %v", reg.Spec.Volumes, rc.VolumeMounts)
	}
	if s, _, _ := unstructured.NestedString(o.get(t, "Deployment", "berth-registry").Object, "spec", "strategy", "type"); s != "Recreate" {
		t.Errorf("registry strategy %q, want Recreate for its ReadWriteOnce volume", s)
	}
	for _, kind := range []string{"Certificate", "ServiceMonitor", "NetworkPolicy"} {
		if got := o.ofKind(kind); len(got) != 0 {
			t.Errorf("%v rendered by default", got.names())
		}
	}
}

func envFromSecret(c corev1.Container, name string) (secret, key string) {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			return e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key
		}
	}
	return "", ""
}

func assertS3(t *testing.T, o objects) {
	t.Helper()
	if pvc := o.ofKind("PersistentVolumeClaim"); len(pvc) != 0 {
		t.Errorf("s3 storage still renders %v", pvc.names())
	}
	d := o.get(t, "Deployment", "berth-registry")
	if s, _, _ := unstructured.NestedString(d.Object, "spec", "strategy", "type"); s == "Recreate" {
		t.Error("s3 storage keeps the Recreate strategy")
	}
	if r, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas"); r != 2 {
		t.Errorf("registry replicas %d, want 2", r)
	}
	p := podSpec(t, o, "berth-registry")
	c := p.Spec.Containers[0]
	for _, a := range []string{
		"--storage-driver=s3", "--storage-s3-bucket=berth-images", "--storage-s3-region=us-east-1",
		"--storage-s3-endpoint=http://minio.storage.svc:9000", "--storage-s3-force-path-style", "--storage-root=/registry",
	} {
		if !slices.Contains(c.Args, a) {
			t.Errorf("registry args %v lack %s", c.Args, a)
		}
	}
	for name, key := range map[string]string{"AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY": "AWS_SECRET_ACCESS_KEY"} {
		if s, k := envFromSecret(c, name); s != "berth-s3-credentials" || k != key {
			t.Errorf("env %s from Secret %q key %q, want berth-s3-credentials %s", name, s, k, key)
		}
	}
	if s, k := envFromSecret(c, "BERTH_REGISTRY_HTTP_SECRET"); s != "registry-http-secret" || k != "secret" {
		t.Errorf("the HTTP secret comes from %q key %q", s, k)
	}
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			t.Errorf("s3 storage still mounts claim %s", v.PersistentVolumeClaim.ClaimName)
		}
	}
}

// assertTLS checks the registry serves HTTPS with the Secret's certificate and the controller
// calls it over HTTPS trusting the Secret's ca.crt.
func assertTLS(t *testing.T, o objects, secret, host string) {
	t.Helper()
	reg := podSpec(t, o, "berth-registry")
	rc := reg.Spec.Containers[0]
	if !slices.ContainsFunc(reg.Spec.Volumes, func(v corev1.Volume) bool {
		return v.Name == "tls" && v.Secret != nil && v.Secret.SecretName == secret
	}) {
		t.Errorf("the registry has no tls volume from Secret %s: %v", secret, reg.Spec.Volumes)
	}
	for _, a := range []string{"--tls-cert-file=/etc/berth-registry/tls/tls.crt", "--tls-key-file=/etc/berth-registry/tls/tls.key"} {
		if !slices.Contains(rc.Args, a) {
			t.Errorf("registry args %v lack %s", rc.Args, a)
		}
	}
	for _, p := range []*corev1.Probe{rc.LivenessProbe, rc.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Scheme != corev1.URISchemeHTTPS {
			t.Errorf("registry probe %+v does not use HTTPS", p)
		}
	}
	ctrl := podSpec(t, o, "berth-controller")
	cc := ctrl.Spec.Containers[0]
	for _, a := range []string{
		"--registry-url=https://berth-registry.berth-system.svc:5000",
		"--registry-host=" + host,
		"--registry-ca-file=/etc/berth-controller/registry-ca/ca.crt",
	} {
		if !slices.Contains(cc.Args, a) {
			t.Errorf("controller args %v lack %s", cc.Args, a)
		}
	}
	if !slices.ContainsFunc(ctrl.Spec.Volumes, func(v corev1.Volume) bool {
		return v.Secret != nil && v.Secret.SecretName == secret
	}) {
		t.Errorf("the controller does not mount the CA of Secret %s: %v", secret, ctrl.Spec.Volumes)
	}
}

func assertCertManager(t *testing.T, o objects) {
	t.Helper()
	assertTLS(t, o, "berth-registry-tls", "registry.example.com:5000")
	type certificate struct {
		Spec struct {
			SecretName string            `json:"secretName"`
			IssuerRef  map[string]string `json:"issuerRef"`
			DNSNames   []string          `json:"dnsNames"`
		} `json:"spec"`
	}
	c := into[certificate](t, map[string]any{"spec": o.get(t, "Certificate", "berth-registry").Object["spec"]})
	if c.Spec.SecretName != "berth-registry-tls" || c.Spec.IssuerRef["name"] != "cluster-ca" || c.Spec.IssuerRef["kind"] != "ClusterIssuer" {
		t.Errorf("Certificate spec %+v", c.Spec)
	}
	for _, n := range []string{"berth-registry.berth-system.svc", "berth-registry.berth-system.svc.cluster.local", "registry.example.com", "berth-registry.example.internal"} {
		if !slices.Contains(c.Spec.DNSNames, n) {
			t.Errorf("Certificate dnsNames %v lack %s", c.Spec.DNSNames, n)
		}
	}
}

func assertMonitoring(t *testing.T, o objects) {
	t.Helper()
	services := o.ofKind("Service")
	for _, name := range []string{"berth-controller", "berth-registry"} {
		sm := o.get(t, "ServiceMonitor", name)
		if sm.GetLabels()["release"] != "prometheus" {
			t.Errorf("ServiceMonitor %s lacks serviceMonitor.labels: %v", name, sm.GetLabels())
		}
		sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
		var selected []string
		for _, s := range services {
			if selects(sel, s.GetLabels()) {
				selected = append(selected, s.GetName())
			}
		}
		if d := cmp.Diff([]string{name + "-metrics"}, selected); d != "" {
			t.Errorf("ServiceMonitor %s selects Services (-want +got):\n%s", name, d)
		}
		ports, _, _ := unstructured.NestedSlice(o.get(t, "Service", name+"-metrics").Object, "spec", "ports")
		if len(ports) != 1 || ports[0].(map[string]any)["targetPort"] != "metrics" {
			t.Errorf("Service %s-metrics ports %v", name, ports)
		}

		np := o.get(t, "NetworkPolicy", name)
		podSel, _, _ := unstructured.NestedStringMap(np.Object, "spec", "podSelector", "matchLabels")
		if !selects(podSel, podSpec(t, o, name).Labels) {
			t.Errorf("NetworkPolicy %s does not select the Pods of Deployment %s", name, name)
		}
	}
	// The controller admits notifications from the registry's Pods only.
	ingress, _, _ := unstructured.NestedSlice(o.get(t, "NetworkPolicy", "berth-controller").Object, "spec", "ingress")
	from := into[[]map[string]map[string]map[string]string](t, ingress[0].(map[string]any)["from"])
	if len(*from) != 1 || !selects((*from)[0]["podSelector"]["matchLabels"], podSpec(t, o, "berth-registry").Labels) {
		t.Errorf("the controller's events port admits %v, not the registry's Pods", *from)
	}
}

// TestInvalidValuesFail: combinations that cannot work fail at render time with a message.
func TestInvalidValuesFail(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"s3 without a bucket", []string{"--set", "registry.storage.type=s3", "--set", "registry.storage.s3.region=x"}, "registry.storage.s3.bucket is required"},
		{"unknown storage type", []string{"--set", "registry.storage.type=nfs"}, "'/registry/storage/type': value must be one of"},
		{"unknown value", []string{"--set", "registry.replica=2"}, "additional properties 'replica' not allowed"},
		{"two TLS sources", []string{"--set", "registry.tls.existingSecret=x", "--set", "registry.tls.certManager.enabled=true", "--set", "registry.tls.certManager.issuerRef.name=ca"}, "not both"},
		{"cert-manager without an issuer", []string{"--set", "registry.tls.certManager.enabled=true"}, "issuerRef.name is required"},
		{"replicas without leader election", []string{"--set", "controller.replicas=2", "--set", "controller.leaderElection.enabled=false"}, "leaderElection"},
		{"registry replicas on one ReadWriteOnce volume", []string{"--set", "registry.replicas=3"}, "ReadWriteMany"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, "helm", append([]string{"template", release, ".", "--namespace", namespace}, tc.flags...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("helm template %v: error %v, want one containing %q", tc.flags, err, tc.want)
			}
		})
	}
}

// TestNotes renders NOTES.txt (helm template leaves it out) through a copy of the chart that
// carries it in a ConfigMap, and checks the next steps it prints.
func TestNotes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "berth")
	if err := os.CopyFS(dir, os.DirFS(".")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "templates", "NOTES.txt"), filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatal(err)
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: {{ tpl (.Files.Get \"notes.txt\") . | toJson }}\n"
	if err := os.WriteFile(filepath.Join(dir, "templates", "notes-test.yaml"), []byte(cm), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags []string
		want  []string
	}{
		{nil, []string{
			"kubectl get berth -A",
			"rollout status deployment/berth-controller",
			"--clusterrole=berth-registry-poweruser",
			"create token pusher --audience=berth-registry",
			"port-forward svc/berth-registry 5001:5000",
			"docker login localhost:5001",
			"DaemonSet berth-node-proxy (namespace kube-system)",
			"set registry.externalHost",
			"PersistentVolumeClaim berth-registry",
		}},
		{valuesFile("tls-secret-values.yaml"), []string{"https://registry.example.com", "docker login registry.example.com "}},
		{valuesFile("no-crds-values.yaml"), []string{"CRDs were not installed"}},
		{[]string{"--set", "registry.nodeProxy.enabled=false"}, []string{"docker login berth-registry.berth-system.svc:5000", "resolves inside the cluster only"}},
	} {
		out, err := run(t, "helm", append([]string{"template", release, dir, "--namespace", namespace, "--show-only", "templates/notes-test.yaml"}, tc.flags...)...)
		if err != nil {
			t.Fatalf("rendering NOTES.txt with %v: %v", tc.flags, err)
		}
		notes, _, _ := unstructured.NestedString(decode(t, out)[0].Object, "data", "notes")
		for _, w := range tc.want {
			if !strings.Contains(notes, w) {
				t.Errorf("NOTES.txt with %v lacks %q:\n%s", tc.flags, w, notes)
			}
		}
		if strings.Contains(notes, "<no value>") {
			t.Errorf("NOTES.txt with %v prints <no value>:\n%s", tc.flags, notes)
		}
	}
}

// TestRenderedObjectsPassServerSideDryRun applies every object each value combination renders
// to a real kube-apiserver (with Berth's CRDs) as a server-side dry run, as `kubectl apply
// --dry-run=server` does: schema, defaulting and validation of the API server. Objects of
// APIs the test server lacks (cert-manager, Prometheus Operator) are left out.
func TestRenderedObjectsPassServerSideDryRun(t *testing.T) {
	rendered := make([]objects, len(chartCases))
	namespaces := map[string]bool{}
	for i, tc := range chartCases {
		rendered[i] = tc.render(t)
		for _, u := range rendered[i] {
			if u.GetNamespace() != "" {
				namespaces[u.GetNamespace()] = true
			}
		}
	}
	env, err := envtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := t.Context()
	for ns := range namespaces {
		if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	mapper := env.Client.RESTMapper()
	force := true
	for i, tc := range chartCases {
		for _, u := range rendered[i] {
			gvk := u.GroupVersionKind()
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				if gvk.Group == "cert-manager.io" || gvk.Group == "monitoring.coreos.com" {
					continue
				}
				t.Errorf("%s: %s is not served: %v", tc.name, gvk, err)
				continue
			}
			data, err := u.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			_, err = dyn.Resource(m.Resource).Namespace(u.GetNamespace()).Patch(ctx, u.GetName(), types.ApplyPatchType, data,
				metav1.PatchOptions{FieldManager: "berth-chart-test", Force: &force, DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
			if err != nil {
				t.Errorf("%s: the API server rejects %s %s: %v", tc.name, gvk.Kind, u.GetName(), err)
			}
		}
	}
}
