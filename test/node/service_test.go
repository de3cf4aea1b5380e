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
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
	"github.com/berth-dev/berth/internal/testutil/realnode"
)

// user is what a team does before deploying: a namespace, a Repository, a builder
// ServiceAccount bound to berth-registry-poweruser, and the test image pushed with skopeo as
// that ServiceAccount with a Kubernetes token.
type user struct {
	ns     string
	layout string
}

func newUser(t *testing.T) *user {
	t.Helper()
	return newUserOf(t, "berth-registry-poweruser", "")
}

// newUserOf is newUser with the push role of an installation of another name (release ecs:
// ecs-berth-registry-poweruser) whose components run as Pods in componentsNS ("": the suite's
// own, processes on this machine, whose logs the suite prints when a test fails). The
// Repository has forceDelete, so deleting the namespace deletes it with its images (ECR keeps
// a repository that holds images otherwise).
func newUserOf(t *testing.T, poweruser, componentsNS string) *user {
	t.Helper()
	u := &user{ns: kubetest.NewNamespace(t, k8s, "node-"), layout: filepath.Join(t.TempDir(), "image")}
	apply(t, u.ns, `
apiVersion: ecr.berth.dev/v1alpha1
kind: Repository
metadata: {name: hello}
spec: {forceDelete: true}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder-poweruser}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: `+poweruser+`}
subjects: [{kind: ServiceAccount, name: builder, namespace: `+u.ns+`}]
`)
	// Deleted while the controller that owns the Repository's finalizer still runs (cleanups
	// run last first): a Repository left behind by a failed test kept an uninstall's CRD
	// terminating, and every later test failed with it. A no-op after a test deleted it.
	t.Cleanup(func() {
		_, _ = command(2*time.Minute, nil, tool("kubectl"), "delete", "namespace", u.ns, "--wait=true", "--timeout=90s", "--ignore-not-found")
	})
	if out, err := command(2*time.Minute, nil, tool("kubectl"), "wait", "--for=condition=Ready", "-n", u.ns, "repositories.ecr.berth.dev/hello", "--timeout=90s"); err != nil {
		logs := "(the suite's own components: their logs follow the test output)"
		if componentsNS != "" {
			logs = fmt.Sprintf("registry's log (%s): %s\ncontroller's log (%s): %s",
				componentsNS, kubectlOut("logs", "-n", componentsNS, "-l", "app.kubernetes.io/name=berth-registry", "--tail=40"),
				componentsNS, kubectlOut("logs", "-n", componentsNS, "-l", "app.kubernetes.io/name=berth-controller", "--tail=40"))
		}
		t.Fatalf("%v\n%s\nRepository: %s\nregistry's API: %s\nBerth's Pods and Services: %s\n%s", err, out,
			kubectlOut("get", "-n", u.ns, "repositories.ecr.berth.dev/hello", "-o", "jsonpath={.status.conditions}"),
			kubectlOut("get", "apiservices", "-o", "custom-columns=NAME:.metadata.name,AVAILABLE:.status.conditions[0].status,MESSAGE:.status.conditions[0].message"),
			kubectlOut("get", "pods,services,endpointslices", "-A", "-l", "app.kubernetes.io/part-of=berth", "-o", "wide"),
			logs)
	}
	return u
}

// push writes the test image with variant in its environment (so each variant has a digest
// of its own, which the node has never pulled) and pushes it as hello:<tag>.
func (u *user) push(t *testing.T, tag, variant string) string {
	t.Helper()
	return u.pushTo(t, registryHost, tag, variant)
}

// pushTo pushes like push, to the registry at host.
func (u *user) pushTo(t *testing.T, host, tag, variant string) string {
	t.Helper()
	dir := u.layout + "-" + tag
	digest, err := realnode.BusyboxLayout(dir, variant, 0)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(kubectl(t, "create", "token", "builder", "-n", u.ns, "--audience", "berth-registry"))
	if out, err := command(2*time.Minute, nil, "skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", "berth:"+token,
		"oci:"+dir+":v1", "docker://"+host+"/"+u.ns+"/hello:"+tag); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return digest
}

// taskDefinition applies a task definition of family whose one container runs image with
// the test image's HTTP server (or command), and a CMD-SHELL health check asking it for a page.
func (u *user) taskDefinition(t *testing.T, family, image string, command ...string) {
	t.Helper()
	cmd := ""
	if len(command) > 0 {
		cmd = "\n    command: [" + quoteAll(command) + "]"
	}
	apply(t, u.ns, fmt.Sprintf(`
apiVersion: ecs.berth.dev/v1alpha1
kind: TaskDefinition
metadata: {name: %s}
spec:
  containerDefinitions:
  - name: web
    image: %s
    essential: true
    memory: 64%s
    portMappings: [{containerPort: 8080, name: http}]
    healthCheck:
      command: [CMD-SHELL, "wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1"]
      interval: 5
      timeout: 2
      retries: 2
`, family, image, cmd))
}

