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

// Package gcsoak is the R7 soak of online garbage collection (docs/budgets.md): concurrent
// pushers — some mounting layers across repositories, some pausing between their layers and
// their manifest — while images expire (as a lifecycle policy expires them, through the
// registry API) and repositories are emptied and deleted, and the registry collects garbage
// every few seconds. At the end every push that succeeded must pull back byte for byte, no
// push may have failed, and the store (read on its filesystem, independently of the
// collector) must hold no blob no manifest references and no layer link of a removed image.
// The registry's own tests run it for seconds; bench/registry for minutes.
package gcsoak

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Config is one soak.
type Config struct {
	// Addr is the registry's host:port (plain HTTP).
	Addr string
	// Token is the password of a caller allowed to pull, push and delete in Namespace.
	Token string
	// Namespace holds the repositories (<Namespace>/<name>).
	Namespace string
	// Repositories are the stable repositories (they exist when Run starts).
	Repositories []string
	// Duration is how long the pushers push.
	Duration time.Duration
	// Pushers is the number of concurrent pushers (10 in R7): a third mount, a third pause.
	Pushers int
	// MaxPause is the longest pause of a pausing pusher, inside its last upload and again
	// between its layers and its manifest; twice it must stay below the grace period.
	MaxPause time.Duration
	// Grace is the registry's garbage collection grace period.
	Grace time.Duration
	// KeepPerRepository is how many of the newest images expiry keeps per repository.
	KeepPerRepository int
	// StorageRoot is the registry's filesystem storage root, read for the final check.
	StorageRoot string
	// CreateRepository and DeleteRepository make and remove a Repository resource.
	CreateRepository func(ctx context.Context, name string) error
	DeleteRepository func(ctx context.Context, name string) error
	// CollectGarbage runs a collection and returns once it is done (the final check's).
	CollectGarbage func(ctx context.Context) error
	// Logf logs progress.
	Logf func(format string, args ...any)
}

// Result is what the soak did and found.
type Result struct {
	Pushes, Failed                  int
	FailedErrors                    []string
	Mounted, MountsFellBack, Paused int
	Expired, RepositoriesDeleted    int
	Verified                        int
	Corrupt                         []string
	Blobs                           int
	StoreBytes                      int64
	Unreferenced                    int
	UnreferencedBytes               int64
	StaleLinks, DanglingLinks       int
}

// Problems are the soak's failures; none means it passed.
func (r Result) Problems() []string {
	var p []string
	if r.Failed > 0 {
		p = append(p, fmt.Sprintf("%d of %d pushes failed (first: %s)", r.Failed, r.Pushes, strings.Join(r.FailedErrors, "; ")))
	}
	if len(r.Corrupt) > 0 {
		p = append(p, fmt.Sprintf("%d pushed images do not pull back as pushed (first: %s)", len(r.Corrupt), strings.Join(r.Corrupt[:min(3, len(r.Corrupt))], "; ")))
	}
	if r.Unreferenced > 0 {
		p = append(p, fmt.Sprintf("%d blobs (%d bytes) no manifest references are still stored past the grace period", r.Unreferenced, r.UnreferencedBytes))
	}
	if r.DanglingLinks > 0 || r.StaleLinks > 0 {
		p = append(p, fmt.Sprintf("%d layer links to removed blobs and %d links of layers no manifest of their repository references are left", r.DanglingLinks, r.StaleLinks))
	}
	if r.Pushes == 0 || r.Verified != r.Pushes-r.Failed {
		p = append(p, fmt.Sprintf("%d of the %d pushes that succeeded were pulled back and compared", r.Verified, r.Pushes-r.Failed))
	}
	return p
}

// String is the soak's summary line.
func (r Result) String() string {
	return fmt.Sprintf("%d pushes (%d failed), %d layers mounted across repositories (%d fell back to uploads), %d paused pushes, %d images expired, %d repositories deleted; %d images pulled back byte for byte (before their expiry or deletion, or at the end); store: %d blobs, %d bytes, %d unreferenced, %d dangling and %d stale links",
		r.Pushes, r.Failed, r.Mounted, r.MountsFellBack, r.Paused, r.Expired, r.RepositoriesDeleted, r.Verified, r.Blobs, r.StoreBytes, r.Unreferenced, r.DanglingLinks, r.StaleLinks)
}

// blob is content the soak pushed.
type blob struct {
	digest string
	data   []byte
}

// image is one pushed image.
type image struct {
	repo, tag, digest string
	manifest          []byte
	layers            []blob // config first
	expired           bool
}

