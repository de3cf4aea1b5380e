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
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/utils/ptr"

	"github.com/berth-dev/berth/internal/leases"
)

// LeaseName is the coordination.k8s.io Lease a collector holds while it runs, in the
// registry's lease namespace (the one of its tag leases).
const LeaseName = "berth-registry-gc"

// leaseDuration is how long the Lease holds without renewal: a collector renews it every
// third of that, and stops removing anything when a renewal fails.
const leaseDuration = 30 * time.Second

// Lease keeps one collector running at a time across registry replicas on one store.
type Lease struct {
	leases coordinationclient.LeaseInterface
	holder string
	now    func() time.Time
}

// NewLease locks collection with the Lease LeaseName through leases, in the name of holder.
func NewLease(leases coordinationclient.LeaseInterface, holder string) *Lease {
	return &Lease{leases: leases, holder: holder, now: time.Now}
}

// acquire takes the Lease. held is false when another replica's collector holds it. While
// held, the Lease is renewed; the returned context ends when a renewal fails (the Lease may
// be another's by then) or release is called, and release gives the Lease up.
func (l *Lease) acquire(ctx context.Context) (runCtx context.Context, release func(), held bool, err error) {
	now := metav1.NewMicroTime(l.now())
	cur, err := l.leases.Get(ctx, LeaseName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur, err = l.leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: LeaseName},
			Spec:       l.spec(now, now),
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil, nil, false, nil
		}
	case err != nil:
	case ptr.Deref(cur.Spec.HolderIdentity, "") != "" && ptr.Deref(cur.Spec.HolderIdentity, "") != l.holder && !leases.Expired(cur, l.now()):
		return nil, nil, false, nil
	default:
		cur = cur.DeepCopy()
		cur.Spec = l.spec(now, now)
		cur, err = l.leases.Update(ctx, cur, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			return nil, nil, false, nil
		}
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("taking the garbage collection Lease: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.renew(runCtx, cancel, cur)
	}()
	return runCtx, func() { cancel(); <-done }, true, nil
}

func (l *Lease) spec(acquired, renewed metav1.MicroTime) coordinationv1.LeaseSpec {
	return coordinationv1.LeaseSpec{
		HolderIdentity:       ptr.To(l.holder),
		LeaseDurationSeconds: ptr.To(int32(leaseDuration / time.Second)),
		AcquireTime:          &acquired,
		RenewTime:            &renewed,
	}
}

// renew keeps the Lease until ctx ends, then gives it up; a failed renewal cancels the run.
func (l *Lease) renew(ctx context.Context, cancel context.CancelFunc, cur *coordinationv1.Lease) {
	t := time.NewTicker(leaseDuration / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			l.giveUp(cur)
			return
		case <-t.C:
		}
		next := cur.DeepCopy()
		now := metav1.NewMicroTime(l.now())
		next.Spec.RenewTime = &now
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), leaseDuration/3)
		updated, err := l.leases.Update(rctx, next, metav1.UpdateOptions{})
		rcancel()
		if err != nil {
			cancel()
			return
		}
		cur = updated
	}
}

// giveUp clears the holder so another replica may collect at once; a Lease changed meanwhile
// (resourceVersion) is left alone.
func (l *Lease) giveUp(cur *coordinationv1.Lease) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	next := cur.DeepCopy()
	next.Spec.HolderIdentity = nil
	_, _ = l.leases.Update(ctx, next, metav1.UpdateOptions{})
}