// service applies a Service of family with desired tasks, the circuit breaker with rollback,
// and a core Service on port 80.
func (u *user) service(t *testing.T, name, family string, desired int) {
	t.Helper()
	apply(t, u.ns, fmt.Sprintf(`
apiVersion: ecs.berth.dev/v1alpha1
kind: Service
metadata: {name: %s}
spec:
  taskDefinition: %s
  desiredCount: %d
  deploymentConfiguration:
    deploymentCircuitBreaker: {enable: true, rollback: true}
  loadBalancers: [{containerName: web, containerPort: 8080, port: 80}]
`, name, family, desired))
}

// getService reads a Service.
func (u *user) getService(name string) (*ecsv1alpha1.Service, error) {
	svc := &ecsv1alpha1.Service{}
	return svc, k8s.Get(context.Background(), client.ObjectKey{Namespace: u.ns, Name: name}, svc)
}

// waitEvent waits until a Service event contains every part, and returns it.
func (u *user) waitEvent(t *testing.T, name string, timeout time.Duration, parts ...string) string {
	t.Helper()
	var found string
	kubetest.Eventually(t, timeout, func() error {
		svc, err := u.getService(name)
		if err != nil {
			return err
		}
		for _, e := range svc.Status.Events {
			if containsAll(e.Message, parts) {
				found = e.Message
				return nil
			}
		}
		return fmt.Errorf("no event of Service %s with %q; events: %v", name, parts, eventMessages(svc))
	})
	return found
}

// waitRunning waits until Service name runs want healthy tasks of its family's revision rev
// and is Ready, and returns their Pods.
func (u *user) waitRunning(t *testing.T, name string, want int32, timeout time.Duration) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	kubetest.Eventually(t, timeout, func() error {
		svc, err := u.getService(name)
		if err != nil {
			return err
		}
		if svc.Status.RunningCount != want || !ready(svc) {
			return fmt.Errorf("Service %s: runningCount %d, Ready %v; want %d and Ready; events: %v", name,
				svc.Status.RunningCount, ready(svc), want, eventMessages(svc))
		}
		list := &corev1.PodList{}
		if err := k8s.List(context.Background(), list, client.InNamespace(u.ns), client.MatchingLabels{"ecs.berth.dev/service": name}); err != nil {
			return err
		}
		pods = pods[:0]
		for _, p := range list.Items {
			if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
				pods = append(pods, p)
			}
		}
		if int32(len(pods)) != want {
			return fmt.Errorf("%d running Pods, want %d", len(pods), want)
		}
		return nil
	})
	return pods
}

// TestUntranslatedClusterIPIsRefused checks the node's guard (hack/node.sh): a connection to
// a ClusterIP that kube-proxy has no rule for is refused, as on a real node, instead of
// reaching whatever this VM's network answers for addresses routed out. Without it a
// connection opened before kube-proxy's first sync got an empty 404 and, kept alive, kept
// getting it.
func TestUntranslatedClusterIPIsRefused(t *testing.T) {
	// The last address of the sandbox's service range, on a port no Service here uses.
	const addr = "10.0.0.254:1"
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("a connection to %s (no Service) was accepted; want it refused", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v; want connection refused", addr, err)
	}
}

