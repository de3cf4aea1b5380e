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
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// quickKCMQPS is kube-controller-manager's client QPS (burst twice it) while it only
// prepares or winds down a reference that is not timed: the Deployment's 1,000 Pods before
// P3's rollout, its P2 scale-in from 3,000. At its default QPS 20 those take 50 s and about
// 146 s of a `make bench` and measure nothing.
const quickKCMQPS = 500

// The sandbox's kube-controller-manager, as kwokctl started it: kwokctl has no command to
// restart one component with other flags, so the benchmark stops the process (its pid file)
// and starts the same command line itself, writing the new pid there so that the sandbox's
// deletion stops it as it would kwokctl's own.
type controllerManager struct {
	// args is the command line kwokctl started (the binary first).
	args []string
	// proc is the process the benchmark started in its place, if any.
	proc *controller
}

// kcm is the sandbox's kube-controller-manager once the benchmark has restarted it.
var kcm *controllerManager

func kcmPath(elem ...string) string {
	return filepath.Join(append([]string{kwokWorkdir(), "clusters", sb.name}, elem...)...)
}

// quickControllerManager restarts the sandbox's kube-controller-manager with its client QPS
// raised to quickKCMQPS and returns the func that restarts it with its defaults again; call
// it before anything is timed. Both restarts run without leader election (the stopped
// process's lease would otherwise hold the new one back for its 15 s); nothing else changes,
// so every timed reference still runs kube-controller-manager's defaults. The returned func
// waits until the Deployment and ReplicaSet controllers have synced at least once, so call
// it while a Deployment exists.
func quickControllerManager(t *testing.T) func() {
	t.Helper()
	restartControllerManager(t, false, fmt.Sprintf("--kube-api-qps=%d", quickKCMQPS), fmt.Sprintf("--kube-api-burst=%d", 2*quickKCMQPS))
	restored := false
	restore := func() {
		if !restored {
			restored = true
			restartControllerManager(t, true)
		}
	}
	t.Cleanup(restore)
	return restore
}

// restartControllerManager stops the sandbox's kube-controller-manager, starts its command
// line again with --leader-elect=false and extra, and waits until it serves its metrics and,
// with synced, until the Deployment and ReplicaSet controllers have processed an item each
// (their caches synced, their workers running: a Deployment must exist).
func restartControllerManager(t *testing.T, synced bool, extra ...string) {
	t.Helper()
	start := time.Now()
	if kcm == nil {
		b, err := os.ReadFile(kcmPath("pids", "kube-controller-manager.pid"))
		if err != nil {
			t.Fatalf("kube-controller-manager's pid file: %v", err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("kube-controller-manager's pid file: %v", err)
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			t.Fatalf("kube-controller-manager's command line: %v", err)
		}
		kcm = &controllerManager{args: strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")}
		if err := stopPid(pid); err != nil {
			t.Fatal(err)
		}
	} else {
		kcm.proc.stop()
	}
	before, err := kcmWorkCounts()
	if err == nil {
		t.Fatalf("kube-controller-manager still answers after it was stopped: %v", before)
	}

	logf, err := os.OpenFile(kcmPath("logs", "kube-controller-manager.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	args := append(append(kcm.args[1:len(kcm.args):len(kcm.args)], "--leader-elect=false"), extra...)
	cmd := exec.Command(kcm.args[0], args...) //nolint:gosec,noctx // kwokctl's own command line for it
	cmd.Dir = kcmPath()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // as kwokctl's: not in the test's process group
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("starting kube-controller-manager: %v", err)
	}
	kcm.proc = &controller{cmd: cmd, exited: make(chan struct{})}
	exited := kcm.proc.exited
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	if err := os.WriteFile(kcmPath("pids", "kube-controller-manager.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, time.Minute, func() error {
		select {
		case <-exited:
			return errors.New("kube-controller-manager exited")
		default:
		}
		counts, err := kcmWorkCounts()
		if err != nil || !synced {
			return err
		}
		for _, q := range []string{"deployment", "replicaset"} {
			if counts[q] == 0 {
				return fmt.Errorf("kube-controller-manager's %s controller has processed nothing yet", q)
			}
		}
		return nil
	})
	t.Logf("kube-controller-manager restarted (%s) in %s", strings.Join(append([]string{"--leader-elect=false"}, extra...), " "), time.Since(start).Round(10*time.Millisecond))
}

// stopPid ends kwokctl's process (not the benchmark's child: it is gone when /proc no
// longer lists it, or lists it as a zombie).
func stopPid(pid int) error {
	gone := func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		// The state follows the command's closing parenthesis.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		return i < 0 || strings.HasPrefix(s[i+1:], " Z")
	}
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		_ = syscall.Kill(pid, sig)
		deadline := time.Now().Add(time.Duration(30/(i+1)) * time.Second)
		for time.Now().Before(deadline) {
			if gone() {
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return fmt.Errorf("kube-controller-manager (pid %d) does not exit", pid)
}

// kcmMetricsClient reads kube-controller-manager's /metrics: its serving certificate is
// self-signed, on loopback.
var kcmMetricsClient = &http.Client{
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // see above
	Timeout:   5 * time.Second,
}

var workCount = regexp.MustCompile(`(?m)^workqueue_work_duration_seconds_count\{name="([a-z]+)"\} (\d+)$`)

// kcmWorkCounts reads how many items each of kube-controller-manager's work queues has
// processed, from its /metrics (served to anyone, as kwokctl configures it).
func kcmWorkCounts() (map[string]int, error) {
	port := ""
	for _, a := range kcm.args {
		if v, ok := strings.CutPrefix(a, "--secure-port="); ok {
			port = v
		}
	}
	if port == "" {
		return nil, errors.New("kube-controller-manager has no --secure-port")
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://127.0.0.1:"+port+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := kcmMetricsClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("kube-controller-manager's metrics: %s", resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, m := range workCount.FindAllStringSubmatch(string(body), -1) {
		counts[m[1]], _ = strconv.Atoi(m[2])
	}
	return counts, nil
}
