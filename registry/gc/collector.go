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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/go-logr/logr"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/internal/blobgc"
)

// DefaultBatchSize is how many digests one sweep batch removes under one sweep record.
const DefaultBatchSize = 64

// ErrLeaseHeld says another replica's collector is running; this run did nothing.
var ErrLeaseHeld = errors.New("another replica's garbage collection holds the Lease")

// Collector removes unreferenced blobs and layer links from one store.
type Collector struct {
	// Driver is the registry's storage driver (the App's own).
	Driver storagedriver.StorageDriver
	// Grace keeps whatever was written this recently, referenced or not.
	Grace time.Duration
	// DryRun reports what a run would remove and removes nothing.
	DryRun bool
	// Lease, when set, keeps one collector running at a time across replicas.
	Lease *Lease
	// Cache, when set, is the blob-descriptor cache the registry answers from: what the
	// collector removes is removed from it too, in the same sweep batch.
	Cache DescriptorCache
	// BatchSize is how many digests one sweep batch names (DefaultBatchSize when 0).
	BatchSize int
	// BeforeSweep, when set, runs between the decision and the sweep: a seam for the tests
	// that write while a collection runs. Production leaves it nil.
	BeforeSweep func()
}

// Report says what one run found and removed (or, dry, would remove).
type Report struct {
	// DryRun says nothing was removed: the counts are what would have been.
	DryRun bool
	// Duration is how long the run took.
	Duration time.Duration
	// Blobs and Bytes are the blobs in the store when the run started and their size.
	Blobs int
	Bytes int64
	// BlobsRemoved and BytesFreed are the blobs removed and their size.
	BlobsRemoved int
	BytesFreed   int64
	// LinksRemoved counts the repositories' layer links removed.
	LinksRemoved int
	// KeptRecent counts unreferenced blobs kept because they are within the grace period.
	KeptRecent int
	// KeptJournaled counts digests of the plan kept because a writer journaled them during
	// the sweep.
	KeptJournaled int
	// Repositories are, per repository, what it holds and what the run freed of it.
	Repositories map[string]RepositoryReport
}

// RepositoryReport is one repository's share of a run.
type RepositoryReport struct {
	// StorageBytes is the size of the distinct blobs its manifests reference, after the run.
	StorageBytes int64
	// LinksRemoved counts its layer links removed.
	LinksRemoved int
	// BytesFreed is the size of the removed blobs it had links to.
	BytesFreed int64
}

// Run collects once: mark, decide, sweep. The logger comes from ctx.
func (c *Collector) Run(ctx context.Context) (Report, error) {
	start := time.Now()
	rep := Report{DryRun: c.DryRun}
	if c.Lease != nil {
		runCtx, release, held, err := c.Lease.acquire(ctx)
		if err != nil {
			return rep, err
		}
		if !held {
			return rep, ErrLeaseHeld
		}
		defer release()
		ctx = runCtx
	}
	err := c.run(ctx, &rep)
	rep.Duration = time.Since(start)
	return rep, err
}

