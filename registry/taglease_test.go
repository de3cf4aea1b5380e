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
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/registry/middleware"
	"github.com/berth-dev/berth/registry/options"
)

// startReplicas serves n registries on one filesystem store, as the registry's own
// ServiceAccount with the suite's lease namespace; each pauses between a tag's check and its
// write, which without a lock shared by the replicas lets two of them find one tag free.
func startReplicas(t *testing.T, s *testSuite, n int) []string {
	t.Helper()
	dir := t.TempDir()
	var addrs []string
	for i := range n {
		o := testOptions()
		o.Storage.Driver, o.Storage.RootDirectory = options.DriverFilesystem, dir
		o.InstanceID = fmt.Sprintf("replica-%d", i)
		srv, err := New(o, s.registryConfig)
		if err != nil {
			t.Fatal(err)
		}
		srv.afterTagCheck = func() { time.Sleep(300 * time.Millisecond) }
		addr, stop, err := serveOn(srv, "127.0.0.1:0", stderrLogger())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		addrs = append(addrs, addr)
	}
	return addrs
}

// TestImmutableTagAcrossReplicas: pushes of one new IMMUTABLE tag with different images reach
// two replicas at once, in several rounds; in each exactly one wins, the other gets 400
// TAG_INVALID, and both replicas serve the winner's digest under the tag.
func TestImmutableTagAcrossReplicas(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "lease-a")
	builder := s.serviceAccount(t, "lease-a", "builder", "berth-registry-poweruser")
	s.repository(t, "lease-a", "app", ecrv1alpha1.Immutable)
	addrs := startReplicas(t, s, 2)

	for round := range 3 {
		tag := fmt.Sprintf("v%d", round)
		imgs := []v1.Image{randomImage(t), randomImage(t)}
		errs := make([]error, len(addrs))
		var wg sync.WaitGroup
		for i, addr := range addrs {
			wg.Go(func() { errs[i] = push(refAt(addr, "lease-a/app", tag), imgs[i], builder.token) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatalf("round %d: both replicas accepted a different image as %s", round, tag)
				}
				winner = i
				continue
			}
			wantRefused(t, fmt.Sprintf("round %d, replica %d", round, i), err, http.StatusBadRequest, "TAG_INVALID")
		}
		if winner < 0 {
			t.Fatalf("round %d: no push of %s succeeded: %v", round, tag, errs)
		}
		for i, addr := range addrs {
			got, err := pull(refAt(addr, "lease-a/app", tag), builder.token)
			if err != nil || got != digestOf(t, imgs[winner]) {
				t.Errorf("round %d: replica %d serves %s as %s (%v), want the winner's %s", round, i, tag, got, err, digestOf(t, imgs[winner]))
			}
		}
	}
	leases := &coordinationv1.LeaseList{}
	if err := s.c.List(context.Background(), leases); err != nil {
		t.Fatal(err)
	}
	for _, l := range leases.Items {
		if l.Labels[middleware.TagLeaseLabel] != "" {
			t.Errorf("tag lease %s/%s (%s) left behind", l.Namespace, l.Name, l.Annotations[middleware.TagLeaseLabel])
		}
	}
}

// TestTagLeaseOfDeadReplica: a lease its holder stopped renewing (a replica killed between
// check and write) holds the tag only until it expires; a lease still valid makes the push
// wait for it.
func TestTagLeaseOfDeadReplica(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "lease-b")
	builder := s.serviceAccount(t, "lease-b", "builder", "berth-registry-poweruser")
	s.repository(t, "lease-b", "app", ecrv1alpha1.Immutable)
	ctx := context.Background()
	leaseOf := func(tag string, renewed time.Time) *coordinationv1.Lease {
		at := metav1.NewMicroTime(renewed)
		return &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: "berth-system", Name: middleware.TagLeaseName("lease-b/app:" + tag)},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("dead-replica"), LeaseDurationSeconds: ptr.To[int32](15),
				AcquireTime: &at, RenewTime: &at},
		}
	}

	// Expired a minute ago: taken over at once.
	if err := s.c.Create(ctx, leaseOf("v1", time.Now().Add(-time.Minute))); err != nil {
		t.Fatal(err)
	}
	if err := push(s.ref("lease-b/app", "v1"), randomImage(t), builder.token); err != nil {
		t.Fatalf("push over an expired lease: %v", err)
	}

	// Valid, released after a second: the push waits for it.
	held := leaseOf("v2", time.Now())
	if err := s.c.Create(ctx, held); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(time.Second)
		_ = s.c.Delete(ctx, held)
	}()
	start := time.Now()
	if err := push(s.ref("lease-b/app", "v2"), randomImage(t), builder.token); err != nil {
		t.Fatalf("push after the lease was released: %v", err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("the push took %s: it did not wait for the valid lease", waited)
	}
}
