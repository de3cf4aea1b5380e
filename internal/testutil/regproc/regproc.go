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

// Package regproc runs registries as child processes for tests and benchmarks that must
// stop them the hard way (SIGKILL, SIGTERM during a push) or compare them with the stock
// distribution registry: it builds berth-registry, writes the kubeconfig it runs with,
// starts a binary with its output in a log file, waits for readiness and stops it.
package regproc

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/s3test"
)

// BuildBerth builds ./cmd/registry into dir and returns the binary's path. CGO is off, as
// in the image and as hack/build-stock-registry.sh builds the reference registry.
func BuildBerth(dir string) (string, error) {
	bin := filepath.Join(dir, "berth-registry")
	build := exec.CommandContext(context.Background(), "go", "build", "-o", bin, "./cmd/registry") //nolint:gosec // the output is the caller's folder
	build.Dir = envtest.RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building ./cmd/registry: %w: %s", err, out)
	}
	return bin, nil
}

// WriteKubeconfig writes a kubeconfig for the API server of cfg with a bearer token (the
// registry's ServiceAccount token) to path.
func WriteKubeconfig(path string, cfg *rest.Config, token string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["berth-registry"] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "berth-registry"}
	kc.CurrentContext = "envtest"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("writing the registry's kubeconfig: %w", err)
	}
	return nil
}

// Process is a registry running as a child process.
type Process struct {
	Name string
	Cmd  *exec.Cmd
	// Addr serves the registry API; MetricsAddr (berth-registry only) its metrics.
	Addr, MetricsAddr string
	LogPath           string
	// Done is closed when the process has ended; Err is then what Wait returned.
	Done chan struct{}
	Err  error
}

// Start starts bin with args (and env added to this process's environment), its output
// in a log file of the test's temporary folder. The test's cleanup kills it if it still
// runs, and prints the end of its log if the test failed.
func Start(t testing.TB, name, bin string, args []string, addr string, env ...string) *Process {
	t.Helper()
	logFile, err := os.CreateTemp(t.TempDir(), name+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), bin, args...) //nolint:gosec // binaries the test built
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &Process{Name: name, Cmd: cmd, Addr: addr, LogPath: logFile.Name(), Done: make(chan struct{})}
	go func() {
		p.Err = cmd.Wait()
		_ = logFile.Close()
		close(p.Done)
	}()
	t.Cleanup(func() {
		_ = p.Stop(syscall.SIGKILL, 0)
		if t.Failed() {
			t.Logf("last lines of %s's log:\n%s", name, p.LogTail(40))
		}
	})
	return p
}

// WaitReady polls url until it answers 200, for at most two minutes.
func (p *Process) WaitReady(t testing.TB, url string) {
	t.Helper()
	p.WaitStatus(t, url, http.StatusOK)
}

// WaitStatus polls url until it answers status, for at most two minutes.
func (p *Process) WaitStatus(t testing.TB, url string, status int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-p.Done:
			t.Fatalf("%s ended before it was ready: %v\n%s", p.Name, p.Err, p.LogTail(40))
		default:
		}
		if HTTPStatus(url) == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within 2 minutes\n%s", p.Name, p.LogTail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// HTTPStatus is the status a GET of url answers, 0 when there is no answer.
