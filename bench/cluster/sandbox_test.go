//go:build bench || soak

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

package clusterbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/scheme"
	"github.com/berth-dev/berth/internal/testutil/envtest"
)

// schedulerQPS is the sandbox's kube-scheduler client QPS (burst twice it). Its default, 50 /
// 100, binds at most 50 Pods a second: 3,000 tasks would wait a minute for the scheduler
// whatever their controller does, and P1c's 100 tasks a second could not be reached.
const schedulerQPS = 1000

// controllerUserAgent is the user agent cmd/manager sets on its client; the audit log tells
// the controller's requests apart by it.
const controllerUserAgent = "berth-controller"

// auditPolicy logs every write (metadata only, once the response is sent) and nothing else:
// P4 counts the controller's writes from it. Reads are not logged, so the log stays small
// even with 5,000 Pods.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: None
`

// kwokParallelism is how many Pods the sandbox's kwok (the kubelet of every node) moves
// through a stage at once. kwok's default, 4 for the whole cluster, made kwok the bottleneck
// of every start on a loaded machine (300 Pods bound in 7 s, Running after 40 s, for Berth,
// the Deployment and the floor alike), so the figures measured kwok, not the controllers; a
// real cluster has a kubelet per node starting its Pods in parallel.
const kwokParallelism = 32

// kwokConfig raises kwok's parallelism (hack/sandbox.sh passes it to kwokctl) and widens
// its pod IP range for P5's 20,000 Pods (the default is a /24). kwokctl does not apply kwok's
// defaults to a configuration it is given, so the other options repeat them.
var kwokConfig = fmt.Sprintf(`apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  cidr: 10.0.0.0/16
  podPlayStageParallelism: %d
  nodePlayStageParallelism: %d
  nodeLeaseParallelism: 4
  podsOnNodeSyncParallelism: 1
  enablePodsOnNodeSyncListPager: true
  enableDebuggingHandlers: true
  enableProfilingHandler: true
