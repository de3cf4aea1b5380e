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
// cluster, no kwok node) joined by a real kubelet, kube-proxy, containerd and CoreDNS on this
// machine (hack/node.sh), and berth-controller and berth-registry as `make run` starts them
// (internal/testutil/realnode). Task images are pushed with skopeo, pulled by containerd with
// the pull Secret Berth manages, and run by runc: health checks, exit codes, pull failures and
// logs are the real thing. Run with `make test-node` (root; one real node per machine).
package node

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/realnode"
)

// nodeName is the real node's name.
const nodeName = realnode.NodeName

var (
	// sb is the sandbox with the real node and Berth.
	sb *realnode.Sandbox
	// k8s is a client of the sandbox (not cached).
	k8s client.Client
	// registryHost is berth-registry's host:port, on loopback.
	registryHost string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	start := time.Now()
	var err error
	// TokenRequest's shortest lifetime: pull Secrets are renewed after 5 minutes.
	sb, err = realnode.Start("BERTH_MANAGER_ARGS=--pull-token-lifetime=10m")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "sandbox, real node and Berth up in %s\n", time.Since(start).Round(time.Second))
	k8s, registryHost = sb.Client, sb.RegistryHost
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, sb.Logs())
	}
	// A run killed before its Pods were torn down leaves the bridge plugin's NAT rules behind
	// (CNI DEL never ran); hack/node.sh down must remove them too, and Stop reports any left.
	if err := plantKilledRunRules(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	if err := sb.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	return code
}

// plantKilledRunRules adds what the bridge plugin's ADD makes for one Pod sandbox (a chain and
// the POSTROUTING rule into it, commented with the network's name and the sandbox's id), as a
// run killed mid-test leaves it.
func plantKilledRunRules() error {
	const chain = "CNI-6b696c6c65642d72756e2d30" // the plugin's form: CNI- and 24 hex digits
	comment := `name: "berth-node" id: "killed-run"`
	for _, args := range [][]string{
		{"-N", chain},
		{"-A", chain, "-d", "10.244.250.0/24", "-m", "comment", "--comment", comment, "-j", "ACCEPT"},
		{"-A", chain, "!", "-d", "224.0.0.0/4", "-m", "comment", "--comment", comment, "-j", "MASQUERADE"},
		{"-A", "POSTROUTING", "-s", "10.244.250.254/32", "-m", "comment", "--comment", comment, "-j", chain},
	} {
		if out, err := exec.Command("iptables", append([]string{"-t", "nat"}, args...)...).CombinedOutput(); err != nil {
			return fmt.Errorf("iptables -t nat %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// script runs hack/<args[0]> with the sandbox's environment.
func script(timeout time.Duration, args ...string) (string, error) {
	return sb.Script(timeout, args...)
}

// command runs name with the sandbox's environment in the repository's top folder.
func command(timeout time.Duration, stdin []byte, name string, args ...string) (string, error) {
	return sb.Command(timeout, stdin, name, args...)
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

func tool(name string) string { return realnode.Tool(name) }

func freePorts(n int) (int, error) { return envtest.FreePorts(n) }

func tail(s string, n int) string { return realnode.Tail(s, n) }
