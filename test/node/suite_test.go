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

// Package node runs Berth with a real node: the sandbox's control plane (hack/sandbox.sh
// cluster, no kwok node) joined by a real kubelet, kube-proxy and containerd on this machine
// (hack/node.sh), and berth-controller and berth-registry as `make run` starts them. Task images
// are pushed with skopeo, pulled by containerd with the pull Secret Berth manages, and run by
// runc: health checks, exit codes, pull failures and logs are the real thing. Run with
// `make test-node` (root; one real node per machine).
package node

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/scheme"
	"github.com/berth-dev/berth/internal/testutil/envtest"
)

// nodeName is the real node's name (hack/node.sh's default).
const nodeName = "berth-node-1"

var (
	// k8s is a client of the sandbox (not cached).
	k8s client.Client
	// registryHost is berth-registry's host:port, on loopback: containerd reaches it over
	// plain HTTP without configuration.
	registryHost string
	// env is the environment of the scripts and tools (KUBECONFIG, the sandbox's settings).
	env []string
	// root is the repository's top folder.
	root string
	// nodeDir is hack/node.sh's state folder.
	nodeDir string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "make test-node runs a kubelet and containerd: it needs root")
		return 1
	}
	root = envtest.RepoRoot()
	dir, err := os.MkdirTemp("", "berth-node-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bin")
	if err := build(bin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	port, err := freePorts(5)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	registryHost = "127.0.0.1:" + strconv.Itoa(port)
	sandboxDir := filepath.Join(dir, "sandbox")
	nodeDir = filepath.Join(dir, "node")
	kubeconfig := filepath.Join(sandboxDir, "kubeconfig")
	env = append(os.Environ(),
		fmt.Sprintf("BERTH_SANDBOX_NAME=berth-node-%d", os.Getpid()),
		"BERTH_SANDBOX_DIR="+sandboxDir,
		"BERTH_SANDBOX_PORTS="+strconv.Itoa(port),
		"BERTH_SANDBOX_BIN="+bin,
		// The real node only: every task runs for real.
		"BERTH_ZONES=",
		"BERTH_NODE_DIR="+nodeDir,
		"BERTH_NODE_NAME="+nodeName,
		// CoreDNS: Pods of the chart resolve the registry's and the controller's Services.
		"BERTH_NODE_DNS=1",
		"KUBECONFIG="+kubeconfig,
		// TokenRequest's shortest lifetime: pull Secrets are renewed after 5 minutes.
		"BERTH_MANAGER_ARGS=--pull-token-lifetime=10m",
	)
	code := 1
	start := time.Now()
	defer func() {
		if code != 0 {
			for _, f := range []string{"sandbox/manager.log", "sandbox/registry.log", "node/logs/kubelet.log", "node/logs/containerd.log"} {
				if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil { //nolint:gosec // our temp dir
					fmt.Fprintf(os.Stderr, "--- %s (last 3000 bytes)\n%s\n", f, tail(string(b), 3000))
				}
			}
		}
		for _, step := range [][]string{{"sandbox.sh", "stop-components"}, {"node.sh", "down"}, {"sandbox.sh", "down"}} {
			if out, err := script(5*time.Minute, step...); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n%s", strings.Join(step, " "), err, out)
			}
		}
		if err := leftovers(dir); err != nil {
			fmt.Fprintln(os.Stderr, "hack/node.sh down left something behind:", err)
			code = 1
		}
	}()
	for _, step := range [][]string{{"sandbox.sh", "cluster"}, {"node.sh", "up"}, {"sandbox.sh", "rbac"}, {"sandbox.sh", "components"}} {
		if out, err := script(10*time.Minute, step...); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n%s", strings.Join(step, " "), err, out)
			return code
		}
	}
	fmt.Fprintf(os.Stderr, "sandbox, real node and Berth up in %s\n", time.Since(start).Round(time.Second))
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return code
	}
	s, err := scheme.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return code
	}
	if k8s, err = client.New(cfg, client.Options{Scheme: s}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return code
	}
	code = m.Run()
	return code
}

// build builds bin/manager and bin/registry as `make build` does.
func build(bin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin+"/", "./cmd/manager", "./cmd/registry")
	cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the components: %w\n%s", err, out)
	}
	return nil
}

// script runs hack/<args[0]> with the suite's environment.
func script(timeout time.Duration, args ...string) (string, error) {
	return command(timeout, nil, filepath.Join(root, "hack", args[0]), args[1:]...)
}

// command runs name with the suite's environment in the repository's top folder.
func command(timeout time.Duration, stdin []byte, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...) //nolint:gosec // the suite's own tools
	cmd.Dir, cmd.Env = root, env
	cmd.WaitDelay = 10 * time.Second
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w", filepath.Base(name), strings.Join(redact(args), " "), err)
	}
	return string(out), nil
}

// kubectl runs the cached kubectl against the sandbox and fails the test on error.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := command(2*time.Minute, nil, tool("kubectl"), args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// apply applies YAML documents in namespace ns.
func apply(t *testing.T, ns, manifest string) {
	t.Helper()
	if out, err := command(2*time.Minute, []byte(manifest), tool("kubectl"), "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// tool is a cached binary of hack/setup-tools.sh (kubectl), or name from PATH.
func tool(name string) string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return filepath.Join(dir, name)
		}
	}
	return name
}

// freePorts finds n consecutive free loopback ports below Linux's ephemeral range.
func freePorts(n int) (int, error) {
	for range 50 {
		var lc net.ListenConfig
		base := 20000 + rand.IntN(12000-n)
		ok := true
		for p := base; ok && p < base+n; p++ {
			l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			_ = l.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free ports", n)
}

// leftovers lists what hack/node.sh down must have removed: processes of the node, mounts
// under its folders, its bridge, its iptables chains.
func leftovers(dir string) error {
	var found []string
	out, _ := exec.Command("ps", "-eo", "args").Output()
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.Contains(line, dir) || strings.Contains(line, "/run/berth-node") {
			found = append(found, "process: "+line)
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	for line := range strings.SplitSeq(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 4 && (strings.HasPrefix(f[4], dir) || strings.HasPrefix(f[4], "/run/berth-node")) {
			found = append(found, "mount: "+f[4])
		}
	}
	if _, err := net.InterfaceByName("berthcni0"); err == nil {
		found = append(found, "network device berthcni0")
	}
	if nat, err := exec.Command("iptables", "-t", "nat", "-S").Output(); err == nil {
		for line := range strings.SplitSeq(string(nat), "\n") {
			if strings.Contains(line, "berth-node") || strings.Contains(line, "KUBE-SERVICES") {
				found = append(found, "iptables: "+line)
			}
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("%s", strings.Join(found, "\n"))
	}
	return nil
}

// redact hides the tokens of skopeo's credentials in failure messages.
func redact(args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if strings.HasPrefix(a, "berth:") {
			out[i] = "berth:<token>"
		}
	}
	return out
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
