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

package envtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// registryManifests are the kustomize manifests that give berth-registry its identity and the
// three registry ClusterRoles: installing these files (not copies) tests them too.
var registryManifests = []string{
	"config/rbac/registry_reader_role.yaml",
	"config/rbac/registry_poweruser_role.yaml",
	"config/rbac/registry_admin_role.yaml",
	"config/rbac/registry_login_role.yaml",
	"config/registry/service_account.yaml",
	"config/registry/cluster_role.yaml",
	"config/registry/cluster_role_binding.yaml",
	"config/registry/lease_role.yaml",
	"config/registry/lease_role_binding.yaml",
	"config/registry/token_role.yaml",
}

// InstallRegistryIdentity creates namespace berth-system, the registry's ServiceAccount,
// RBAC (tag leases in berth-system included) and the reader, poweruser and admin ClusterRoles from config/, and returns a 24-hour
// token of the registry's ServiceAccount: what a test runs berth-registry as, so that the
// registry gets exactly the permissions the manifests grant it.
func InstallRegistryIdentity(ctx context.Context, c client.Client, kube kubernetes.Interface) (string, error) {
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "berth-system"}}); err != nil {
		return "", fmt.Errorf("creating namespace berth-system: %w", err)
	}
	root := RepoRoot()
	for _, f := range registryManifests {
		if err := ApplyFile(ctx, c, filepath.Join(root, f)); err != nil {
			return "", err
		}
	}
	tr, err := kube.CoreV1().ServiceAccounts("berth-system").CreateToken(ctx, "berth-registry",
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](24 * 3600)}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting the registry's token: %w", err)
	}
	return tr.Status.Token, nil
}

// ApplyFile creates every object of a manifest of one or more YAML documents.
func ApplyFile(ctx context.Context, c client.Client, path string) error {
	data, err := os.ReadFile(path) //nolint:gosec // the repository's own manifests
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	for doc := range strings.SplitSeq(string(data), "\n---") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if err := c.Create(ctx, u); err != nil {
			return fmt.Errorf("creating %s %s from %s: %w", u.GetKind(), u.GetName(), path, err)
		}
	}
	return nil
}
