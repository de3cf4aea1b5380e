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

package gc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/distribution/distribution/v3"
	_ "github.com/distribution/distribution/v3/manifest/ocischema" // registers the OCI manifest type
	"github.com/distribution/distribution/v3/registry/storage"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// The collector's tests run distribution's own storage (the code berth-registry serves) on
// the filesystem driver, writing as the registry's handlers do: every commit and manifest
// push journaled first, as Berth's repository middleware does.

type store struct {
	t      *testing.T
	ctx    context.Context
	root   string
	driver storagedriver.StorageDriver
	ns     distribution.Namespace
}

func newStore(t *testing.T) *store {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	d := filesystem.New(filesystem.DriverParameters{RootDirectory: root, MaxThreads: 100})
	ns, err := storage.NewRegistry(ctx, d, storage.EnableDelete)
	if err != nil {
		t.Fatal(err)
	}
	return &store{t: t, ctx: ctx, root: root, driver: d, ns: ns}
}

func (s *store) repo(name string) distribution.Repository {
	s.t.Helper()
	named, err := reference.WithName(name)
	if err != nil {
		s.t.Fatal(err)
	}
	r, err := s.ns.Repository(s.ctx, named)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// pushBlob uploads content to repo as a client's POST, PATCH, PUT would.
func (s *store) pushBlob(repo string, content []byte) v1.Descriptor {
	s.t.Helper()
	desc := v1.Descriptor{MediaType: v1.MediaTypeImageLayer, Digest: digest.FromBytes(content), Size: int64(len(content))}
	if err := Record(s.ctx, s.driver, desc.Digest); err != nil {
		s.t.Fatal(err)
	}
	w, err := s.repo(repo).Blobs(s.ctx).Create(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := w.Write(content); err != nil {
		s.t.Fatal(err)
	}
	if _, err := w.Commit(s.ctx, v1.Descriptor{Digest: desc.Digest}); err != nil {
		s.t.Fatal(err)
	}
	return desc
}

// mount links a blob of from into repo (a cross-repository mount).
func (s *store) mount(repo, from string, d digest.Digest) error {
	if err := Record(s.ctx, s.driver, d); err != nil {
		return err
	}
	named, _ := reference.WithName(from)
	canonical, _ := reference.WithDigest(named, d)
	_, err := s.repo(repo).Blobs(s.ctx).Create(s.ctx, storage.WithMountFrom(canonical))
	var mounted distribution.ErrBlobMounted
	if errors.As(err, &mounted) {
		return nil
	}
	return fmt.Errorf("mount did not happen: %w", err)
}

// pushManifest stores an untagged OCI manifest of config and layers in repo.
func (s *store) pushManifest(repo string, config v1.Descriptor, layers ...v1.Descriptor) (digest.Digest, error) {
	config.MediaType = v1.MediaTypeImageConfig
	payload, err := json.Marshal(v1.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageManifest, Config: config, Layers: layers})
	if err != nil {
		return "", err
	}
	m, _, err := distribution.UnmarshalManifest(v1.MediaTypeImageManifest, payload)
	if err != nil {
		return "", err
	}
	ds := []digest.Digest{digest.FromBytes(payload), config.Digest}
	for _, l := range layers {
		ds = append(ds, l.Digest)
	}
	if err := Record(s.ctx, s.driver, ds...); err != nil {
		return "", err
	}
	ms, err := s.repo(repo).Manifests(s.ctx)
	if err != nil {
		return "", err
	}
	return ms.Put(s.ctx, m)
}

func (s *store) deleteManifest(repo string, d digest.Digest) {
	s.t.Helper()
	ms, err := s.repo(repo).Manifests(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := ms.Delete(s.ctx, d); err != nil {
		s.t.Fatal(err)
	}
}

// has reports whether repo serves blob d (its link and the data).
func (s *store) has(repo string, d digest.Digest) bool {
	_, err := s.repo(repo).Blobs(s.ctx).Stat(s.ctx, d)
	return err == nil
}

// stored reports whether the blob's data is in the store at all.
func (s *store) stored(d digest.Digest) bool {
	_, err := s.driver.Stat(s.ctx, blobDataPath(d))
	return err == nil
}

func (s *store) collect(c *Collector) Report {
	s.t.Helper()
	c.Driver = s.driver
	rep, err := c.Run(s.ctx)
	if err != nil {
		s.t.Fatalf("Run: %v", err)
	}
	return rep
}

func content(s string) []byte { return bytes.Repeat([]byte(s), 100) }

// grace is the tests' grace period: long enough that nothing written during a test gets
// past it on a loaded machine (a 300 ms grace did in CI: a write-log entry aged past it
// between Record and the mark), so age moves what is stored back in time instead of sleeping.
const grace = time.Hour

// age makes everything stored so far older than the grace period: it sets the modification
// time of each file in the store (blobs, links, write-log entries) twice the grace period back,
// the times the collector reads.
func (s *store) age() {
	s.t.Helper()
	past := time.Now().Add(-2 * grace)
	err := filepath.WalkDir(s.root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		return os.Chtimes(path, past, past)
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

func TestCollectorRemovesOnlyUnreferencedBlobs(t *testing.T) {
	s := newStore(t)
	cfg := s.pushBlob("ns/a", content("config"))
	shared := s.pushBlob("ns/a", content("shared"))
	only := s.pushBlob("ns/a", content("only-a"))
	kept, err := s.pushManifest("ns/a", cfg, shared)
	if err != nil {
		t.Fatal(err)
	}
	gone, err := s.pushManifest("ns/a", cfg, shared, only)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []digest.Digest{cfg.Digest, shared.Digest} {
		if err := s.mount("ns/b", "ns/a", d); err != nil {
			t.Fatal(err)
		}
	}
	untagged, err := s.pushManifest("ns/b", cfg, shared)
	if err != nil {
		t.Fatal(err)
	}
	s.deleteManifest("ns/a", gone)
	s.age()

	dry := s.collect(&Collector{Grace: grace, DryRun: true})
	if dry.BlobsRemoved != 2 || !s.stored(only.Digest) || !s.stored(gone) {
		t.Fatalf("dry run: reported %d blobs removed (want 2: the deleted manifest and its own layer), and must remove nothing", dry.BlobsRemoved)
	}
	rep := s.collect(&Collector{Grace: grace})
	if rep.BlobsRemoved != 2 || rep.BytesFreed != dry.BytesFreed {
		t.Errorf("run removed %d blobs, %d bytes; want the dry run's 2 and %d", rep.BlobsRemoved, rep.BytesFreed, dry.BytesFreed)
	}
	if s.stored(only.Digest) || s.stored(gone) {
		t.Errorf("the deleted manifest or its own layer is still stored")
	}
	if s.has("ns/a", only.Digest) {
		t.Errorf("ns/a still serves the collected layer")
	}
	for _, d := range []digest.Digest{cfg.Digest, shared.Digest, kept, untagged} {
		if !s.stored(d) {
			t.Errorf("referenced blob %s was removed", d)
		}
	}
	if !s.has("ns/b", shared.Digest) || !s.has("ns/a", shared.Digest) {
		t.Errorf("a referenced layer is no longer served by a repository whose manifest references it")
	}
	if got := rep.Repositories["ns/a"].StorageBytes; got != cfg.Size+shared.Size+manifestSize(t, s, kept) {
		t.Errorf("ns/a storage bytes = %d", got)
	}
	again := s.collect(&Collector{Grace: grace})
	if again.BlobsRemoved != 0 || again.LinksRemoved != 0 {
		t.Errorf("a second run removed %d blobs and %d links, want none", again.BlobsRemoved, again.LinksRemoved)
	}
}

func manifestSize(t *testing.T, s *store, d digest.Digest) int64 {
	t.Helper()
	fi, err := s.driver.Stat(s.ctx, blobDataPath(d))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestCollectorDropsLinksOfDeletedImagesInEachRepository(t *testing.T) {
	s := newStore(t)
	cfg := s.pushBlob("ns/a", content("config"))
	layer := s.pushBlob("ns/a", content("layer"))
	if _, err := s.pushManifest("ns/a", cfg, layer); err != nil {
		t.Fatal(err)
	}
	if err := s.mount("ns/b", "ns/a", layer.Digest); err != nil {
		t.Fatal(err)
	}
	if err := s.mount("ns/b", "ns/a", cfg.Digest); err != nil {
		t.Fatal(err)
	}
	other, err := s.pushManifest("ns/b", cfg, layer)
	if err != nil {
		t.Fatal(err)
	}
	s.deleteManifest("ns/b", other) // ns/b's image is deleted; ns/a still has the blobs
	s.age()
	rep := s.collect(&Collector{Grace: grace})
	if s.has("ns/b", layer.Digest) || !s.has("ns/a", layer.Digest) || !s.stored(layer.Digest) {
		t.Errorf("after the run: ns/b serves the layer %v (want false), ns/a %v (want true)", s.has("ns/b", layer.Digest), s.has("ns/a", layer.Digest))
	}
	if rep.Repositories["ns/b"].LinksRemoved != 2 {
		t.Errorf("ns/b links removed = %d, want 2", rep.Repositories["ns/b"].LinksRemoved)
	}
}

func TestCollectorKeepsRecentWrites(t *testing.T) {
	s := newStore(t)
	paused := s.pushBlob("ns/a", content("paused")) // the manifest comes later
	rep := s.collect(&Collector{Grace: grace})
	if !s.has("ns/a", paused.Digest) || rep.KeptRecent != 1 {
		t.Fatalf("a blob pushed within the grace period was collected (kept recent %d)", rep.KeptRecent)
	}
	// Without a grace period it goes: the test that proves the grace period is what keeps it.
	s.collect(&Collector{Grace: 0})
	if s.stored(paused.Digest) {
		t.Fatalf("with no grace period the unreferenced blob stayed")
	}
	if _, err := s.pushManifest("ns/a", paused); err == nil {
		t.Fatalf("a manifest referencing a collected blob was accepted")
	}
}

func TestCollectorSeesManifestsPushedDuringTheSweep(t *testing.T) {
	s := newStore(t)
	cfg := s.pushBlob("ns/a", content("config"))
	layer := s.pushBlob("ns/a", content("layer"))
	first, err := s.pushManifest("ns/a", cfg, layer)
	if err != nil {
		t.Fatal(err)
	}
	s.deleteManifest("ns/a", first) // lifecycle expiry: the blobs are unreferenced and old
	s.age()
	var pushed digest.Digest
	c := &Collector{Grace: grace, BeforeSweep: func() {
		// After the mark, before the sweep: the same blobs are pushed again in a new image.
		var err error
		if pushed, err = s.pushManifest("ns/a", cfg, layer, s.pushBlob("ns/a", content("new"))); err != nil {
			t.Errorf("pushing during the sweep: %v", err)
		}
	}}
	rep := s.collect(c)
	if rep.KeptJournaled < 2 {
		t.Errorf("kept journaled = %d, want the config and the layer", rep.KeptJournaled)
	}
	for _, d := range []digest.Digest{cfg.Digest, layer.Digest} {
		if !s.has("ns/a", d) {
			t.Errorf("%s, referenced by a manifest pushed during the sweep, was collected", d)
		}
	}
	if !s.stored(pushed) {
		t.Errorf("the manifest pushed during the sweep was collected")
	}
}

func TestWriterWaitsForASweepBatchNamingItsDigest(t *testing.T) {
	s := newStore(t)
	d := digest.FromString("x")
	other := digest.FromString("y")
	if err := s.driver.PutContent(s.ctx, sweepPath, sweepRecord(time.Now(), []string{d.String()})); err != nil {
		t.Fatal(err)
	}
	if err := Record(s.ctx, s.driver, other); err != nil {
		t.Fatalf("a digest the batch does not name waited: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- Record(s.ctx, s.driver, other, d) }()
	select {
	case err := <-done:
		t.Fatalf("Record returned (%v) while the sweep record names its digest", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := s.driver.Delete(s.ctx, sweepPath); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Record after the batch: %v", err)
	}
	// A record being written (empty so far on the filesystem driver) is a batch starting.
	if err := s.driver.PutContent(s.ctx, sweepPath, nil); err != nil {
		t.Fatal(err)
	}
	if busy, err := sweeping(s.ctx, s.driver, []digest.Digest{other}); err != nil || !busy {
		t.Fatalf("an empty sweep record: busy %v, %v; want busy", busy, err)
	}
	// A record left by a collector that died long ago is ignored.
	if err := s.driver.PutContent(s.ctx, sweepPath, sweepRecord(time.Now().Add(-time.Hour), []string{d.String()})); err != nil {
		t.Fatal(err)
	}
	if err := Record(s.ctx, s.driver, d); err != nil {
		t.Fatalf("Record with a stale sweep record: %v", err)
	}
}

func TestParseRepositoryPath(t *testing.T) {
	hex := digest.FromString("x").Encoded()
	for _, tc := range []struct {
		path string
		repo string
		kind linkKind
	}{
		{reposRoot + "/team/app/_layers/sha256/" + hex + "/link", "team/app", layerLink},
		{reposRoot + "/team/app/_manifests/revisions/sha256/" + hex + "/link", "team/app", revisionLink},
		{reposRoot + "/team/app/_manifests/tags/v1/current/link", "", otherPath},
		{reposRoot + "/team/app/_layers/sha256/nothex/link", "", otherPath},
		{reposRoot + "/_layers/sha256/" + hex + "/link", "", otherPath},
	} {
		repo, kind, _ := parseRepositoryPath(tc.path)
		if repo != tc.repo || kind != tc.kind {
			t.Errorf("parseRepositoryPath(%s) = %q, %v; want %q, %v", tc.path, repo, kind, tc.repo, tc.kind)
		}
	}
}

func TestCollectorReadsTheWriteLog(t *testing.T) {
	s := newStore(t)
	old := s.pushBlob("ns/a", content("old"))
	s.age()
	// A writer journals the old blob (a manifest push referencing it is under way): the
	// mark's read of the write log keeps it, before any sweep batch is needed.
	if err := Record(s.ctx, s.driver, old.Digest); err != nil {
		t.Fatal(err)
	}
	rep := s.collect(&Collector{Grace: grace})
	if !s.has("ns/a", old.Digest) || rep.KeptRecent != 1 || rep.KeptJournaled != 0 {
		t.Fatalf("a blob journaled before the mark: kept %v, kept recent %d, kept by the sweep's check %d", s.has("ns/a", old.Digest), rep.KeptRecent, rep.KeptJournaled)
	}
	s.age()
	if rep := s.collect(&Collector{Grace: grace}); rep.BlobsRemoved != 1 || s.stored(old.Digest) {
		t.Fatalf("once its journal entry is past the grace period the blob goes (removed %d)", rep.BlobsRemoved)
	}
	if _, err := s.driver.Stat(s.ctx, writtenPath(old.Digest)); !IsPathNotFound(err) {
		t.Errorf("the write-log entry of a removed blob is left: %v", err)
	}
}
