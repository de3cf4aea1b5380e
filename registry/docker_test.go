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

package registry

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// dockerEngine starts Debian's dockerd (docker.io) for the test: root, vfs storage, no
// bridge and no iptables (nothing runs: it only pulls and pushes), its own data folders and
// socket; loopback registries are plain HTTP to it by default. It returns a docker CLI on that
// socket, logged in with token (none: anonymous).
func dockerEngine(t *testing.T) (daemonSocket string) {
	t.Helper()
	dockerd, err := exec.LookPath("dockerd")
	if err != nil {
		t.Fatal("dockerd is needed (apt-get install docker.io)")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatal("the docker CLI is needed (apt-get install docker.io)")
	}
	dir, err := os.MkdirTemp("", "berth-dockerd-") // short: a socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "docker.sock")
	log, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), dockerd, "--storage-driver", "vfs", "--iptables=false", "--ip6tables=false", "--bridge=none",
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"), "--pidfile", filepath.Join(dir, "docker.pid"), "-H", "unix://"+sock)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			t.Logf("dockerd stopped: %v", err)
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Logf("dockerd killed after 20s: %v", <-done)
		}
		_ = log.Close()
		_ = os.RemoveAll(dir)
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.CommandContext(context.Background(), "docker", "-H", "unix://"+sock, "version", "--format", "{{.Server.Version}}").CombinedOutput()
		if err == nil {
			t.Logf("dockerd %s", strings.TrimSpace(string(out)))
			return sock
		}
		select {
		case err := <-done:
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("dockerd exited: %v\n%s", err, tail(string(b), 2000))
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("dockerd not ready in 60s: %s\n%s", out, tail(string(b), 2000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestDocker: the docker engine (Debian's docker.io) logs in (the token protocol), pushes an
// image, pulls it back, pulls one platform of a multi-arch index, pulls anonymously where an Allow * policy allows it, and is refused
// without credentials where nothing does.
func TestDocker(t *testing.T) {
	s := needSuite(t)
	sock := dockerEngine(t)
	s.namespaces(t, "docker-a")
	owner := s.serviceAccount(t, "docker-a", "owner", "berth-registry-poweruser")
	s.repository(t, "docker-a", "app", ecrv1alpha1.Mutable)
	s.repository(t, "docker-a", "public", ecrv1alpha1.Mutable)
	docker := newCLI(t, "docker", owner.token)
	docker.args = []string{"-H", "unix://" + sock}

	img := randomImage(t)
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(docker.home, "image.tar")
	if err := tarball.WriteToFile(archive, name.MustParseReference("berth.test/load:v1"), img); err != nil {
		t.Fatal(err)
	}
	docker.must(t, "", "load", "-i", archive)
	docker.must(t, owner.token, "login", "-u", "berth", "--password-stdin", s.addr)
	for _, repo := range []string{"docker-a/app", "docker-a/public"} {
		docker.must(t, "", "tag", "berth.test/load:v1", s.addr+"/"+repo+":v1")
		docker.must(t, "", "push", s.addr+"/"+repo+":v1")
		if got := s.imageConfig(t, owner.token, repo, "v1"); got != cfg.String() {
			t.Errorf("%s:v1 as docker pushed it has config %s, want %s", repo, got, cfg)
		}
	}
	// pulled pulls repo:v1 afresh (the local copy removed first) and checks the image.
	pulled := func(repo string) error {
		ref := s.addr + "/" + repo + ":v1"
		_, _ = docker.run("", "rmi", ref)
		if _, err := docker.run("", "pull", "-q", ref); err != nil {
			return err
		}
		if id := strings.TrimSpace(docker.must(t, "", "image", "inspect", "--format", "{{.Id}}", ref)); id != cfg.String() {
			return fmt.Errorf("docker pulled image %s, want %s", id, cfg)
		}
		return nil
	}
	if err := pulled("docker-a/app"); err != nil {
		t.Errorf("docker pull with a login: %v", err)
	}

	// One platform of a multi-arch index.
	arm := s.pushMultiArch(t, owner.token, "docker-a/app")
	docker.must(t, "", "pull", "-q", "--platform", "linux/arm64", s.addr+"/docker-a/app:multi")
	if id := strings.TrimSpace(docker.must(t, "", "image", "inspect", "--format", "{{.Id}}", s.addr+"/docker-a/app:multi")); id != arm {
		t.Errorf("docker pull --platform linux/arm64 gave image %s, want %s", id, arm)
	}

	docker.must(t, "", "logout", s.addr)
	s.policy(t, "docker-a", "public", "public", ecrv1alpha1.EffectAllow, ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Name: "*"}, pullActions...)
	eventually(t, 5*time.Second, func() error { return pulled("docker-a/public") })
	err = pulled("docker-a/app")
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unauthorized") {
		t.Errorf("anonymous docker pull of a private repository: %v, want unauthorized", err)
	}
}
