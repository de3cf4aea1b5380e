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

package client

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/berth-dev/berth/internal/taskdef"
)

// manifestMediaTypes are what a digest lookup accepts, so the registry answers with the digest
// of the manifest or index a kubelet would pull, not a converted one.
var manifestMediaTypes = strings.Join([]string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}, ", ")

// Digests resolves bundled-registry image tags to manifest digests when a deployment
// starts (ECS versionConsistency), through the registry API as the controller's identity. Other
// images, references already by digest and tags the registry does not hold are left out and
// used as written; a registry it cannot reach is an error, so the deployment is retried rather
// than started with moving tags.
type Digests struct {
	// Client reaches the registry.
	Client *Client
	// Host is the registry's host[:port] in image references.
	Host string
}

// Resolve maps each image of the bundled registry that is referenced by tag to the digest the
// tag points to now (the Service controller's DigestResolver).
func (d *Digests) Resolve(ctx context.Context, _ string, images []string) (map[string]string, error) {
	out := map[string]string{}
	for _, img := range images {
		repo, tag, ok := splitRegistryImage(img, d.Host)
		if !ok {
			continue
		}
		digest, err := d.Client.ManifestDigest(ctx, repo, tag)
		if err != nil {
			return nil, err
		}
		if digest != "" {
			out[img] = digest
		}
	}
	return out, nil
}

// splitRegistryImage splits host/<repository>:<tag> into repository and tag (latest when
// none) when host is the image's registry and the reference has no digest.
func splitRegistryImage(image, host string) (repo, tag string, ok bool) {
	ref, err := taskdef.ParseImage(image)
	if err != nil || !ref.From(host) || ref.Digest != "" {
		return "", "", false
	}
	return ref.Repository, cmp.Or(ref.Tag, "latest"), true
}

// ManifestDigest returns the digest tag points to in repo, "" when the registry holds no such
// repository or tag.
func (c *Client) ManifestDigest(ctx context.Context, repo, tag string) (string, error) {
	resp, err := c.doWith(ctx, http.MethodHead, "/v2/"+repo+"/manifests/"+tag, map[string]string{"Accept": manifestMediaTypes})
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", nil
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("%w: resolving %s:%s: %s", ErrUnavailable, repo, tag, resp.Status)
	}
	digest := resp.Header.Get("Docker-Content-Digest")
	if !strings.HasPrefix(digest, "sha256:") {
		return "", fmt.Errorf("%w: resolving %s:%s: no digest in the answer", ErrUnavailable, repo, tag)
	}
	return digest, nil
}