func (c *Collector) run(ctx context.Context, rep *Report) error {
	log := logr.FromContextOrDiscard(ctx)
	// A sweep record left by a collector that died names nothing any more: this one holds
	// the Lease (or is the only one).
	if err := c.Driver.Delete(ctx, sweepPath); err != nil && !IsPathNotFound(err) {
		return fmt.Errorf("removing a stale sweep record: %w", err)
	}
	markStart, err := c.storeTime(ctx)
	if err != nil {
		return err
	}
	blobs, err := c.blobs(ctx)
	if err != nil {
		return err
	}
	rep.Blobs = len(blobs)
	for _, b := range blobs {
		rep.Bytes += b.Size
	}
	links, referenced, err := c.mark(ctx)
	if err != nil {
		return err
	}
	written, err := c.journal(ctx)
	if err != nil {
		return err
	}
	plan := blobgc.Decide(blobgc.Input{Blobs: blobs, Links: links, Referenced: referenced, Written: written, MarkStart: markStart, Grace: c.Grace})
	rep.KeptRecent = plan.KeptRecent
	log.V(1).Info("garbage collection marked", "blobs", len(blobs), "links", len(links), "repositories", len(referenced),
		"removableBlobs", len(plan.Blobs), "removableLinks", len(plan.Links), "keptRecent", plan.KeptRecent)
	if c.BeforeSweep != nil {
		c.BeforeSweep()
	}

	removedBlobs := make(map[string]blobgc.Blob)
	var removedLinks []blobgc.Link
	if c.DryRun {
		for _, b := range plan.Blobs {
			removedBlobs[b.Digest] = b
		}
		removedLinks = plan.Links
	} else {
		removedBlobs, removedLinks, err = c.sweep(ctx, plan, written, blobs, links, rep)
	}
	for _, b := range removedBlobs {
		rep.BlobsRemoved++
		rep.BytesFreed += b.Size
	}
	rep.LinksRemoved = len(removedLinks)
	rep.Repositories = make(map[string]RepositoryReport, len(referenced))
	var left []blobgc.Blob
	for _, b := range blobs {
		if _, gone := removedBlobs[b.Digest]; !gone {
			left = append(left, b)
		}
	}
	for repo, n := range blobgc.StorageBytes(left, referenced) {
		rep.Repositories[repo] = RepositoryReport{StorageBytes: n}
	}
	for _, l := range removedLinks {
		r := rep.Repositories[l.Repository]
		r.LinksRemoved++
		r.BytesFreed += removedBlobs[l.Digest].Size
		rep.Repositories[l.Repository] = r
	}
	return err
}

// storeTime rewrites the run marker and reads its modification time: the store's clock, which
// blob, link and journal times are compared with.
func (c *Collector) storeTime(ctx context.Context) (time.Time, error) {
	if err := c.Driver.PutContent(ctx, runPath, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		return time.Time{}, fmt.Errorf("writing the garbage collection's run marker: %w", err)
	}
	fi, err := c.Driver.Stat(ctx, runPath)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the garbage collection's run marker: %w", err)
	}
	return fi.ModTime(), nil
}

// blobs lists every blob with its size and modification time.
func (c *Collector) blobs(ctx context.Context) ([]blobgc.Blob, error) {
	var out []blobgc.Blob
	err := c.Driver.Walk(ctx, blobsRoot, func(fi storagedriver.FileInfo) error {
		if fi.IsDir() || !strings.HasSuffix(fi.Path(), "/data") {
			return nil
		}
		parts := strings.Split(strings.TrimPrefix(fi.Path(), blobsRoot+"/"), "/")
		if len(parts) != 4 {
			return nil
		}
		// Anything else in the blob area is not a blob and left alone.
		if d := digest.NewDigestFromEncoded(digest.Algorithm(parts[0]), parts[2]); d.Validate() == nil {
			out = append(out, blobgc.Blob{Digest: d.String(), Size: fi.Size(), ModTime: fi.ModTime()})
		}
		return nil
	})
	if err != nil && !IsPathNotFound(err) {
		return nil, fmt.Errorf("listing blobs: %w", err)
	}
	return out, nil
}

// mark walks every repository: its layer links, and the references of its manifest revisions.
func (c *Collector) mark(ctx context.Context) ([]blobgc.Link, map[string]map[string]bool, error) {
	var (
		links     []blobgc.Link
		revisions []struct{ repo, path string }
	)
	referenced := make(map[string]map[string]bool)
	err := c.Driver.Walk(ctx, reposRoot, func(fi storagedriver.FileInfo) error {
		if fi.IsDir() {
			if skipDir(fi.Path()) {
				return storagedriver.ErrSkipDir
			}
			return nil
		}
		repo, kind, named := parseRepositoryPath(fi.Path())
		switch kind {
		case layerLink:
			target := named
			if named.Algorithm() != digest.SHA256 {
				t, err := c.readLink(ctx, fi.Path())
				if err != nil {
					return err
				}
				target = t
			}
			links = append(links, blobgc.Link{Repository: repo, Path: fi.Path(), Digest: target.String(), ModTime: fi.ModTime()})
		case revisionLink:
			revisions = append(revisions, struct{ repo, path string }{repo, fi.Path()})
		}
		return nil
	})
	if err != nil && !IsPathNotFound(err) {
		return nil, nil, fmt.Errorf("walking the repositories: %w", err)
	}
	refsOf := make(map[digest.Digest][]digest.Digest)
	for _, rev := range revisions {
		target, err := c.readLink(ctx, rev.path)
		if IsPathNotFound(err) {
			continue // deleted since the walk
		}
		if err != nil {
			return nil, nil, err
		}
		refs, ok := refsOf[target]
		if !ok {
			refs, err = c.references(ctx, target)
			if err != nil {
				return nil, nil, err
			}
			refsOf[target] = refs
		}
		m := referenced[rev.repo]
		if m == nil {
			m = make(map[string]bool)
			referenced[rev.repo] = m
		}
		m[target.String()] = true
		for _, d := range refs {
			m[d.String()] = true
		}
	}
	return links, referenced, nil
}

