//go:build bench

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

package nodebench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/realnode"
)

const (
	// imageBytes is P10's image size: a 50 MiB layer of random bytes on busybox.
	imageBytes = 50 << 20
	// rounds is how many fresh images each registry serves (docs/budgets.md: 7); the order
	// alternates.
	rounds = 7
	ns     = "p10"
)

// TestP10ImagePull: Pod create → Running on the real node, pulling a fresh 50 MiB image from
// berth-registry (with a pull Secret holding a Kubernetes token, RBAC and a RepositoryPolicy
// in force) and one of the same make-up from the stock distribution registry (no auth). Each
// round pushes new images, different bytes for each registry, so every pull downloads all
// of it.
func TestP10ImagePull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("P10 runs a real node (kubelet, containerd): run make bench as root")
	}
	// Before the node, which takes minutes to build on a fresh machine.
	if _, err := exec.LookPath("skopeo"); err != nil {
		t.Fatalf("P10 pushes its images with skopeo: %v (hack/debian-packages.sh installs it)", err)
	}
	// The sandbox's client logs nothing here; without a logger controller-runtime prints a
	// warning with a stack trace into the figures' output.
	crlog.SetLogger(logr.Discard())
	sb, err := realnode.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Log(sb.Logs())
		}
		if err := sb.Stop(); err != nil {
			t.Error(err)
		}
	}()
	stock := startStockRegistry(t, sb)
	run := func(timeout time.Duration, stdin string, name string, args ...string) string {
		t.Helper()
		var in []byte
		if stdin != "" {
			in = []byte(stdin)
		}
		out, err := sb.Command(timeout, in, name, args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return out
	}
	kubectl := realnode.Tool("kubectl")
	run(time.Minute, `
apiVersion: v1
kind: Namespace
metadata: {name: p10}
---
apiVersion: ecr.berth.dev/v1alpha1
kind: Repository
metadata: {name: big, namespace: p10}
spec: {}
---
apiVersion: ecr.berth.dev/v1alpha1
kind: RepositoryPolicy
metadata: {name: big, namespace: p10}
spec:
  repositoryName: big
  statements:
  - sid: NobodyDeletes
    effect: Deny
    principals: [{kind: Group, name: "system:authenticated"}]
    actions: ["ecr:BatchDeleteImage"]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: p10}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: puller, namespace: p10}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder, namespace: p10}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: berth-registry-poweruser}
subjects: [{kind: ServiceAccount, name: builder, namespace: p10}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: puller, namespace: p10}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: berth-registry-reader}
subjects: [{kind: ServiceAccount, name: puller, namespace: p10}]
`, kubectl, "apply", "-f", "-")
	run(time.Minute, "", kubectl, "wait", "--for=condition=Ready", "-n", ns, "repositories.ecr.berth.dev/big", "repositorypolicies.ecr.berth.dev/big", "--timeout=60s")
	builder := strings.TrimSpace(run(time.Minute, "", kubectl, "create", "token", "builder", "-n", ns, "--audience", "berth-registry", "--duration", "1h"))
	puller := strings.TrimSpace(run(time.Minute, "", kubectl, "create", "token", "puller", "-n", ns, "--audience", "berth-registry", "--duration", "1h"))
	pullSecret(t, sb, sb.RegistryHost, puller)

	var berth, ref []float64
	var berthPull, refPull []float64 // the kubelet's own "Successfully pulled image … in X" figure
	for i := range rounds {
		// Two images of the same size and make-up, one per registry: containerd keeps blobs by
		// digest, so the same bytes pulled second would not be downloaded at all.
		tag := "r" + strconv.Itoa(i)
		for _, dst := range []struct{ host, creds string }{{sb.RegistryHost, "berth:" + builder}, {stock, ""}} {
			dir := filepath.Join(t.TempDir(), "image")
			if _, err := realnode.BusyboxLayout(dir, "p10-"+tag+"-"+dst.host, imageBytes); err != nil {
				t.Fatal(err)
			}
			args := []string{"copy", "--quiet", "--dest-tls-verify=false"}
			if dst.creds != "" {
				args = append(args, "--dest-creds", dst.creds)
			}
			run(5*time.Minute, "", "skopeo", append(args, "oci:"+dir+":v1", "docker://"+dst.host+"/"+ns+"/big:"+tag)...)
		}
		measure := func(host string, total, pull *[]float64) {
			name := fmt.Sprintf("pull-%d-%s", i, strings.ReplaceAll(strings.ReplaceAll(host, ".", "-"), ":", "-"))
			d := podRunning(t, sb, name, host+"/"+ns+"/big:"+tag)
			*total = append(*total, d.Seconds())
			*pull = append(*pull, kubeletPullSeconds(t, sb, name))
		}
		if i%2 == 0 {
			measure(sb.RegistryHost, &berth, &berthPull)
			measure(stock, &ref, &refPull)
		} else {
			measure(stock, &ref, &refPull)
			measure(sb.RegistryHost, &berth, &berthPull)
		}
	}
	v, r := report.Median(berth), report.Median(ref)
	// The figure is the median of the per-round ratios: both registries' pulls slow down as
	// the rounds go on (the node's, not a registry's), so each berth pull is compared with
	// the stock pull of its own round, as P1b pairs its starts; the ratio of the medians can
	// compare pulls of different rounds.
	pairs := make([]float64, len(berth))
	for i := range berth {
		pairs[i] = berth[i] / ref[i]
	}
	ratio := report.Median(pairs)
	t.Logf("per round (berth s, stock s, ratio; the kubelet's pull time berth s, stock s): %s", roundsTable(berth, ref, pairs, berthPull, refPull))
	report.Print(nil, report.Line{ID: "P10", Value: v, Unit: "s", Reference: r, HasReference: true, Ratio: ratio, HasRatio: true,
		Budget: "<=1.1x", Pass: ratio <= 1.1,
		Detail: fmt.Sprintf("ratio: median of the per-round ratios over %d fresh 50 MiB images each (ratio of the medians %.3f), Pod create -> Running; berth %s, stock %s; the kubelet's pull time: berth %.3f s, stock %.3f s",
			rounds, v/r, report.Spread(berth, "s"), report.Spread(ref, "s"), report.Median(berthPull), report.Median(refPull))})
}

