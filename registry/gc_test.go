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
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/registry/gc"
)

// deleteImage deletes the manifest at ref (a digest reference) as lifecycle expiry does.
func deleteImage(t *testing.T, ref, token string) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Delete(r, remoteOptions(token)...); err != nil {
		t.Fatal(err)
	}
}

// gcRepository creates the Repository ns/app and waits until srv's store has it.
func gcRepository(t *testing.T, s *testSuite, srv *Server, ns string) {
	t.Helper()
	gcRepositoryNamed(t, s, srv, ns, "app")
}

// gcRepositoryNamed is gcRepository for a repository of another name.
func gcRepositoryNamed(t *testing.T, s *testSuite, srv *Server, ns, name string) {
	t.Helper()
	s.repository(t, ns, name, ecrv1alpha1.Mutable)
	eventually(t, 10*time.Second, func() error {
		if r, err := srv.store.Repository(context.Background(), ns, name); err != nil || r == nil {
			return errors.New("the GC server has not seen the Repository yet")
		}
		return nil
	})
}

// TestGCFreesDeletedImagesAndReportsIt: an image expired (its manifest deleted through the API)
// is collected once past the grace period — its blobs leave the store, its layers the
// repository — while an image sharing nothing with it stays whole; the run shows in the
// metrics and as an Event on the Repository, and a dry run before it removed nothing.
func TestGCFreesDeletedImagesAndReportsIt(t *testing.T) {
	s := needSuite(t)
	const ns, grace = "gc-free", 500 * time.Millisecond
	s.namespaces(t, ns)
	admin := s.serviceAccount(t, ns, "admin", "berth-registry-admin")
	srv, addr, _ := startGCServer(t, s, "gc-free", 0, grace, time.Hour)
	gcRepository(t, s, srv, ns)
	kept, gone := randomImage(t), randomImage(t)
	if err := push(refAt(addr, ns+"/app", "kept"), kept, admin.token); err != nil {
		t.Fatal(err)
	}
	if err := push(refAt(addr, ns+"/app", "gone"), gone, admin.token); err != nil {
		t.Fatal(err)
	}
	goneDigest := digestOf(t, gone)
	deleteImage(t, addr+"/"+ns+"/app@"+goneDigest.String(), admin.token)
	time.Sleep(grace + 100*time.Millisecond)

	srv.gc.Collector.DryRun = true
	dry, err := collectNow(context.Background(), srv)
	srv.gc.Collector.DryRun = false
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := gone.Layers()
	l0, _ := layers[0].Digest()
	if dry.BlobsRemoved != 4 || !blobPresent(t, addr, ns+"/app", l0.String(), admin.token) {
		t.Fatalf("dry run: %d blobs would go (want 4: the manifest, the config, 2 layers) and none may be removed", dry.BlobsRemoved)
	}
	rep, err := collectNow(context.Background(), srv)
	if err != nil {
		t.Fatal(err)
	}
	if rep.BlobsRemoved != 4 || rep.LinksRemoved != 3 {
		t.Errorf("run removed %d blobs and %d links, want 4 and 3 (config and 2 layers)", rep.BlobsRemoved, rep.LinksRemoved)
	}
	if blobPresent(t, addr, ns+"/app", l0.String(), admin.token) {
		t.Errorf("a layer of the deleted image is still served by its repository")
	}
	if d, err := pull(refAt(addr, ns+"/app", "kept"), admin.token); err != nil || d != digestOf(t, kept) {
		t.Errorf("the kept image pulls as %s, %v", d, err)
	}
	eventually(t, 10*time.Second, func() error {
		evs, err := s.kube.EventsV1().Events(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		reasons := map[string]string{}
		for _, e := range evs.Items {
			if e.Regarding.Name == "app" {
				reasons[e.Reason] = e.Note
			}
		}
		if !strings.Contains(reasons["GarbageCollected"], "removed 3 layers") || reasons["GarbageCollectionDryRun"] == "" {
			return errors.New("no GarbageCollected and GarbageCollectionDryRun events on the Repository yet: " + strings.Join(reasonNames(reasons), ","))
		}
		return nil
	})
	assertGCMetrics(t, srv)
}

func reasonNames(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// blobPresent reports whether the registry answers a HEAD of the blob in repo with 200.
func blobPresent(t *testing.T, addr, repo, digest, token string) bool {
	t.Helper()
	r, err := name.NewDigest(repo+"@"+digest, name.WithDefaultRegistry(addr), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	l, lerr := remote.Layer(r, remoteOptions(token)...)
	if lerr != nil {
		return false
	}
	rc, err := l.Compressed()
	if err != nil {
		return false
	}
	_ = rc.Close()
	return true
}

// TestGCRunsAfterADeletion: with no schedule, deleting an image (as lifecycle expiry does)
// brings a collection after the trigger delay, which frees the image's blobs.
func TestGCRunsAfterADeletion(t *testing.T) {
	s := needSuite(t)
	const ns = "gc-trigger"
	s.namespaces(t, ns)
	admin := s.serviceAccount(t, ns, "admin", "berth-registry-admin")
	srv, addr, _ := startGCServer(t, s, "gc-trigger", 0, 0, 300*time.Millisecond)
	gcRepository(t, s, srv, ns)
	img := randomImage(t)
	if err := push(refAt(addr, ns+"/app", "v1"), img, admin.token); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	l0, _ := layers[0].Digest()
	time.Sleep(time.Second) // no run may start from the push itself
	if !blobPresent(t, addr, ns+"/app", l0.String(), admin.token) {
		t.Fatal("a layer of a pushed image went before any deletion")
	}
	deleteImage(t, addr+"/"+ns+"/app@"+digestOf(t, img).String(), admin.token)
	eventually(t, 20*time.Second, func() error {
		if blobPresent(t, addr, ns+"/app", l0.String(), admin.token) {
			return errors.New("the deleted image's layer is still served")
		}
		return nil
	})
}

// TestGCKeepsBlobsOfAManifestPushedDuringTheSweep: an image deleted long enough ago is being
// collected when the same image is pushed again (the client finds its blobs and sends only
// the manifest). The manifest push journals its blobs (the repository middleware), the sweep
// sees that and keeps them, and the new push pulls back whole.
func TestGCKeepsBlobsOfAManifestPushedDuringTheSweep(t *testing.T) {
	s := needSuite(t)
	const ns, grace = "gc-race", 300 * time.Millisecond
	s.namespaces(t, ns)
	admin := s.serviceAccount(t, ns, "admin", "berth-registry-admin")
	srv, addr, _ := startGCServer(t, s, "gc-race", 0, grace, time.Hour)
	gcRepository(t, s, srv, ns)
	img := randomImage(t)
	if err := push(refAt(addr, ns+"/app", "v1"), img, admin.token); err != nil {
		t.Fatal(err)
	}
	deleteImage(t, addr+"/"+ns+"/app@"+digestOf(t, img).String(), admin.token)
	time.Sleep(grace + 100*time.Millisecond)
	srv.gc.Collector.BeforeSweep = func() {
		if err := push(refAt(addr, ns+"/app", "v2"), img, admin.token); err != nil {
			t.Errorf("pushing again during the sweep: %v", err)
		}
	}
	defer func() { srv.gc.Collector.BeforeSweep = nil }()
	rep, err := collectNow(context.Background(), srv)
	if err != nil {
		t.Fatal(err)
	}
	if rep.KeptJournaled < 4 {
		t.Errorf("the sweep kept %d journaled digests, want the manifest, config and 2 layers", rep.KeptJournaled)
	}
	if d, err := pull(refAt(addr, ns+"/app", "v2"), admin.token); err != nil || d != digestOf(t, img) {
		t.Fatalf("the image pushed during the sweep pulls as %s, %v", d, err)
	}
}

// TestGCLeaseHeldByAnotherReplica: while another replica's collector holds the Lease, a run
// does nothing and says so; once that Lease expires, the run takes it over.
func TestGCLeaseHeldByAnotherReplica(t *testing.T) {
	s := needSuite(t)
	srv, _, _ := startGCServer(t, s, "gc-lease", 0, time.Hour, time.Hour)
	ctx := context.Background()
	leases := s.kube.CoordinationV1().Leases("berth-system")
	// Wait for any run of another test's server to end, then hold the Lease as another replica.
	var held *coordinationv1.Lease
	eventually(t, 30*time.Second, func() error {
		now := metav1.NewMicroTime(time.Now())
		spec := coordinationv1.LeaseSpec{HolderIdentity: ptr.To("other-replica"), LeaseDurationSeconds: ptr.To[int32](2), AcquireTime: &now, RenewTime: &now}
		cur, err := leases.Get(ctx, gc.LeaseName, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			held, err = leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: gc.LeaseName}, Spec: spec}, metav1.CreateOptions{})
			return err
		case err != nil:
			return err
		case ptr.Deref(cur.Spec.HolderIdentity, "") != "" && cur.Spec.RenewTime != nil && time.Since(cur.Spec.RenewTime.Time) < 30*time.Second:
			return errors.New("another test's collector holds the Lease")
		}
		cur.Spec = spec
		held, err = leases.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if _, err := srv.CollectGarbage(ctx); !errors.Is(err, gc.ErrLeaseHeld) {
		t.Fatalf("a run while another replica holds the Lease: %v, want ErrLeaseHeld", err)
	}
	time.Sleep(2500 * time.Millisecond) // the other replica stops renewing: its Lease expires
	if _, err := collectNow(ctx, srv); err != nil {
		t.Fatalf("a run after the other replica's Lease expired: %v", err)
	}
	after, err := leases.Get(ctx, gc.LeaseName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion == held.ResourceVersion || ptr.Deref(after.Spec.HolderIdentity, "") == "other-replica" {
		t.Errorf("the Lease was not taken over: holder %q", ptr.Deref(after.Spec.HolderIdentity, ""))
	}
}