// readLink reads the canonical digest a link holds.
func (c *Collector) readLink(ctx context.Context, p string) (digest.Digest, error) {
	b, err := c.Driver.GetContent(ctx, p)
	if err != nil {
		return "", fmt.Errorf("reading link %s: %w", p, err)
	}
	d, err := digest.Parse(strings.TrimSpace(string(b)))
	if err != nil {
		return "", fmt.Errorf("link %s holds no digest: %w", p, err)
	}
	return d, nil
}

// maxManifestSize bounds what the collector reads as a manifest (distribution refuses larger).
const maxManifestSize = 4 << 20

// references are the digests a manifest refers to: its config, its layers and, for an index,
// its manifests. A referrer's subject is not among them (it is the subject that keeps the
// referrer, not the other way round). A manifest whose blob is gone or unreadable refers to
// nothing.
func (c *Collector) references(ctx context.Context, d digest.Digest) ([]digest.Digest, error) {
	fi, err := c.Driver.Stat(ctx, blobDataPath(d))
	if IsPathNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", d, err)
	}
	if fi.Size() > maxManifestSize {
		return nil, nil
	}
	b, err := c.Driver.GetContent(ctx, blobDataPath(d))
	if IsPathNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", d, err)
	}
	return manifestReferences(b), nil
}

// manifestReferences parses a manifest's references; what is not a JSON manifest (which
// distribution would not have stored) refers to nothing.
func manifestReferences(b []byte) []digest.Digest {
	var m struct {
		Config *struct {
			Digest digest.Digest `json:"digest"`
		} `json:"config"`
		Layers []struct {
			Digest digest.Digest `json:"digest"`
		} `json:"layers"`
		Manifests []struct {
			Digest digest.Digest `json:"digest"`
		} `json:"manifests"`
	}
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	var out []digest.Digest
	if m.Config != nil {
		out = append(out, m.Config.Digest)
	}
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	for _, x := range m.Manifests {
		out = append(out, x.Digest)
	}
	return out
}

// journal reads the write log: every digest's last write by the store's clock.
func (c *Collector) journal(ctx context.Context) (map[string]time.Time, error) {
	out := make(map[string]time.Time)
	err := c.Driver.Walk(ctx, writtenRoot, func(fi storagedriver.FileInfo) error {
		if fi.IsDir() {
			return nil
		}
		parts := strings.Split(strings.TrimPrefix(fi.Path(), writtenRoot+"/"), "/")
		if len(parts) != 3 {
			return nil
		}
		d := digest.NewDigestFromEncoded(digest.Algorithm(parts[0]), parts[2])
		if d.Validate() == nil {
			out[d.String()] = fi.ModTime()
		}
		return nil
	})
	if err != nil && !IsPathNotFound(err) {
		return nil, fmt.Errorf("reading the write log: %w", err)
	}
	return out, nil
}

