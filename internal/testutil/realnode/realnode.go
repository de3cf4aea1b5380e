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

// Package realnode starts what the real-node tests (test/node) and benchmarks (bench/node)
// run against: the sandbox's control plane with no kwok node (hack/sandbox.sh cluster), a
// real kubelet, kube-proxy, containerd and CoreDNS on this machine (hack/node.sh), and
// berth-registry and berth-controller as `make run` starts them — and removes all of it,
// checking that the node left nothing behind. Root only; one real node per machine.
package realnode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/scheme"
	"github.com/berth-dev/berth/internal/testutil/envtest"
)

// NodeName is the real node's name.
const NodeName = "berth-node-1"

// sandboxScript is hack/sandbox.sh, the sandbox's script.
const sandboxScript = "sandbox.sh"

// Sandbox is a running sandbox with the real node and Berth.
type Sandbox struct {
	// Root is the repository's top folder.
	Root string
	// Dir holds the sandbox, the node's state and the components' binaries.
	Dir string
	// RegistryHost is berth-registry's host:port on loopback: containerd reaches it over
	// plain HTTP without configuration.
	RegistryHost string
	// Env is the environment of the scripts and tools (KUBECONFIG, the sandbox's settings).
	Env []string
	// Client reads and writes the sandbox (not cached).
	Client client.Client
}

// Start builds the components and brings everything up. extraEnv adds to the scripts'
// environment (e.g. BERTH_MANAGER_ARGS). On error, what was started is removed.
func Start(extraEnv ...string) (sb *Sandbox, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("a real node runs a kubelet and containerd: it needs root")
	}
	sb = &Sandbox{Root: envtest.RepoRoot()}
	if sb.Dir, err = os.MkdirTemp("", "berth-node-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, sb.Stop())
			sb = nil
		}
	}()
	bin := filepath.Join(sb.Dir, "bin")
	if err := sb.build(bin); err != nil {
		return sb, err
	}
	port, err := envtest.FreePorts(6)
	if err != nil {
		return sb, err
	}
	sb.RegistryHost = "127.0.0.1:" + strconv.Itoa(port)
	sandboxDir := filepath.Join(sb.Dir, "sandbox")
	sb.Env = append(os.Environ(),
		fmt.Sprintf("BERTH_SANDBOX_NAME=berth-node-%d", os.Getpid()),
		"BERTH_SANDBOX_DIR="+sandboxDir,
		"BERTH_SANDBOX_PORTS="+strconv.Itoa(port),
		"BERTH_SANDBOX_BIN="+bin,
		// The real node only: every task runs for real.
		"BERTH_ZONES=",
		"BERTH_NODE_DIR="+filepath.Join(sb.Dir, "node"),
		"BERTH_NODE_NAME="+NodeName,
		// CoreDNS: Pods resolve Service names (the chart's components).
		"BERTH_NODE_DNS=1",
		"KUBECONFIG="+filepath.Join(sandboxDir, "kubeconfig"),
	)
	sb.Env = append(sb.Env, extraEnv...)
	for _, step := range [][]string{{sandboxScript, "cluster"}, {"node.sh", "up"}, {sandboxScript, "rbac"}, {sandboxScript, "components"}} {
		if out, err := sb.Script(10*time.Minute, step...); err != nil {
			return sb, fmt.Errorf("%w\n%s", err, out)
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(sandboxDir, "kubeconfig"))
	if err != nil {
		return sb, err
	}
	s, err := scheme.New()
	if err != nil {
		return sb, err
	}
	sb.Client, err = client.New(cfg, client.Options{Scheme: s})
	return sb, err
}

// Logs is the end of the components' and the node's logs, for failure reports.
func (sb *Sandbox) Logs() string {
	var b strings.Builder
	for _, f := range []string{"sandbox/manager.log", "sandbox/registry.log", "node/logs/kubelet.log", "node/logs/kube-proxy.log", "node/logs/containerd.log"} {
		if data, err := os.ReadFile(filepath.Join(sb.Dir, f)); err == nil { //nolint:gosec // our temp dir
			fmt.Fprintf(&b, "--- %s (last 3000 bytes)\n%s\n", f, Tail(string(data), 3000))
		}
	}
	return b.String()
}

