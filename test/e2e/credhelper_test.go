//go:build e2e

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

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"k8s.io/apimachinery/pkg/types"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/logintoken"
)

// checkCredentialHelper pushes as the sandbox's own admin (a client certificate user, no
// ServiceAccount) with no login step: `kubectl berth login` configures docker-credential-berth
// in a Docker config, the helper gets a registry token through the kubeconfig from the
// AuthorizationToken API, and skopeo and crane push through it. It also speaks the helper
// protocol directly, and checks `kubectl berth get-login-password`.
func (sb *installSandbox) checkCredentialHelper(image string) {
	bin := sb.bin
	t := sb.t
	t.Helper()
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "DOCKER_CONFIG": filepath.Join(home, ".docker"), "XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_CACHE_HOME": filepath.Join(home, ".cache"), "XDG_RUNTIME_DIR": filepath.Join(home, "run"),
		"KUBECONFIG": sb.kubecf, "PATH": bin + string(os.PathListSeparator) + os.Getenv("PATH"),
	} {
		t.Setenv(k, v)
	}
	berthCLI := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "kubectl-berth"), append(args, "--kubeconfig", sb.kubecf, "-n", samplesNamespace)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl berth %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if pw := strings.TrimSpace(berthCLI("get-login-password", "--duration", "1h")); !strings.HasPrefix(pw, "berth1.") {
		t.Errorf("get-login-password printed %q, want a registry token", pw)
	}
	if out := berthCLI("login", sb.host); !strings.Contains(out, "Login Succeeded") || !strings.Contains(out, "kwok-admin") {
		t.Errorf("kubectl berth login said %q", out)
	}
	dockerConfig, err := logintoken.DockerConfigPath()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dockerConfig); err != nil || !strings.Contains(string(b), `"`+sb.host+`": "berth"`) { //nolint:gosec // the test's own file
		t.Fatalf("Docker config after login: %s, %v", b, err)
	}

	helper := func(action, input string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "docker-credential-berth"), action)
		cmd.Stdin = strings.NewReader(input)
		out, err := cmd.Output()
		return string(out), err
	}
	out, err := helper("get", sb.host)
	if err != nil {
		t.Fatalf("docker-credential-berth get: %v: %s", err, out)
	}
	var cred struct{ ServerURL, Username, Secret string }
	if err := json.Unmarshal([]byte(out), &cred); err != nil || cred.ServerURL != sb.host || cred.Username != "berth" || !strings.HasPrefix(cred.Secret, "berth1.") {
		t.Fatalf("get answered %q (%v): want the server, user berth and a registry token", out, err)
	}
	again, err := helper("get", "https://"+sb.host+"/v2/")
	if err != nil || !strings.Contains(again, cred.Secret) {
		t.Errorf("a second get (the server as a URL) did not reuse the cached token: %v %q", err, again)
	}
	if out, err := helper("list", ""); err != nil || !strings.Contains(out, `"`+sb.host+`":"berth"`) {
		t.Errorf("list = %q, %v: want %s", out, err, sb.host)
	}
	if out, err := helper("store", `{"ServerURL":"x","Username":"u","Secret":"s"}`); err == nil || !strings.Contains(out, "kubeconfig") {
		t.Errorf("store = %q, %v: want a refusal that says credentials come from the kubeconfig", out, err)
	}
	if _, err := helper("erase", sb.host); err != nil {
		t.Errorf("erase: %v", err)
	}
	if out, err := helper("get", sb.host); err != nil || strings.Contains(out, cred.Secret) {
		t.Errorf("get after erase = %v, reused the erased token: %v", err, strings.Contains(out, cred.Secret))
	}

	// skopeo reads ~/.docker/config.json's credHelpers: no --dest-creds.
	ref := sb.host + "/" + samplesNamespace + "/web-app"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	skopeo := exec.CommandContext(ctx, "skopeo", "copy", "--dest-tls-verify=false", "oci:"+image+":v1", "docker://"+ref+":admin-skopeo")
	skopeo.Env = os.Environ() // the HOME and PATH above, not the sandbox's
	if out, err := skopeo.CombinedOutput(); err != nil {
		t.Fatalf("skopeo push through the credential helper: %v\n%s", err, out)
	}
	// crane (go-containerregistry's default keychain) too.
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref+":admin-crane", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		t.Fatalf("crane push through the credential helper: %v", err)
	}
	sb.poll(time.Minute, func() error {
		repo := &ecrv1alpha1.Repository{}
		if err := sb.c.Get(context.Background(), types.NamespacedName{Namespace: samplesNamespace, Name: "web-app"}, repo); err != nil {
			return err
		}
		tags := map[string]bool{}
		for _, im := range repo.Status.Images {
			for _, tg := range im.Tags {
				tags[tg] = true
			}
		}
		if !tags["admin-skopeo"] || !tags["admin-crane"] {
			return fmt.Errorf("repository status tags %v, want admin-skopeo and admin-crane", tags)
		}
		return nil
	})
}