// sweep removes the plan in batches, each under a sweep record, dropping digests journaled
// since the mark (journal.go). It also prunes write-log entries past the cutoff of digests
// the store no longer has at all. It returns what it removed.
func (c *Collector) sweep(ctx context.Context, plan blobgc.Plan, written map[string]time.Time, blobs []blobgc.Blob, links []blobgc.Link, rep *Report) (map[string]blobgc.Blob, []blobgc.Link, error) {
	blobOf := make(map[string]blobgc.Blob, len(plan.Blobs))
	for _, b := range plan.Blobs {
		blobOf[b.Digest] = b
	}
	linksOf := make(map[string][]blobgc.Link)
	for _, l := range plan.Links {
		linksOf[l.Digest] = append(linksOf[l.Digest], l)
	}
	// Write-log entries of digests with neither a blob nor a link protect nothing.
	present := make(map[string]bool, len(blobs)+len(links))
	for _, b := range blobs {
		present[b.Digest] = true
	}
	for _, l := range links {
		present[l.Digest] = true
	}
	digests := plan.Digests()
	prune := make(map[string]bool)
	for d, at := range written {
		if at.Before(plan.Cutoff) && !present[d] {
			prune[d] = true
			digests = append(digests, d)
		}
	}
	for d := range blobOf {
		prune[d] = true
	}

	removedBlobs := make(map[string]blobgc.Blob)
	var removedLinks []blobgc.Link
	size := c.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	for len(digests) > 0 {
		n := min(size, len(digests))
		batch := digests[:n]
		digests = digests[n:]
		if err := ctx.Err(); err != nil {
			return removedBlobs, removedLinks, fmt.Errorf("garbage collection stopped: %w", err)
		}
		err := c.sweepBatch(ctx, batch, plan.Cutoff, blobOf, linksOf, prune, removedBlobs, &removedLinks, rep)
		if err != nil {
			return removedBlobs, removedLinks, err
		}
	}
	return removedBlobs, removedLinks, nil
}

func (c *Collector) sweepBatch(ctx context.Context, batch []string, cutoff time.Time, blobOf map[string]blobgc.Blob, linksOf map[string][]blobgc.Link,
	prune map[string]bool, removedBlobs map[string]blobgc.Blob, removedLinks *[]blobgc.Link, rep *Report) (err error) {
	began := time.Now()
	if err := c.Driver.PutContent(ctx, sweepPath, sweepRecord(began, batch)); err != nil {
		return fmt.Errorf("writing the sweep record: %w", err)
	}
	defer func() {
		// A context already cancelled (a lost Lease) must not keep the record alive for
		// writers: it is removed regardless, and a stale one is ignored after sweepStaleAfter.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if derr := c.Driver.Delete(rctx, sweepPath); derr != nil && !IsPathNotFound(derr) {
			err = errors.Join(err, fmt.Errorf("removing the sweep record: %w", derr))
		}
	}()
	for _, s := range batch {
		d := digest.Digest(s)
		// Read the write log after the record: a writer that journaled d before the record
		// was written is seen here; one that journals it later waits for the record to go.
		fi, err := c.Driver.Stat(ctx, writtenPath(d))
		switch {
		case err == nil && !fi.ModTime().Before(cutoff):
			rep.KeptJournaled++
			continue
		case err != nil && !IsPathNotFound(err):
			return fmt.Errorf("reading the write log of %s: %w", d, err)
		}
		if time.Since(began) > maxBatchTime {
			return fmt.Errorf("a sweep batch took over %s: stopping", maxBatchTime)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("garbage collection stopped: %w", err)
		}
		// Links first: a blob must never be linked without its data.
		var repos []string
		for _, l := range linksOf[s] {
			if err := c.Driver.Delete(ctx, l.Path); err != nil && !IsPathNotFound(err) {
				return fmt.Errorf("removing layer link %s: %w", l.Path, err)
			}
			*removedLinks = append(*removedLinks, l)
			repos = append(repos, l.Repository)
		}
		b, blobGoes := blobOf[s]
		if blobGoes {
			if err := c.Driver.Delete(ctx, blobDir(d)); err != nil && !IsPathNotFound(err) {
				return fmt.Errorf("removing blob %s: %w", d, err)
			}
			removedBlobs[s] = b
		}
		// After the store, inside the batch: a writer waiting for the batch finds the cache
		// as the store is.
		if c.Cache != nil && (blobGoes || len(repos) > 0) {
			if err := c.Cache.Forget(ctx, d, blobGoes, repos); err != nil {
				return err
			}
		}
		if prune[s] {
			if err := c.Driver.Delete(ctx, writtenPath(d)); err != nil && !IsPathNotFound(err) {
				return fmt.Errorf("removing the write log entry of %s: %w", d, err)
			}
		}
	}
	return nil
}