type soak struct {
	cfg    Config
	hc     *http.Client
	mu     sync.Mutex
	res    Result
	images []*image
	// recent are, per repository, the last images pushed, with their content: what mounting
	// pushers mount from.
	recent map[string][]*image
}

// Run runs the soak and checks its end state.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Pushers <= 0 || len(cfg.Repositories) < 2 || cfg.StorageRoot == "" || cfg.CollectGarbage == nil {
		return Result{}, errors.New("gcsoak: pushers, two repositories, the storage root and CollectGarbage are needed")
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	s := &soak{cfg: cfg, hc: &http.Client{Timeout: time.Minute}, recent: map[string][]*image{}}
	defer s.hc.CloseIdleConnections()
	deadline := time.Now().Add(cfg.Duration)
	var wg sync.WaitGroup
	for i := range cfg.Pushers {
		wg.Go(func() { s.pusher(ctx, i, deadline) })
	}
	wg.Go(func() { s.expirer(ctx, deadline) })
	if cfg.CreateRepository != nil && cfg.DeleteRepository != nil {
		wg.Go(func() { s.repositoryDeleter(ctx, deadline) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return s.res, err
	}

	// Past the grace period, one more collection must leave nothing unreferenced.
	cfg.Logf("gcsoak: pushes done (%s); waiting out the grace period %s for the final collection", s.res.String(), cfg.Grace)
	time.Sleep(cfg.Grace + time.Second)
	gcStart := time.Now()
	if err := cfg.CollectGarbage(ctx); err != nil {
		return s.res, fmt.Errorf("the final garbage collection: %w", err)
	}
	s.verify(ctx)
	if err := s.checkStore(gcStart); err != nil {
		return s.res, err
	}
	return s.res, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomInt(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}

func newBlob(data []byte) blob {
	sum := sha256.Sum256(data)
	return blob{digest: "sha256:" + hex.EncodeToString(sum[:]), data: data}
}

// pusher pushes images until the deadline; kind by index: plain, mounting, pausing.
func (s *soak) pusher(ctx context.Context, i int, deadline time.Time) {
	repos := s.cfg.Repositories
	repo := s.cfg.Namespace + "/" + repos[i%len(repos)]
	for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
		tag := fmt.Sprintf("p%d-%d", i, n)
		var err error
		switch i % 3 {
		case 1:
			from := s.cfg.Namespace + "/" + repos[(i+1+randomInt(len(repos)-1))%len(repos)]
			_, err = s.push(ctx, repo, tag, from, false)
		case 2:
			_, err = s.push(ctx, repo, tag, "", true)
		default:
			_, err = s.push(ctx, repo, tag, "", false)
		}
		if err != nil {
			s.cfg.Logf("gcsoak: push %s:%s failed: %v", repo, tag, err)
		}
	}
}

// push pushes one image: a base layer shared by the repository's images (so expired images
// and new ones share blobs), a new layer, a config, and — when from is set — the layers of a
// recent image of repository from, mounted; when pause is set it pauses inside the upload and
// again before the manifest.
func (s *soak) push(ctx context.Context, repo, tag, from string, pause bool) (*image, error) {
	base := newBlob(bytes.Repeat([]byte("base layer of "+repo+"\n"), 2048))
	layers := []blob{base, newBlob(randomBytes(16<<10 + randomInt(48<<10)))}
	var mounted []blob
	if from != "" {
		s.mu.Lock()
		if r := s.recent[from]; len(r) > 0 {
			src := r[randomInt(len(r))]
			mounted = src.layers[1:]
		}
		s.mu.Unlock()
	}
	cfg := newBlob(fmt.Appendf(nil, `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"soak":%q}`, hex.EncodeToString(randomBytes(8))))
	img := &image{repo: repo, tag: tag}
	err := func() error {
		for _, b := range mounted {
			ok, err := s.mount(ctx, repo, from, b)
			if err != nil {
				return err
			}
			s.count(func(r *Result) {
				if ok {
					r.Mounted++
				} else {
					r.MountsFellBack++
				}
			})
		}
		// The last upload pauses between its data and its completion (an upload in
		// progress); then the push pauses before its manifest (layers no manifest references
		// yet). From the first commit to the manifest: at most 2 × MaxPause.
		uploads := append([]blob{cfg}, layers...)
		for i, b := range uploads {
			if err := s.upload(ctx, repo, b, pause && i == len(uploads)-1); err != nil {
				return err
			}
		}
		if pause {
			s.count(func(r *Result) { r.Paused++ })
			time.Sleep(s.pauseTime())
		}
		img.layers = append(append([]blob{cfg}, layers...), mounted...)
		var err error
		img.manifest, img.digest, err = s.putManifest(ctx, repo, tag, cfg, append(layers, mounted...))
		return err
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.res.Pushes++
	if err != nil {
		s.res.Failed++
		if len(s.res.FailedErrors) < 3 {
			s.res.FailedErrors = append(s.res.FailedErrors, fmt.Sprintf("%s:%s: %v", repo, tag, err))
		}
		return nil, err
	}
	s.images = append(s.images, img)
	r := append(s.recent[repo], img)
	if len(r) > 4 {
		r = r[len(r)-4:]
	}
	s.recent[repo] = r
	return img, nil
}

func (s *soak) pauseTime() time.Duration {
	if s.cfg.MaxPause <= 0 {
		return 0
	}
	return s.cfg.MaxPause/2 + time.Duration(randomInt(int(s.cfg.MaxPause/2)+1))
}

func (s *soak) count(f func(*Result)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.res)
}

// reply is a registry answer: its status, its Location resolved against the request, its body.
type reply struct {
	status   int
	location string
	body     []byte
}

func (r reply) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// do sends one request to the registry as the soak's caller.
func (s *soak) do(ctx context.Context, method, target string, body []byte, header http.Header) (reply, error) {
	if !strings.HasPrefix(target, "http") {
		target = "http://" + s.cfg.Addr + target
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.SetBasicAuth("berth", s.cfg.Token)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	r := reply{status: resp.StatusCode}
	if loc := resp.Header.Get("Location"); loc != "" {
		u, err := req.URL.Parse(loc)
		if err != nil {
			return r, fmt.Errorf("location %q: %w", loc, err)
		}
		r.location = u.String()
	}
	r.body, err = io.ReadAll(resp.Body)
	return r, err
}

// upload pushes b with POST, PATCH and PUT; with pause, it pauses between the PATCH and the
// PUT (an upload in progress).
func (s *soak) upload(ctx context.Context, repo string, b blob, pause bool) error {
	r, err := s.do(ctx, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil, nil)
	if err != nil {
		return err
	}
	if r.status != http.StatusAccepted {
		return fmt.Errorf("starting an upload: %s", r)
	}
	return s.finishUpload(ctx, r.location, b, pause)
}

// finishUpload sends b's data to the upload at loc and completes it.
func (s *soak) finishUpload(ctx context.Context, loc string, b blob, pause bool) error {
	r, err := s.do(ctx, http.MethodPatch, loc, b.data, http.Header{"Content-Type": {"application/octet-stream"}})
	if err != nil {
		return err
	}
	if r.status != http.StatusAccepted {
		return fmt.Errorf("uploading %s: %s", b.digest, r)
	}
	if pause {
		time.Sleep(s.pauseTime())
	}
	u, err := url.Parse(r.location)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("digest", b.digest)
	u.RawQuery = q.Encode()
	if r, err = s.do(ctx, http.MethodPut, u.String(), nil, nil); err != nil {
		return err
	}
	if r.status != http.StatusCreated {
		return fmt.Errorf("completing the upload of %s: %s", b.digest, r)
	}
	return nil
}

// mount mounts b from repository from into repo; when the registry does not mount (the
// source's image expired and its layer went), it uploads b instead, as clients do.
func (s *soak) mount(ctx context.Context, repo, from string, b blob) (bool, error) {
	r, err := s.do(ctx, http.MethodPost, "/v2/"+repo+"/blobs/uploads/?mount="+b.digest+"&from="+from, nil, nil)
	if err != nil {
		return false, err
	}
	switch r.status {
	case http.StatusCreated:
		return true, nil
	case http.StatusAccepted:
		// An upload was started instead: send the data there.
		return false, s.finishUpload(ctx, r.location, b, false)
	}
	return false, fmt.Errorf("mounting %s from %s: %s", b.digest, from, r)
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int    `json:"size"`
}

const manifestType = "application/vnd.oci.image.manifest.v1+json"

func (s *soak) putManifest(ctx context.Context, repo, tag string, cfg blob, layers []blob) ([]byte, string, error) {
	m := struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Config        descriptor   `json:"config"`
		Layers        []descriptor `json:"layers"`
	}{2, manifestType, descriptor{"application/vnd.oci.image.config.v1+json", cfg.digest, len(cfg.data)}, nil}
	for _, l := range layers {
		m.Layers = append(m.Layers, descriptor{"application/vnd.oci.image.layer.v1.tar", l.digest, len(l.data)})
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, "", err
	}
	r, err := s.do(ctx, http.MethodPut, "/v2/"+repo+"/manifests/"+tag, payload, http.Header{"Content-Type": {manifestType}})
	if err != nil {
		return nil, "", err
	}
	if r.status != http.StatusCreated {
		return nil, "", fmt.Errorf("pushing the manifest: %s", r)
	}
	return payload, newBlob(payload).digest, nil
}

func (s *soak) deleteManifest(ctx context.Context, img *image) error {
	r, err := s.do(ctx, http.MethodDelete, "/v2/"+img.repo+"/manifests/"+img.digest, nil, nil)
	if err != nil {
		return err
	}
	if r.status != http.StatusAccepted {
		return fmt.Errorf("deleting %s@%s: %s", img.repo, img.digest, r)
	}
	return nil
}

// expirer deletes, every second, all but the newest KeepPerRepository images of each
// repository, as a lifecycle rule imageCountMoreThan does through the registry API.
func (s *soak) expirer(ctx context.Context, deadline time.Time) {
	keep := max(1, s.cfg.KeepPerRepository)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Second)
		s.mu.Lock()
		byRepo := map[string][]*image{}
		for _, img := range s.images {
			if !img.expired && strings.HasPrefix(img.repo, s.cfg.Namespace+"/") && !strings.Contains(img.repo, "/eph-") {
				byRepo[img.repo] = append(byRepo[img.repo], img)
			}
		}
		var expire []*image
		for _, imgs := range byRepo {
			if len(imgs) > keep {
				expire = append(expire, imgs[:len(imgs)-keep]...)
			}
		}
		for _, img := range expire {
			img.expired = true
		}
		s.mu.Unlock()
		for _, img := range expire {
			s.check(ctx, img)
			if err := s.deleteManifest(ctx, img); err != nil {
				s.cfg.Logf("gcsoak: expiring: %v", err)
				continue
			}
			s.count(func(r *Result) { r.Expired++ })
		}
	}
}

