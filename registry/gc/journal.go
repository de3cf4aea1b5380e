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
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/opencontainers/go-digest"
)

// The write log and the sweep record make a write and a removal of one digest exclude each
// other without a lock service, on any strongly consistent store (filesystem, S3):
//
//   - A writer (a blob commit, a cross-repository mount, a manifest push) first rewrites the
//     write-log entry of every digest it is about to make reachable, then reads the sweep
//     record; while the record names one of its digests it waits, rewrites its entries and
//     reads again. Only then does it write, and distribution checks that what a manifest
//     references exists after that.
//   - The collector writes the sweep record naming a batch of digests, then reads their
//     write-log entries, drops every digest whose entry is recent, removes the rest, and only
//     then removes the record.
//
// Whichever writes second reads the other's write: either the collector sees the writer's
// fresh entry and keeps the digest, or the writer sees the record and waits until the batch
// is done, after which its own write either recreates what it needs (a commit) or finds it
// gone and fails cleanly (a manifest push answers MANIFEST_BLOB_UNKNOWN, a mount becomes an
// upload). Nothing a writer reported as written is removed behind its back.

// Bounds of a sweep batch as writers see it.
const (
	// sweepStaleAfter is the age at which a sweep record is taken for the leftover of a
	// collector that died; a batch takes milliseconds per digest and the collector gives up
	// a batch after maxBatchTime.
	sweepStaleAfter = 2 * time.Minute
	maxBatchTime    = time.Minute
	// DefaultWriterWait bounds how long a writer waits for a batch naming its digests.
	DefaultWriterWait = 30 * time.Second
	writerPoll        = 20 * time.Millisecond
)

// ErrSweepBusy says a writer waited DefaultWriterWait for a sweep batch naming its digests.
var ErrSweepBusy = errors.New("garbage collection is removing a digest this write needs; retry")

// Record journals digests before a write that makes them reachable (module doc above) and
// returns once no sweep batch names them. Digests that are not valid are ignored.
func Record(ctx context.Context, driver storagedriver.StorageDriver, digests ...digest.Digest) error {
	var ds []digest.Digest
	for _, d := range digests {
		if d.Validate() == nil && !slices.Contains(ds, d) {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return nil
	}
	deadline := time.Now().Add(DefaultWriterWait)
	for {
		stamp := []byte(time.Now().UTC().Format(time.RFC3339Nano))
		for _, d := range ds {
			if err := driver.PutContent(ctx, writtenPath(d), stamp); err != nil {
				return fmt.Errorf("journaling %s for garbage collection: %w", d, err)
			}
		}
		busy, err := sweeping(ctx, driver, ds)
		if err != nil || !busy {
			return err
		}
		if time.Now().After(deadline) {
			return ErrSweepBusy
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(writerPoll):
		}
	}
}

// sweeping reports whether a live sweep record names one of ds.
func sweeping(ctx context.Context, driver storagedriver.StorageDriver, ds []digest.Digest) (bool, error) {
	b, err := driver.GetContent(ctx, sweepPath)
	switch {
	case IsPathNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading the garbage collection's sweep record: %w", err)
	}
	at, names := parseSweepRecord(b)
	if at.IsZero() {
		// Empty or cut short: on the filesystem driver a record is read while it is being
		// written. A batch is starting: busy, unless the file is old (a collector that died
		// while writing it).
		fi, err := driver.Stat(ctx, sweepPath)
		switch {
		case IsPathNotFound(err):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("reading the garbage collection's sweep record: %w", err)
		}
		return time.Since(fi.ModTime()) <= sweepStaleAfter, nil
	}
	if time.Since(at) > sweepStaleAfter {
		return false, nil
	}
	for _, d := range ds {
		if names[d.String()] {
			return true, nil
		}
	}
	return false, nil
}

// sweepRecord is the content of the sweep record: when it was written, then one digest a line.
func sweepRecord(at time.Time, digests []string) []byte {
	return []byte(at.UTC().Format(time.RFC3339Nano) + "\n" + strings.Join(digests, "\n") + "\n")
}

func parseSweepRecord(b []byte) (time.Time, map[string]bool) {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	at, err := time.Parse(time.RFC3339Nano, lines[0])
	if err != nil {
		return time.Time{}, nil
	}
	names := make(map[string]bool, len(lines)-1)
	for _, l := range lines[1:] {
		names[l] = true
	}
	return at, names
}