// Stop removes everything Start made and reports what the node left behind.
func (sb *Sandbox) Stop() error {
	var errs []error
	if sb.Env != nil {
		for _, step := range [][]string{{sandboxScript, "stop-components"}, {"node.sh", "down"}, {sandboxScript, "down"}} {
			if out, err := sb.Script(5*time.Minute, step...); err != nil {
				errs = append(errs, fmt.Errorf("%w\n%s", err, out))
			}
		}
		if err := leftovers(sb.Dir); err != nil {
			errs = append(errs, fmt.Errorf("hack/node.sh down left something behind: %w", err))
		}
	}
	errs = append(errs, os.RemoveAll(sb.Dir))
	return errors.Join(errs...)
}

// build builds bin/manager, bin/registry and bin/kubectl-berth as `make build` does.
func (sb *Sandbox) build(bin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin+"/", "./cmd/manager", "./cmd/registry", "./cmd/kubectl-berth") //nolint:gosec // our own temp folder
	cmd.Dir, cmd.Env = sb.Root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the components: %w\n%s", err, out)
	}
	return nil
}

// Script runs hack/<args[0]> with the sandbox's environment.
func (sb *Sandbox) Script(timeout time.Duration, args ...string) (string, error) {
	return sb.Command(timeout, nil, filepath.Join(sb.Root, "hack", args[0]), args[1:]...)
}

// Command runs name with the sandbox's environment in the repository's top folder, stdin
// (when not nil) as its input, and returns its combined output.
func (sb *Sandbox) Command(timeout time.Duration, stdin []byte, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...) //nolint:gosec // the harness's own tools
	cmd.Dir, cmd.Env = sb.Root, sb.Env
	cmd.WaitDelay = 10 * time.Second
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w", filepath.Base(name), strings.Join(Redact(args), " "), err)
	}
	return string(out), nil
}

// Tool is a cached binary of hack/setup-tools.sh (kubectl, helm), or name from PATH.
func Tool(name string) string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil { //nolint:gosec // a tool name of the harness, in the tool cache
			return filepath.Join(dir, name)
		}
	}
	return name
}

// leftovers lists what hack/node.sh down must have removed: processes of the node, mounts
// under its folders, the kubelet's cgroups, its bridge, its iptables chains and rules.
func leftovers(dir string) error {
	var found []string
	ctx := context.Background()
	out, _ := exec.CommandContext(ctx, "ps", "-eo", "args").Output()
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
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods")
	if _, err := os.Stat("/sys/fs/cgroup/kubepods"); err == nil {
		cgroups = append(cgroups, "/sys/fs/cgroup/kubepods")
	}
	for _, c := range cgroups {
		found = append(found, "cgroup: "+c)
	}
	if _, err := net.InterfaceByName("berthcni0"); err == nil {
		found = append(found, "network device berthcni0")
	}
	for _, table := range []string{"nat", "filter"} {
		rules, err := exec.CommandContext(ctx, "iptables", "-t", table, "-S").Output() //nolint:gosec // table is one of two constants
		if err != nil {
			continue
		}
		for line := range strings.SplitSeq(string(rules), "\n") {
			if strings.Contains(line, "berth-node") || strings.Contains(line, "KUBE-SERVICES") {
				found = append(found, "iptables -t "+table+": "+line)
			}
		}
	}
	if len(found) > 0 {
		return errors.New(strings.Join(found, "\n"))
	}
	return nil
}

// Redact hides the tokens of skopeo's credentials in failure messages.
func Redact(args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if strings.HasPrefix(a, "berth:") {
			out[i] = "berth:<token>"
		}
	}
	return out
}

// Tail is the end of s, at most n bytes.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