// TestServiceOnRealNode deploys a Service of an image pushed to berth-registry and checks what
// only a real node shows: the pull with the managed Secret, the health check, HTTP through the
// core Service (kube-proxy), kubectl logs and kubectl berth logs, and a revision whose container exits 3 rolled back
// by the circuit breaker with the real exit code in the Service's events.
func TestServiceOnRealNode(t *testing.T) {
	u := newUser(t)
	digest := u.push(t, "v1", "v1")
	u.taskDefinition(t, "hello", registryHost+"/"+u.ns+"/hello:v1")
	u.service(t, "hello", "hello", 2)
	start := time.Now()
	pods := u.waitRunning(t, "hello", 2, 3*time.Minute)
	t.Logf("2 tasks RUNNING and healthy %s after the Service was created", time.Since(start).Round(100*time.Millisecond))

	for _, p := range pods {
		if p.Spec.NodeName != nodeName {
			t.Errorf("task %s runs on %q, want the real node %s", p.Name, p.Spec.NodeName, nodeName)
		}
		cs := p.Status.ContainerStatuses
		if len(cs) != 1 || !cs[0].Ready || !strings.HasSuffix(cs[0].ImageID, digest) {
			t.Errorf("task %s: container statuses %+v, want web ready, image %s", p.Name, cs, digest)
		}
		// The health check is the container's probe, run by the kubelet in the container.
		if probe := p.Spec.Containers[0].ReadinessProbe; probe == nil || probe.Exec == nil {
			t.Errorf("task %s has no exec readiness probe for the health check: %+v", p.Name, probe)
		}
		// A task without a task role has no credentials, as in ECS: no API token is mounted.
		// (hostname first: exec itself works.)
		if got := strings.TrimSpace(kubectl(t, "exec", "-n", u.ns, p.Name, "-c", "web", "--", "hostname")); got != p.Name {
			t.Errorf("hostname in task %s = %q", p.Name, got)
		}
		if out, err := command(time.Minute, nil, tool("kubectl"), "exec", "-n", u.ns, p.Name, "-c", "web", "--",
			"ls", "/var/run/secrets/kubernetes.io/serviceaccount"); err == nil || !strings.Contains(out, "No such file") {
			t.Errorf("task %s without a task role: ls of the service account token folder = %q, %v; want no such folder", p.Name, out, err)
		}
		logs := kubectl(t, "logs", "-n", u.ns, p.Name)
		if !strings.Contains(logs, "hello from a real container on "+p.Name) {
			t.Errorf("kubectl logs %s = %q, want the container's greeting", p.Name, logs)
		}
	}
	// kubectl berth logs: every task of the Service, each line prefixed with task and container.
	berthLogs, err := command(time.Minute, nil, filepath.Join(sb.Dir, "bin", "kubectl-berth"), "logs", "hello", "-n", u.ns)
	if err != nil {
		t.Fatalf("kubectl berth logs: %v\n%s", err, berthLogs)
	}
	for _, p := range pods {
		if want := "[" + p.Name + "/" + p.Spec.Containers[0].Name + "] hello from a real container on " + p.Name; !strings.Contains(berthLogs, want) {
			t.Errorf("kubectl berth logs hello = %q, want a line %q", berthLogs, want)
		}
	}

	// The core Service of the load balancer, through kube-proxy's rules, from the node.
	svc := &corev1.Service{}
	kubetest.Eventually(t, time.Minute, func() error {
		list := &corev1.ServiceList{}
		if err := k8s.List(context.Background(), list, client.InNamespace(u.ns)); err != nil {
			return err
		}
		for _, s := range list.Items {
			if s.Spec.ClusterIP != "" && s.Spec.ClusterIP != corev1.ClusterIPNone {
				*svc = s
				return nil
			}
		}
		return errors.New("no core Service with a ClusterIP yet")
	})
	kubetest.Eventually(t, time.Minute, func() error {
		body, err := get("http://" + svc.Spec.ClusterIP + ":80/")
		if err != nil {
			return err
		}
		if body != "served-by-real-node\n" {
			return fmt.Errorf("body %q; endpoints: %s", body, kubectlOut("get", "endpointslices", "-n", u.ns, "-o", "wide"))
		}
		return nil
	})

	// Revision 2: the essential container exits 3 at once. The circuit breaker fails the
	// deployment and rolls back to revision 1, quoting the real exit code.
	u.taskDefinition(t, "hello", registryHost+"/"+u.ns+"/hello:v1", "echo failing on purpose; exit 3")
	start = time.Now()
	msg := u.waitEvent(t, "hello", 4*time.Minute, "container web exited with code 3")
	t.Logf("event: %s", msg)
	u.waitEvent(t, "hello", 4*time.Minute, "deployment failed: tasks failed to start")
	u.waitEvent(t, "hello", time.Minute, "rolling back to deployment")
	kubetest.Eventually(t, 3*time.Minute, func() error {
		s, err := u.getService("hello")
		if err != nil {
			return err
		}
		primary := s.Status.Deployments[0]
		if primary.Status != ecsv1alpha1.DeploymentPrimary || primary.TaskDefinition != "hello:1" ||
			primary.RolloutState != ecsv1alpha1.RolloutCompleted || s.Status.RunningCount != 2 {
			return fmt.Errorf("deployments %+v, runningCount %d; want a COMPLETED primary of hello:1 with 2 tasks", s.Status.Deployments, s.Status.RunningCount)
		}
		for _, d := range s.Status.Deployments[1:] {
			if d.TaskDefinition == "hello:2" && d.RolloutState != ecsv1alpha1.RolloutFailed {
				return fmt.Errorf("deployment of hello:2 is %s, want FAILED", d.RolloutState)
			}
		}
		return nil
	})
	t.Logf("rolled back to hello:1 %s after revision 2", time.Since(start).Round(100*time.Millisecond))
}

