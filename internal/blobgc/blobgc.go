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

// Package blobgc decides, as a pure function, what online garbage collection may remove from
// the registry's storage: which blobs and which repositories' layer links. It knows nothing of
// storage drivers; berth-registry's collector (registry/gc) reads the store, asks Decide, and
// deletes what it answers. The rules (docs/decisions.md, "Online garbage collection"):
//
//   - A blob is kept while any manifest revision of any repository references it (the
//     manifest's own blob, its config, its layers, the manifests of an index). Manifests are
//     never collected, tagged or not: untagged images are the lifecycle policy's business.
//   - A repository's layer link is kept while a manifest of that repository references the
//     digest, so a deleted image's layers stop being "present" in the repository even when
//     another repository keeps the blob.
//   - Nothing written recently is removed: a blob whose data, any of whose links, or whose
//     entry in the write log (the digests every commit, mount and manifest push records
//     before it writes) is newer than the cutoff — the start of the mark minus the grace
//     period — is kept, and so are its links. An upload in progress has no blob yet; its
//     commit journals the digest first.
//   - A blob that still has a link the rules keep is kept.
package blobgc

import (
	"sort"
	"time"
)

// Blob is one blob in the store's global blob area.
type Blob struct {
	// Digest is the blob's canonical (sha256) digest.
	Digest string
	// Size is its length in bytes.
	Size int64
	// ModTime is when its data was last written, by the store's clock.
	ModTime time.Time
}

// Link is one repository's layer link: the repository may serve the blob it names.
type Link struct {
	// Repository is the repository's name.
	Repository string
	// Path is the link's own path in the store (what is deleted).
	Path string
	// Digest is the canonical digest the link points at.
	Digest string
	// ModTime is when the link was last written (a push or a mount of the blob).
	ModTime time.Time
}

// Input is what the collector read from the store.
type Input struct {
	// Blobs are every blob in the store.
	Blobs []Blob
	// Links are every layer link of every repository.
	Links []Link
	// Referenced holds, per repository, the canonical digests its manifest revisions reference
	// (each manifest itself included).
	Referenced map[string]map[string]bool
	// Written is the write log: the last time each digest was journaled by a commit, a mount
	// or a manifest push, by the store's clock.
	Written map[string]time.Time
	// MarkStart is when the mark began, by the store's clock.
	MarkStart time.Time
	// Grace is how long after its last write a blob or link is kept whatever references it.
	Grace time.Duration
}

// Plan is what may be removed, and what was kept only because it is recent.
type Plan struct {
	// Blobs are the blobs to remove, by digest.
	Blobs []Blob
	// Links are the layer links to remove, by repository and digest. Every link of a removed
	// blob is among them.
	Links []Link
	// Bytes is the size of Blobs.
	Bytes int64
	// KeptRecent counts unreferenced blobs kept because they, a link or their write-log entry
	// are within the grace period.
	KeptRecent int
	// Cutoff is MarkStart minus Grace: what was written before it and is not referenced goes.
	Cutoff time.Time
}

// Decide applies the rules to in.
func Decide(in Input) Plan {
	cutoff := in.MarkStart.Add(-in.Grace)
	p := Plan{Cutoff: cutoff}
	recent := func(t time.Time) bool { return !t.Before(cutoff) }
	journaled := func(d string) bool {
		t, ok := in.Written[d]
		return ok && recent(t)
	}
	referenced := make(map[string]bool)
	for _, digests := range in.Referenced {
		for d := range digests {
			referenced[d] = true
		}
	}

	// A link stays when its repository references the digest or when it, or the digest's
	// journal entry, is recent; a blob with a staying link stays.
	linksOf := make(map[string][]Link)
	held := make(map[string]bool)
	for _, l := range in.Links {
		if in.Referenced[l.Repository][l.Digest] || recent(l.ModTime) || journaled(l.Digest) {
			held[l.Digest] = true
			continue
		}
		linksOf[l.Digest] = append(linksOf[l.Digest], l)
	}
	for _, b := range in.Blobs {
		switch {
		case referenced[b.Digest]:
			continue
		case held[b.Digest] || recent(b.ModTime) || journaled(b.Digest):
			p.KeptRecent++
			continue
		}
		p.Blobs = append(p.Blobs, b)
		p.Bytes += b.Size
	}
	for _, links := range linksOf {
		p.Links = append(p.Links, links...)
	}
	sort.Slice(p.Blobs, func(i, j int) bool { return p.Blobs[i].Digest < p.Blobs[j].Digest })
	sort.Slice(p.Links, func(i, j int) bool {
		if p.Links[i].Digest != p.Links[j].Digest {
			return p.Links[i].Digest < p.Links[j].Digest
		}
		return p.Links[i].Repository < p.Links[j].Repository
	})
	return p
}

// Digests are the distinct digests a plan touches (its blobs' and its links'), sorted: the
// collector removes them in batches, each under a sweep record writers check.
func (p Plan) Digests() []string {
	seen := make(map[string]bool)
	var out []string
	for _, b := range p.Blobs {
		if !seen[b.Digest] {
			seen[b.Digest] = true
			out = append(out, b.Digest)
		}
	}
	for _, l := range p.Links {
		if !seen[l.Digest] {
			seen[l.Digest] = true
			out = append(out, l.Digest)
		}
	}
	sort.Strings(out)
	return out
}

// StorageBytes is, per repository, the size of the distinct blobs its manifests reference
// (a blob shared by two repositories counts in both), from the blobs present.
func StorageBytes(blobs []Blob, referenced map[string]map[string]bool) map[string]int64 {
	size := make(map[string]int64, len(blobs))
	for _, b := range blobs {
		size[b.Digest] = b.Size
	}
	out := make(map[string]int64, len(referenced))
	for repo, digests := range referenced {
		var n int64
		for d := range digests {
			n += size[d]
		}
		out[repo] = n
	}
	return out
}