// repositoryDeleter creates a repository, pushes into it (mounting from a stable one), and
// deletes its images and the repository, as forceDelete does, over and over.
func (s *soak) repositoryDeleter(ctx context.Context, deadline time.Time) {
	for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
		name := fmt.Sprintf("eph-%d", n)
		repo := s.cfg.Namespace + "/" + name
		if err := s.cfg.CreateRepository(ctx, name); err != nil {
			s.cfg.Logf("gcsoak: creating %s: %v", repo, err)
			return
		}
		var pushed []*image
		for i := range 2 {
			from := s.cfg.Namespace + "/" + s.cfg.Repositories[randomInt(len(s.cfg.Repositories))]
			if img, err := s.push(ctx, repo, fmt.Sprintf("v%d", i), from, false); err == nil {
				pushed = append(pushed, img)
			}
		}
		time.Sleep(time.Second)
		s.mu.Lock()
		for _, img := range pushed {
			img.expired = true
		}
		delete(s.recent, repo)
		s.mu.Unlock()
		for _, img := range pushed {
			s.check(ctx, img)
			if err := s.deleteManifest(ctx, img); err != nil {
				s.cfg.Logf("gcsoak: deleting %s: %v", repo, err)
			}
		}
		if err := s.cfg.DeleteRepository(ctx, name); err != nil {
			s.cfg.Logf("gcsoak: deleting %s: %v", repo, err)
			return
		}
		s.count(func(r *Result) { r.RepositoriesDeleted++ })
	}
}