`, kwokParallelism, kwokParallelism)

// sandbox is the cluster every test of the package shares, and the controller binary.
type sandbox struct {
	// etcdURL is the sandbox etcd's client URL (plain HTTP on loopback).
	etcdURL    string
	root       string
	dir        string
	name       string
	kubeconfig string
	auditLog   string
	managerBin string
	cfg        *rest.Config
	c          client.Client
	cs         kubernetes.Interface
}

var sb *sandbox

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctrl.SetLogger(logr.Discard())
	s, cleanup, err := newSandbox()
	defer cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		return 1
	}
	sb = s
	// The folder the profiles are kept in is made here, before anything is measured: a
	// missing one would only show once a profile had been taken.
	if dir := os.Getenv("BERTH_BENCH_PROFILE_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			fmt.Fprintln(os.Stderr, "BERTH_BENCH_PROFILE_DIR:", err)
			return 1
		}
	}
	port, err := envtest.FreePorts(1)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pprof address:", err)
		return 1
	}
	pprofAddr = "127.0.0.1:" + strconv.Itoa(port)
	return m.Run()
}

// pprofAddr is where a controller started with --pprof-bind-address serves net/http/pprof
// (P5's heap, P1's and P1c's CPU profiles): a loopback port that was free when the run began,
// below the ephemeral range so no outgoing connection takes it during the run, and not a fixed
// one, so a process left listening on it cannot make the controller fail to start.
var pprofAddr string

// newSandbox creates the cluster with hack/sandbox.sh (audit policy on, room for 5,000
// Pods) and builds cmd/manager. cleanup deletes the cluster; it is never nil.
func newSandbox() (*sandbox, func(), error) {
	s := &sandbox{root: envtest.RepoRoot(), name: fmt.Sprintf("berth-bench-%d", os.Getpid())}
	dir, err := os.MkdirTemp("", "berth-bench-")
	if err != nil {
		return nil, func() {}, fmt.Errorf("temp dir: %w", err)
	}
	s.dir = dir
	s.kubeconfig = filepath.Join(dir, "kubeconfig")
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return nil, func() { os.RemoveAll(dir) }, fmt.Errorf("audit policy: %w", err)
	}
	kwokCfg := filepath.Join(dir, "kwok.yaml")
	if err := os.WriteFile(kwokCfg, []byte(kwokConfig), 0o600); err != nil {
		return nil, func() { os.RemoveAll(dir) }, fmt.Errorf("kwok configuration: %w", err)
	}
	script := func(verb string) error {
		// Bounded: creating the cluster takes seconds; a hang must not eat the bench budget.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(s.root, "hack", "sandbox.sh"), verb) //nolint:gosec // our own script
		cmd.Env = append(os.Environ(), "BERTH_SANDBOX_NAME="+s.name, "BERTH_SANDBOX_DIR="+dir,
			"BERTH_NODE_PODS="+strconv.Itoa(nodePods), "BERTH_SANDBOX_AUDIT_POLICY="+policy, "BERTH_SANDBOX_KWOK_CONFIG="+kwokCfg,
			"BERTH_SANDBOX_SCHEDULER_QPS="+strconv.Itoa(schedulerQPS))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd.Run()
	}
	cleanup := func() {
		_ = script("down")
		os.RemoveAll(dir)
	}
	start := time.Now()
	if err := script("cluster"); err != nil {
		return nil, cleanup, fmt.Errorf("creating the sandbox: %w", err)
	}
	fmt.Fprintf(os.Stderr, "sandbox up in %s\n", time.Since(start).Round(time.Second))
	s.auditLog = filepath.Join(kwokWorkdir(), "clusters", s.name, "logs", "audit.log")
	if _, err := os.Stat(s.auditLog); err != nil {
		return nil, cleanup, fmt.Errorf("audit log of the sandbox: %w", err)
	}
	if s.etcdURL, err = etcdURL(filepath.Join(kwokWorkdir(), "clusters", s.name, "kwok.yaml")); err != nil {
		return nil, cleanup, err
	}

	// BERTH_BENCH_MANAGER runs a controller built elsewhere (another commit, for a before and
	// after figure); by default cmd/manager of this tree is built.
	s.managerBin = filepath.Join(dir, controllerUserAgent)
	if prebuilt := os.Getenv("BERTH_BENCH_MANAGER"); prebuilt != "" {
		if err := os.Symlink(prebuilt, s.managerBin); err != nil {
			return nil, cleanup, fmt.Errorf("BERTH_BENCH_MANAGER: %w", err)
		}
	} else {
		build := exec.Command("go", "build", "-o", s.managerBin, "./cmd/manager") //nolint:gosec,noctx // fixed arguments
		build.Dir = s.root
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, cleanup, fmt.Errorf("building cmd/manager: %w", err)
		}
	}

	if s.cfg, err = clientcmd.BuildConfigFromFlags("", s.kubeconfig); err != nil {
		return nil, cleanup, fmt.Errorf("kubeconfig: %w", err)
	}
	// The test's own client observes and sets up; it must not be the bottleneck.
	s.cfg.QPS, s.cfg.Burst = 500, 1000
	s.cfg.UserAgent = "berth-bench"
	sch, err := scheme.New()
	if err != nil {
		return nil, cleanup, fmt.Errorf("scheme: %w", err)
	}
	if s.c, err = client.New(s.cfg, client.Options{Scheme: sch}); err != nil {
		return nil, cleanup, fmt.Errorf("client: %w", err)
	}
	if s.cs, err = kubernetes.NewForConfig(s.cfg); err != nil {
		return nil, cleanup, fmt.Errorf("clientset: %w", err)
	}
	return s, cleanup, nil
}

// etcdURL reads the port of the sandbox's etcd from the configuration kwokctl saved for the
// cluster (options.etcdPort).
func etcdURL(kwokctlConfig string) (string, error) {
	b, err := os.ReadFile(kwokctlConfig)
	if err != nil {
		return "", fmt.Errorf("the sandbox's kwokctl configuration: %w", err)
	}
	m := regexp.MustCompile(`(?m)^\s*etcdPort:\s*(\d+)\s*$`).FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("no etcdPort in %s", kwokctlConfig)
	}
	return "http://127.0.0.1:" + string(m[1]), nil
}

// kwokWorkdir is where kwokctl keeps the sandbox's clusters, as hack/sandbox.sh chooses it.
func kwokWorkdir() string {
	if d := os.Getenv("KWOK_WORKDIR"); d != "" {
		return d
	}
	if d := os.Getenv("BERTH_CACHE"); d != "" {
		return filepath.Join(d, "kwok")
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "berth", "kwok")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "berth", "kwok")
}

// controller is berth-controller running as a process of its own against the sandbox.
type controller struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startController starts cmd/manager with its default tuning (QPS, workers), no leader
// election (a restarted process reconciles at once, as a new leader would after the lease)
// and no listeners, so several can run one after another without port clashes.
func startController(t testing.TB, extra ...string) *controller {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(sb.dir, "manager.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{
		"--metrics-bind-address=0", "--health-probe-bind-address=0",
		"--registry-url=", "--registry-events-bind-address=0",
		"--zap-log-level=error",
	}, extra...)
	cmd := exec.Command(sb.managerBin, args...) //nolint:gosec,noctx // the binary built by TestMain
	cmd.Env = append(os.Environ(), "KUBECONFIG="+sb.kubeconfig)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	c := &controller{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			logTail(t, filepath.Join(sb.dir, "manager.log"), 100)
		}
	})
	return c
}

// logTail logs the last n lines of a file, so a failed run keeps the controller's errors
// (the sandbox's folder is removed with it).
func logTail(t testing.TB, name string, n int) {
	t.Helper()
	b, err := os.ReadFile(name) //nolint:gosec // the sandbox's own log
	if err != nil {
		t.Logf("reading %s: %v", name, err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	t.Logf("last %d lines of %s:\n%s", min(n, len(lines)), name, strings.Join(lines[max(0, len(lines)-n):], "\n"))
}

// kill ends the process with SIGKILL (no cleanup, as a crashed or evicted pod) and waits.
func (c *controller) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
}

// stop ends the process with SIGTERM (SIGKILL after 10 s); it may be called more than once.
func (c *controller) stop() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		c.kill()
	}
}

// rssMiB reads the process's resident set size from /proc.
func (c *controller) rssMiB() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("reading the controller's status: %w", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("parsing %q: %w", line, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, errors.New("no VmRSS in /proc/<pid>/status")
}