// TestPullFailures checks ECS's CannotPullContainerError for an image the registry does not
// hold and for a pull the repository's policy denies to the task execution identity.
func TestPullFailures(t *testing.T) {
	u := newUser(t)
	u.push(t, "v1", "pull-failures")

	t.Run("missing image", func(t *testing.T) {
		u.taskDefinition(t, "missing", registryHost+"/"+u.ns+"/hello:not-pushed")
		u.service(t, "missing", "missing", 1)
		msg := u.waitEvent(t, "missing", 3*time.Minute, "stopped: CannotPullContainerError:", "hello:not-pushed", "not found")
		t.Logf("event: %s", msg)
	})

	t.Run("denied by the repository policy", func(t *testing.T) {
		apply(t, u.ns, `
apiVersion: ecr.berth.dev/v1alpha1
kind: RepositoryPolicy
metadata: {name: no-task-pulls}
spec:
  repositoryName: hello
  statements:
  - sid: NoTaskPulls
    effect: Deny
    principals: [{kind: ServiceAccount, namespace: `+u.ns+`, name: berth-task-execution}]
    actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
`)
		kubectl(t, "wait", "--for=condition=Ready", "-n", u.ns, "repositorypolicies.ecr.berth.dev/no-task-pulls", "--timeout=60s")
		u.push(t, "v2", "denied")
		u.taskDefinition(t, "denied", registryHost+"/"+u.ns+"/hello:v2")
		u.service(t, "denied", "denied", 1)
		msg := u.waitEvent(t, "denied", 3*time.Minute, "stopped: CannotPullContainerError:", "403 Forbidden")
		t.Logf("event: %s", msg)

		// Without the policy the same revision's next task pulls and runs.
		kubectl(t, "delete", "-n", u.ns, "repositorypolicies.ecr.berth.dev/no-task-pulls", "--wait=true")
		kubectl(t, "patch", "-n", u.ns, "services.ecs.berth.dev/denied", "--type=merge", "-p", `{"spec":{"forceNewDeployment":"policy-removed"}}`)
		u.waitRunning(t, "denied", 1, 3*time.Minute)
	})
}

// TestPullSecretRenewal renews the pull Secret's token (as at its half-life) and checks that a
// task of an image the node never pulled is pulled with the new token.
func TestPullSecretRenewal(t *testing.T) {
	u := newUser(t)
	u.push(t, "v1", "before-renewal")
	u.taskDefinition(t, "renew", registryHost+"/"+u.ns+"/hello:v1")
	u.service(t, "renew", "renew", 1)
	u.waitRunning(t, "renew", 1, 3*time.Minute)

	secret := &corev1.Secret{}
	key := client.ObjectKey{Namespace: u.ns, Name: "berth-registry-pull"}
	if err := k8s.Get(context.Background(), key, secret); err != nil {
		t.Fatal(err)
	}
	before := string(secret.Data[corev1.DockerConfigJsonKey])
	// Time travel: the refresh time recorded on the Secret has passed.
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	kubectl(t, "annotate", "--overwrite", "-n", u.ns, "secret/berth-registry-pull", "berth.dev/token-refresh-at="+past)
	kubetest.Eventually(t, time.Minute, func() error {
		s := &corev1.Secret{}
		if err := k8s.Get(context.Background(), key, s); err != nil {
			return err
		}
		if string(s.Data[corev1.DockerConfigJsonKey]) == before {
			return errors.New("the pull Secret still holds the first token")
		}
		if at, err := time.Parse(time.RFC3339, s.Annotations["berth.dev/token-refresh-at"]); err != nil || !at.After(time.Now()) {
			return fmt.Errorf("refresh time %q (%v) is not in the future", s.Annotations["berth.dev/token-refresh-at"], err)
		}
		return nil
	})

	u.push(t, "v2", "after-renewal")
	u.taskDefinition(t, "renew", registryHost+"/"+u.ns+"/hello:v2")
	pods := u.waitRunning(t, "renew", 1, 3*time.Minute)
	if got := pods[0].Spec.Containers[0].Image; !strings.Contains(got, "@sha256:") {
		t.Errorf("task image %q is not pinned by digest", got)
	}
}

func get(url string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		// Who answered, for a failure that is not the task's page: CI once saw an empty body
		// through a core Service for a minute — this machine's network answers any address
		// on port 80 it routes out with an empty 404 ("server: keryx"), so a ClusterIP that
		// kube-proxy has not programmed reads as that.
		err = fmt.Errorf("%s answered %s, headers %v, body %q", url, resp.Status, resp.Header, b)
	}
	return string(b), err
}

func ready(svc *ecsv1alpha1.Service) bool {
	for _, c := range svc.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == metav1.ConditionTrue
		}
	}
	return false
}

func eventMessages(svc *ecsv1alpha1.Service) []string {
	var out []string
	for _, e := range svc.Status.Events {
		out = append(out, e.Message)
	}
	return out
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
