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

package blobgc

import (
	"reflect"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	start := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	const grace = time.Hour
	old := start.Add(-2 * time.Hour)      // before the cutoff
	edge := start.Add(-grace)             // exactly the cutoff: recent
	justOld := edge.Add(-time.Nanosecond) // just before it
	fresh := start.Add(-time.Minute)      // within the grace period
	during := start.Add(time.Second)      // written while the collector runs
	blob := func(d string, size int64, at time.Time) Blob { return Blob{Digest: d, Size: size, ModTime: at} }
	link := func(repo, d string, at time.Time) Link {
		return Link{Repository: repo, Path: repo + "/_layers/" + d, Digest: d, ModTime: at}
	}
	refs := func(pairs ...string) map[string]map[string]bool {
		m := map[string]map[string]bool{}
		for i := 0; i < len(pairs); i += 2 {
			if m[pairs[i]] == nil {
				m[pairs[i]] = map[string]bool{}
			}
			m[pairs[i]][pairs[i+1]] = true
		}
		return m
	}
	for _, tc := range []struct {
		name       string
		in         Input
		wantBlobs  []string
		wantLinks  []string // repository/digest
		wantRecent int
	}{{
		name:      "an old unreferenced blob and its old links go",
		in:        Input{Blobs: []Blob{blob("a", 10, old)}, Links: []Link{link("ns/x", "a", old), link("ns/y", "a", old)}},
		wantBlobs: []string{"a"}, wantLinks: []string{"ns/x/a", "ns/y/a"},
	}, {
		name: "a blob referenced by a manifest of any repository stays, with the referencing repository's link",
		in: Input{Blobs: []Blob{blob("a", 10, old)}, Links: []Link{link("ns/x", "a", old), link("ns/y", "a", old)},
			Referenced: refs("ns/y", "a")},
		wantLinks: []string{"ns/x/a"},
	}, {
		name: "untagged manifests count as references: the collector never deletes a manifest's blobs",
		in:   Input{Blobs: []Blob{blob("m", 1, old), blob("l", 5, old)}, Referenced: refs("ns/x", "m", "ns/x", "l")},
	}, {
		name:       "a blob pushed within the grace period but not yet in a manifest stays (paused push)",
		in:         Input{Blobs: []Blob{blob("a", 10, fresh)}, Links: []Link{link("ns/x", "a", fresh)}},
		wantRecent: 1,
	}, {
		name:       "an old blob freshly linked into a repository (a cross-repository mount or a re-push) stays with its fresh link; the old unreferenced one goes",
		in:         Input{Blobs: []Blob{blob("a", 10, old)}, Links: []Link{link("ns/x", "a", old), link("ns/y", "a", fresh)}},
		wantLinks:  []string{"ns/x/a"},
		wantRecent: 1,
	}, {
		name: "an old blob journaled during the mark (a manifest pushed during the sweep references it) stays",
		in: Input{Blobs: []Blob{blob("a", 10, old)}, Links: []Link{link("ns/x", "a", old)},
			Written: map[string]time.Time{"a": during}},
		wantRecent: 1,
	}, {
		name: "an old journal entry protects nothing",
		in: Input{Blobs: []Blob{blob("a", 10, old)}, Links: []Link{link("ns/x", "a", old)},
			Written: map[string]time.Time{"a": old}},
		wantBlobs: []string{"a"}, wantLinks: []string{"ns/x/a"},
	}, {
		name:       "the cutoff itself is recent, a nanosecond before is not",
		in:         Input{Blobs: []Blob{blob("a", 1, edge), blob("b", 2, justOld)}},
		wantBlobs:  []string{"b"},
		wantRecent: 1,
	}, {
		name:      "a dangling old link goes",
		in:        Input{Links: []Link{link("ns/x", "gone", old)}},
		wantLinks: []string{"ns/x/gone"},
	}, {
		name: "zero grace: whatever is unreferenced and written before the mark goes",
		in: Input{Blobs: []Blob{blob("a", 10, fresh)}, Links: []Link{link("ns/x", "a", fresh)},
			Grace: -grace}, // Grace is added below; -grace+grace = 0
		wantBlobs: []string{"a"}, wantLinks: []string{"ns/x/a"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.MarkStart = start
			tc.in.Grace += grace
			p := Decide(tc.in)
			var blobs, links []string
			var bytes int64
			for _, b := range p.Blobs {
				blobs = append(blobs, b.Digest)
				bytes += b.Size
			}
			for _, l := range p.Links {
				links = append(links, l.Repository+"/"+l.Digest)
			}
			if !reflect.DeepEqual(blobs, tc.wantBlobs) || !reflect.DeepEqual(links, tc.wantLinks) {
				t.Errorf("Decide removes blobs %v and links %v, want %v and %v", blobs, links, tc.wantBlobs, tc.wantLinks)
			}
			if p.Bytes != bytes {
				t.Errorf("Bytes = %d, want %d", p.Bytes, bytes)
			}
			if p.KeptRecent != tc.wantRecent {
				t.Errorf("KeptRecent = %d, want %d", p.KeptRecent, tc.wantRecent)
			}
		})
	}
}

func TestPlanDigestsAndStorageBytes(t *testing.T) {
	p := Plan{Blobs: []Blob{{Digest: "b"}, {Digest: "a"}}, Links: []Link{{Digest: "a"}, {Digest: "c"}}}
	if got, want := p.Digests(), []string{"a", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Digests() = %v, want %v", got, want)
	}
	blobs := []Blob{{Digest: "m", Size: 1}, {Digest: "l", Size: 100}, {Digest: "k", Size: 10}}
	refs := map[string]map[string]bool{"ns/x": {"m": true, "l": true}, "ns/y": {"l": true, "k": true, "missing": true}}
	if got, want := StorageBytes(blobs, refs), map[string]int64{"ns/x": 101, "ns/y": 110}; !reflect.DeepEqual(got, want) {
		t.Errorf("StorageBytes = %v, want %v", got, want)
	}
}