// verify pulls every image that is neither expired nor deleted, manifest and blobs, and
// compares them with what was pushed; expired and deleted ones were checked so just before
// their deletion, so every push that succeeded is pulled back once, after collections ran.
func (s *soak) verify(ctx context.Context) {
	for _, img := range s.images {
		if !img.expired {
			s.check(ctx, img)
		}
	}
}

// check pulls img and compares it with what was pushed.
func (s *soak) check(ctx context.Context, img *image) {
	err := s.pull(ctx, img)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.res.Corrupt = append(s.res.Corrupt, fmt.Sprintf("%s:%s: %v", img.repo, img.tag, err))
		return
	}
	s.res.Verified++
}

func (s *soak) pull(ctx context.Context, img *image) error {
	r, err := s.do(ctx, http.MethodGet, "/v2/"+img.repo+"/manifests/"+img.tag, nil, http.Header{"Accept": {manifestType}})
	if err != nil {
		return err
	}
	if r.status != http.StatusOK || !bytes.Equal(r.body, img.manifest) {
		return fmt.Errorf("manifest: %d, %d bytes (want %s, %d bytes)", r.status, len(r.body), img.digest, len(img.manifest))
	}
	for _, b := range img.layers {
		r, err := s.do(ctx, http.MethodGet, "/v2/"+img.repo+"/blobs/"+b.digest, nil, nil)
		if err != nil {
			return err
		}
		if r.status != http.StatusOK || !bytes.Equal(r.body, b.data) {
			return fmt.Errorf("blob %s: %d, %d bytes (want %d)", b.digest, r.status, len(r.body), len(b.data))
		}
	}
	return nil
}