// roundsTable formats the rounds' figures for the log.
func roundsTable(berth, ref, pairs, berthPull, refPull []float64) string {
	var b strings.Builder
	for i := range berth {
		fmt.Fprintf(&b, " [%.3f %.3f %.3f; %.3f %.3f]", berth[i], ref[i], pairs[i], berthPull[i], refPull[i])
	}
	return b.String()
}

// kubeletPullSeconds is the pull time the kubelet reports in Pod name's Pulled event
// ("Successfully pulled image … in 1.234s (1.234s including waiting)").
func kubeletPullSeconds(t *testing.T, sb *realnode.Sandbox, name string) float64 {
	t.Helper()
	var msg string
	deadline := time.Now().Add(30 * time.Second)
	for msg == "" && time.Now().Before(deadline) {
		events := &corev1.EventList{}
		if err := sb.Client.List(context.Background(), events, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		for _, e := range events.Items {
			if e.InvolvedObject.Name == name && e.Reason == "Pulled" {
				msg = e.Message
			}
		}
		if msg == "" {
			time.Sleep(100 * time.Millisecond)
		}
	}
	_, after, ok := strings.Cut(msg, " in ")
	if !ok {
		t.Fatalf("no Pulled event with a duration for Pod %s: %q", name, msg)
	}
	d, err := time.ParseDuration(strings.Fields(after)[0])
	if err != nil {
		t.Fatalf("Pulled event %q: %v", msg, err)
	}
	return d.Seconds()
}

// startStockRegistry runs the stock distribution registry (hack/build-stock-registry.sh) on
// loopback with no auth and returns its host:port.
func startStockRegistry(t *testing.T, sb *realnode.Sandbox) string {
	t.Helper()
	out, err := sb.Script(10*time.Minute, "build-stock-registry.sh")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	bin := strings.TrimSpace(lines[len(lines)-1])
	port, err := envtest.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	host := "127.0.0.1:" + strconv.Itoa(port)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n", filepath.Join(dir, "data"), host), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), bin, "serve", cfg) //nolint:gosec // the cached stock registry
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if out, err := exec.CommandContext(context.Background(), "curl", "-fsS", "-o", "/dev/null", "http://"+host+"/v2/").CombinedOutput(); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the stock registry on %s does not answer: %v %s", host, err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return host
}

// pullSecret writes Secret "pull" of namespace p10: the puller's token for host.
func pullSecret(t *testing.T, sb *realnode.Sandbox, host, token string) {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte("berth:" + token))
	cfg, err := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}})
	if err != nil {
		t.Fatal(err)
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pull"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}}
	if err := sb.Client.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// podRunning creates a Pod of image on the real node and returns the time from the create
// call to the Pod's container running, seen by polling every 50 ms; the Pod is deleted.
func podRunning(t *testing.T, sb *realnode.Sandbox, name, image string) time.Duration {
	t.Helper()
	ctx := context.Background()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{
			NodeName:                      realnode.NodeName,
			ImagePullSecrets:              []corev1.LocalObjectReference{{Name: "pull"}},
			TerminationGracePeriodSeconds: new(int64),
			Containers:                    []corev1.Container{{Name: "c", Image: image, ImagePullPolicy: corev1.PullAlways}},
		},
	}
	start := time.Now()
	if err := sb.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sb.Client.Delete(ctx, pod) }()
	deadline := start.Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		got := &corev1.Pod{}
		if err := sb.Client.Get(ctx, client.ObjectKeyFromObject(pod), got); err == nil {
			for _, cs := range got.Status.ContainerStatuses {
				if cs.State.Running != nil {
					return time.Since(start)
				}
				if w := cs.State.Waiting; w != nil && (w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff") {
					t.Fatalf("Pod %s cannot pull %s: %s", name, image, w.Message)
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("Pod %s of %s not running after 5 minutes", name, image)
	return 0
}
