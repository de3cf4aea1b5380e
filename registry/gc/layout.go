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
	"errors"
	"path"
	"strings"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/opencontainers/go-digest"
)

// distribution's storage layout (registry/storage/paths.go), as far as the collector reads it:
//
//	<root>/blobs/sha256/<hex[:2]>/<hex>/data                       a blob, stored once
//	<root>/repositories/<name>/_manifests/revisions/<alg>/<hex>/link  a manifest of <name>
//	<root>/repositories/<name>/_layers/<alg>/<hex>/link               <name> may serve the blob
//	<root>/repositories/<name>/_uploads/<id>/…                        an upload in progress
//
// A link holds the canonical (sha256) digest; a sha512 alias's link holds the sha256 one.
// Berth keeps its own files outside distribution's trees:
//
//	<root>/_berth/gc/written/<alg>/<hex[:2]>/<hex>   the write log: one file per digest,
//	                                       rewritten by every commit, mount and manifest push
//	                                       of it (sharded like the blobs)
//	<root>/_berth/gc/sweeping              the digests of the batch being removed
//	<root>/_berth/gc/run                   rewritten as a mark starts: its time is the
//	                                       store's clock
const (
	storeRoot   = "/docker/registry/v2"
	blobsRoot   = storeRoot + "/blobs"
	reposRoot   = storeRoot + "/repositories"
	gcRoot      = storeRoot + "/_berth/gc"
	writtenRoot = gcRoot + "/written"
	sweepPath   = gcRoot + "/sweeping"
	runPath     = gcRoot + "/run"
)

// blobDir is the folder of a blob's data (what removing a blob deletes).
func blobDir(d digest.Digest) string {
	return path.Join(blobsRoot, d.Algorithm().String(), d.Encoded()[:2], d.Encoded())
}

// blobDataPath is a blob's data.
func blobDataPath(d digest.Digest) string { return blobDir(d) + "/data" }

// writtenPath is a digest's write-log entry.
func writtenPath(d digest.Digest) string {
	return path.Join(writtenRoot, d.Algorithm().String(), d.Encoded()[:2], d.Encoded())
}

// linkKind says what a path under reposRoot is.
type linkKind int

const (
	otherPath linkKind = iota
	revisionLink
	layerLink
)

// parseRepositoryPath splits a path under reposRoot into the repository, the kind of link and
// the digest its path names (which may be an alias; the link's content is canonical).
func parseRepositoryPath(p string) (repo string, kind linkKind, named digest.Digest) {
	rel, ok := strings.CutPrefix(p, reposRoot+"/")
	if !ok || !strings.HasSuffix(rel, "/link") {
		return "", otherPath, ""
	}
	for _, k := range []struct {
		marker string
		kind   linkKind
	}{{"/_manifests/revisions/", revisionLink}, {"/_layers/", layerLink}} {
		i := strings.Index(rel, k.marker)
		if i <= 0 {
			continue
		}
		parts := strings.Split(strings.TrimSuffix(rel[i+len(k.marker):], "/link"), "/")
		if len(parts) != 2 {
			return "", otherPath, ""
		}
		d := digest.NewDigestFromEncoded(digest.Algorithm(parts[0]), parts[1])
		if d.Validate() != nil {
			return "", otherPath, ""
		}
		return rel[:i], k.kind, d
	}
	return "", otherPath, ""
}

// skipDir reports whether the collector need not walk into a folder of a repository: uploads
// in progress (no blob yet), tags (the revisions hold every manifest) and Berth's own files.
func skipDir(p string) bool {
	base := path.Base(p)
	switch base {
	case "_uploads", "_berth":
		return true
	case "tags":
		return path.Base(path.Dir(p)) == "_manifests"
	}
	return false
}

// IsPathNotFound reports whether err says a path does not exist.
func IsPathNotFound(err error) bool {
	var nf storagedriver.PathNotFoundError
	return errors.As(err, &nf)
}
