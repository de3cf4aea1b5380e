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
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	appsv1 "k8s.io/api/apps/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/s3test"
	"github.com/berth-dev/berth/registry/options"
)

// TestS3StorageOnSeaweedFS runs the registry as the chart configures it for
// registry.storage.type=s3 (its container args and credential variables, rendered by helm)
// against SeaweedFS on loopback: concurrent pushes, one image with a 24 MiB layer (a
// multipart upload in the s3 driver), pulls back by digest, the blobs found in the bucket
// through the filer, a second registry on the same bucket serving every image (no state
// outside the object store), a delete, and an online garbage collection that frees the
// deleted image's blobs in the bucket.
func TestS3StorageOnSeaweedFS(t *testing.T) {
	s := needSuite(t)
	store := s3test.Start(t)
	args, env := chartRegistryContainer(t,
		"--set", "registry.storage.type=s3",
		"--set", "registry.storage.s3.bucket="+store.Bucket,
		"--set", "registry.storage.s3.region="+store.Region,
		"--set", "registry.storage.s3.endpoint="+store.Endpoint,
		"--set", "registry.storage.s3.forcePathStyle=true",
		"--set", "registry.storage.s3.rootDirectory=/berth",
		"--set", "registry.storage.s3.credentialsSecret.name=registry-s3")
	rendered := options.DefaultOptions()
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	options.BindFlags(fs, &rendered)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("the chart's registry args %q: %v", args, err)
	}
	if rendered.Storage.Driver != options.DriverS3 || rendered.Storage.S3.Bucket != store.Bucket || !rendered.Storage.S3.ForcePathStyle {
		t.Fatalf("storage options from the chart: %+v", rendered.Storage)
	}
	// The chart's storage; the Pod's ports, token API and identity are not this test's.
	opts := testOptions()
	opts.Storage = rendered.Storage
	// Collections only when the test asks, with a grace period shorter than the test.
	opts.GC.Interval.Duration, opts.GC.TriggerDelay.Duration, opts.GC.GracePeriod.Duration = 0, time.Hour, 2*time.Second
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if env[name] != "registry-s3" {
			t.Fatalf("the chart sets %s from Secret %q, want registry-s3", name, env[name])
		}
	}
	t.Setenv("AWS_ACCESS_KEY_ID", store.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", store.SecretAccessKey)

	s.namespaces(t, "s3-a")
	builder := s.serviceAccount(t, "s3-a", "builder", "berth-registry-poweruser")
	admin := s.serviceAccount(t, "s3-a", "admin", "berth-registry-admin")
	s.repository(t, "s3-a", "app", ecrv1alpha1.Mutable)
	log := testr.NewWithOptions(t, testr.Options{Verbosity: 0})
	first, err := New(opts, s.registryConfig)
	if err != nil {
		t.Fatal(err)
	}
	addr, stopFirst, err := serveOn(first, opts.Addr, log)
	if err != nil {
		t.Fatal(err)
	}

	// Eight images of two layers pushed at once by four clients; one has 24 MiB layers.
	type pushed struct {
		tag    string
		digest v1.Hash
	}
	var (
		mu     sync.Mutex
		images []pushed
		wg     sync.WaitGroup
	)
	started := time.Now()
	for w := range 4 {
		wg.Go(func() {
			for i := range 2 {
				size := int64(512 << 10)
				if w == 0 && i == 0 {
					size = 24 << 20
				}
				img, err := random.Image(size, 2)
				if err != nil {
					t.Error(err)
					return
				}
				tag := fmt.Sprintf("w%d-%d", w, i)
				if err := push(refAt(addr, "s3-a/app", tag), img, builder.token); err != nil {
					t.Errorf("push %s: %v", tag, err)
					return
				}
				d, _ := img.Digest()
				mu.Lock()
				images = append(images, pushed{tag, d})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("8 images (55 MiB of layers) pushed to SeaweedFS in %v", time.Since(started).Round(time.Millisecond))
	for _, im := range images {
		if d, err := pull(refAt(addr, "s3-a/app", im.tag), builder.token); err != nil || d != im.digest {
			t.Errorf("pull %s: %v, %v (want %v)", im.tag, d, err, im.digest)
		}
	}
	blobs, size := store.Objects(t, "berth/docker/registry/v2/blobs")
	if blobs < 8*3 || size < 24<<20 {
		t.Errorf("the bucket holds %d blob objects, %d bytes; want at least 24 (8 images of 2 layers and a config) and the 24 MiB layer", blobs, size)
	}
	t.Logf("bucket: %d blob objects, %d bytes", blobs, size)

	// A second registry on the same bucket (nothing kept outside the object store).
	stopFirst()
	second, err := New(opts, s.registryConfig)
	if err != nil {
		t.Fatal(err)
	}
	addr2, stopSecond, err := serveOn(second, opts.Addr, log)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		closeClientConnections()
		stopSecond()
	}()
	for _, im := range images {
		if d, err := pull(refAt(addr2, "s3-a/app", im.tag), builder.token); err != nil || d != im.digest {
			t.Errorf("pull %s from the second registry: %v, %v (want %v)", im.tag, d, err, im.digest)
		}
	}
	// Delete the image with the 24 MiB layers, and collect: its blobs leave the bucket, and
	// every other image still pulls.
	big := slices.IndexFunc(images, func(p pushed) bool { return p.tag == "w0-0" })
	ref, err := name.ParseReference(refAt(addr2, "s3-a/app", images[big].digest.String()), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Delete(ref, remoteOptions(admin.token)...); err != nil {
		t.Fatalf("deleting %s: %v", ref, err)
	}
	if _, err := pull(ref.String(), builder.token); err == nil {
		t.Errorf("the deleted manifest still pulls")
	}
	time.Sleep(opts.GC.GracePeriod.Duration)
	rep, err := second.CollectGarbage(t.Context())
	if err != nil {
		t.Fatalf("garbage collection on S3: %v", err)
	}
	after, sizeAfter := store.Objects(t, "berth/docker/registry/v2/blobs")
	t.Logf("collection on SeaweedFS: %d blobs removed, %d bytes freed in %v; bucket %d -> %d blob objects, %d -> %d bytes",
		rep.BlobsRemoved, rep.BytesFreed, rep.Duration.Round(time.Millisecond), blobs, after, size, sizeAfter)
	if rep.BlobsRemoved < 2 || rep.BytesFreed < 48<<20 || size-sizeAfter < 48<<20 {
		t.Errorf("collection removed %d blobs (%d bytes; bucket %d -> %d bytes), want the deleted image's two 24 MiB layers and its config",
			rep.BlobsRemoved, rep.BytesFreed, size, sizeAfter)
	}
	for i, im := range images {
		if i == big {
			continue
		}
		if d, err := pull(refAt(addr2, "s3-a/app", im.tag), builder.token); err != nil || d != im.digest {
			t.Errorf("pull %s after the collection: %v, %v (want %v)", im.tag, d, err, im.digest)
		}
	}
}

// chartRegistryContainer renders the chart with the given helm flags and returns the
// registry container's args and, for each env variable taken from a Secret, the Secret's name.
func chartRegistryContainer(t *testing.T, flags ...string) (args []string, secretEnv map[string]string) {
	t.Helper()
	out, err := envtest.RunTool(t, "helm", append([]string{"template", "berth", filepath.Join(envtest.RepoRoot(), "charts", "berth"), "--namespace", "berth-system"}, flags...)...)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var d appsv1.Deployment
		if err := yaml.Unmarshal(doc, &d); err != nil || d.Kind != "Deployment" {
			continue
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			if c.Name != "registry" {
				continue
			}
			secretEnv = map[string]string{}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					secretEnv[e.Name] = e.ValueFrom.SecretKeyRef.Name
				}
			}
			return c.Args, secretEnv
		}
	}
	t.Fatal("the chart renders no registry container")
	return nil, nil
}