// checkStore reads the store's files (distribution's layout) without the collector's code:
// every blob no manifest revision of any repository references, older than the grace period
// before the final collection, is a leftover; so is a layer link whose blob is gone, and one
// whose repository's manifests do not reference its digest.
func (s *soak) checkStore(gcStart time.Time) error {
	store := os.DirFS(filepath.Join(s.cfg.StorageRoot, "docker", "registry", "v2"))
	blobs, err := storedBlobs(store)
	if err != nil {
		return err
	}
	refs, links, err := storedRepositories(store)
	if err != nil {
		return err
	}
	cutoff := gcStart.Add(-s.cfg.Grace)
	referenced := map[string]bool{}
	for _, digests := range refs {
		for d := range digests {
			referenced[d] = true
		}
	}
	var leftovers []string
	for d, b := range blobs {
		s.res.Blobs++
		s.res.StoreBytes += b.Size()
		if !referenced[d] && b.ModTime().Before(cutoff) {
			s.res.Unreferenced++
			s.res.UnreferencedBytes += b.Size()
			leftovers = append(leftovers, d)
		}
	}
	for _, l := range links {
		switch {
		case blobs[l.digest] == nil:
			s.res.DanglingLinks++
		case !refs[l.repo][l.digest] && l.mod.Before(cutoff):
			s.res.StaleLinks++
		}
	}
	sort.Strings(leftovers)
	if len(leftovers) > 0 {
		s.cfg.Logf("gcsoak: unreferenced blobs left: %v", leftovers[:min(5, len(leftovers))])
	}
	return nil
}

// storedBlobs lists the store's blobs by digest.
func storedBlobs(store fs.FS) (map[string]fs.FileInfo, error) {
	blobs := map[string]fs.FileInfo{}
	err := fs.WalkDir(store, "blobs", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "data" {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		blobs["sha256:"+path.Base(path.Dir(p))] = fi
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading the store's blobs: %w", err)
	}
	return blobs, nil
}

// storedLink is one repository's layer link.
type storedLink struct {
	repo, digest string
	mod          time.Time
}

// storedRepositories reads, per repository, the digests its manifest revisions reference
// (each manifest included), and every layer link.
func storedRepositories(store fs.FS) (map[string]map[string]bool, []storedLink, error) {
	refs := map[string]map[string]bool{}
	var links []storedLink
	err := fs.WalkDir(store, "repositories", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "link" {
			return err
		}
		rel := strings.TrimPrefix(p, "repositories/")
		if repo, _, ok := strings.Cut(rel, "/_manifests/revisions/sha256/"); ok {
			b, err := fs.ReadFile(store, p)
			if err != nil {
				return err
			}
			if refs[repo] == nil {
				refs[repo] = map[string]bool{}
			}
			for _, r := range manifestReferences(store, strings.TrimSpace(string(b))) {
				refs[repo][r] = true
			}
		} else if repo, rest, ok := strings.Cut(rel, "/_layers/sha256/"); ok {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			links = append(links, storedLink{repo, "sha256:" + strings.TrimSuffix(rest, "/link"), fi.ModTime()})
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("reading the store's repositories: %w", err)
	}
	return refs, links, nil
}

// manifestReferences are a manifest's digest and those of its config, layers and manifests.
func manifestReferences(store fs.FS, dgst string) []string {
	out := []string{dgst}
	if len(dgst) < 9 {
		return out
	}
	b, err := fs.ReadFile(store, path.Join("blobs", "sha256", dgst[7:9], dgst[7:], "data"))
	if err != nil {
		return out
	}
	var m struct {
		Config    *descriptor  `json:"config"`
		Layers    []descriptor `json:"layers"`
		Manifests []descriptor `json:"manifests"`
	}
	if json.Unmarshal(b, &m) != nil {
		return out
	}
	if m.Config != nil {
		out = append(out, m.Config.Digest)
	}
	for _, l := range append(m.Layers, m.Manifests...) {
		out = append(out, l.Digest)
	}
	return out
}
