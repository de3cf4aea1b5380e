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

package middleware

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/utils/ptr"

	"github.com/berth-dev/berth/internal/leases"
)

const (
	// tagLeaseDuration is how long a tag lease holds: a replica that dies between the check
	// and the write of a tag frees it after this. A write takes milliseconds.
	tagLeaseDuration = 15 * time.Second
	// tagLeaseWait bounds how long a push waits for another replica's write of the same tag.
	tagLeaseWait = 20 * time.Second
	// TagLeaseLabel marks the registry's tag Leases (kubectl get leases -l …).
	TagLeaseLabel = "berth.dev/tag-lease"
)

// errTagBusy says another replica held the tag's lease for the whole wait.
var errTagBusy = errors.New("another push of this tag is in progress")

// TagLeases makes the check and the write of a protected tag one step across registry
// replicas: the per-process tagLocks cover one replica, and storage drivers have no
// compare-and-swap, so two replicas could both find an IMMUTABLE tag free and both write it.
// A replica holds a coordination.k8s.io Lease named after the repository and tag, in the
// registry's own namespace (so its RBAC is a Role there), while it checks and writes.
type TagLeases struct {
	leases coordinationclient.LeaseInterface
	holder string
	now    func() time.Time
}

// NewTagLeases locks tags with Leases through leases, held in the name of holder (this
// replica).
func NewTagLeases(leases coordinationclient.LeaseInterface, holder string) *TagLeases {
	return &TagLeases{leases: leases, holder: holder, now: time.Now}
}

// TagLeaseName is the Lease name (a DNS label) for a repository:tag key.
func TagLeaseName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "berth-tag-" + hex.EncodeToString(sum[:16])
}

// lock takes the key's Lease, waiting while another holder's lease is valid; a lease past its
// duration (its holder died) is deleted, guarded by its resourceVersion, and taken. release
// deletes the Lease this call created (guarded by its UID), so it never frees another's.
func (l *TagLeases) lock(ctx context.Context, key string) (release func(), err error) {
	ctx, cancel := context.WithTimeout(ctx, tagLeaseWait)
	defer cancel()
	name := TagLeaseName(key)
	for {
		now := metav1.NewMicroTime(l.now())
		lease := &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{TagLeaseLabel: "true"},
				Annotations: map[string]string{TagLeaseLabel: key}},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(l.holder), LeaseDurationSeconds: ptr.To(int32(tagLeaseDuration / time.Second)),
				AcquireTime: &now, RenewTime: &now},
		}
		created, err := l.leases.Create(ctx, lease, metav1.CreateOptions{})
		if err == nil {
			return func() { l.release(created) }, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, l.waitError(ctx, key, err)
		}
		held, err := l.leases.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue // released meanwhile
		case err != nil:
			return nil, l.waitError(ctx, key, err)
		case leases.Expired(held, l.now()):
			err := l.leases.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &held.UID, ResourceVersion: &held.ResourceVersion}})
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return nil, l.waitError(ctx, key, err)
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil, l.waitError(ctx, key, errTagBusy)
		case <-time.After(time.Duration(20+rand.IntN(40)) * time.Millisecond): //nolint:gosec // jitter
		}
	}
}

// release deletes the lease this replica created; if that fails, it expires on its own.
func (l *TagLeases) release(lease *coordinationv1.Lease) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.leases.Delete(ctx, lease.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &lease.UID}})
}

func (l *TagLeases) waitError(ctx context.Context, key string, err error) error {
	if ctx.Err() != nil && !errors.Is(err, errTagBusy) {
		err = fmt.Errorf("%w (%w)", errTagBusy, err)
	}
	return fmt.Errorf("taking the lease of tag %s: %w", key, err)
}