func HTTPStatus(url string) int {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// Stop sends sig and waits up to grace for the process to end, then kills it. It returns
// how long the process took to end.
func (p *Process) Stop(sig syscall.Signal, grace time.Duration) time.Duration {
	start := time.Now()
	select {
	case <-p.Done:
		return 0
	default:
	}
	_ = p.Cmd.Process.Signal(sig)
	select {
	case <-p.Done:
	case <-time.After(grace):
		_ = p.Cmd.Process.Kill()
		<-p.Done
	}
	return time.Since(start)
}

// LogTail is the end of the process's log, for failure messages.
func (p *Process) LogTail(lines int) string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// Berth is one berth-registry process: the flags the tests and benchmarks share.
type Berth struct {
	// Bin is BuildBerth's binary; Kubeconfig the registry's identity (WriteKubeconfig).
	Bin, Kubeconfig string
	// Addr serves the registry; empty picks a free loopback port.
	Addr string
	// Storage are the storage flags (FilesystemFlags, S3Flags), Env more environment (the
	// S3 credentials).
	Storage, Env []string
	// InstanceID names the replica in its Leases and logs; empty is "test".
	InstanceID string
	// DrainTimeout bounds the wait for requests in flight at shutdown; 0 is 10 s.
	DrainTimeout time.Duration
	// Extra are more flags.
	Extra []string
}

// HTTPSecret is the upload-state secret every test replica shares, so that an upload
// survives a restart and may continue on another replica.
const HTTPSecret = "registry-test-secret" //nolint:gosec // a test's shared secret

// StartBerth runs berth-registry on loopback with authentication against the API server of
// b.Kubeconfig, tag and collector Leases in berth-system (as deployed), metrics on a free
// port, and waits until /readyz answers 200 (its informers have synced).
func StartBerth(t testing.TB, b Berth) *Process {
	t.Helper()
	p := StartBerthUnready(t, b)
	p.WaitReady(t, "http://"+p.Addr+"/readyz")
	return p
}

// StartBerthUnready is StartBerth without the wait, for a replica that restarts while
// others serve.
func StartBerthUnready(t testing.TB, b Berth) *Process {
	t.Helper()
	if b.Addr == "" {
		b.Addr = envtest.FreeLoopbackAddr(t)
	}
	if b.DrainTimeout == 0 {
		b.DrainTimeout = 10 * time.Second
	}
	metrics := envtest.FreeLoopbackAddr(t)
	args := append([]string{"--listen-address=" + b.Addr, "--metrics-bind-address=" + metrics}, b.Storage...)
	args = append(args,
		"--kubeconfig="+b.Kubeconfig,
		"--http-secret="+HTTPSecret,
		"--drain-timeout="+b.DrainTimeout.String(),
		"--instance-id="+cmp.Or(b.InstanceID, "test"),
		"--lease-namespace=berth-system",
	)
	args = append(args, b.Extra...)
	p := Start(t, "berth-registry-"+cmp.Or(b.InstanceID, "test"), b.Bin, args, b.Addr, b.Env...)
	p.MetricsAddr = metrics
	return p
}

// FilesystemFlags store in folder dir.
func FilesystemFlags(dir string) []string {
	return []string{"--storage-driver=filesystem", "--storage-root=" + dir}
}

// S3Flags store in store's bucket under the key prefix root; env are the credentials.
func S3Flags(store *s3test.Store, root string) (flags, env []string) {
	return []string{"--storage-driver=s3", "--storage-root=" + root, "--storage-s3-bucket=" + store.Bucket,
			"--storage-s3-region=" + store.Region, "--storage-s3-endpoint=" + store.Endpoint, "--storage-s3-force-path-style"},
		[]string{"AWS_ACCESS_KEY_ID=" + store.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + store.SecretAccessKey}
}

// StartReplicas runs n replicas of b, each on a loopback port of its own and named
// replica-<i>, and waits until each is ready. It returns each replica's Berth, to start it
// again on its address, and the processes.
func StartReplicas(t testing.TB, b Berth, n int) ([]Berth, []*Process) {
	t.Helper()
	replicas := make([]Berth, n)
	procs := make([]*Process, n)
	for i := range replicas {
		replicas[i] = b
		replicas[i].Addr = envtest.FreeLoopbackAddr(t)
		replicas[i].InstanceID = "replica-" + strconv.Itoa(i)
		procs[i] = StartBerth(t, replicas[i])
	}
	return replicas, procs
}

// Addrs are the replicas' addresses.
func Addrs(replicas []Berth) []string {
	out := make([]string, len(replicas))
	for i, r := range replicas {
		out[i] = r.Addr
	}
	return out
}
