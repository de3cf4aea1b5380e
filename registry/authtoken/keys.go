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

package authtoken

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
)

// retireMargin is how long past the last possible expiry a key is kept: a replica whose watch
// lags may sign with the old key a moment after the new one appeared.
const retireMargin = time.Minute

// KeySecret keeps a Keyring in step with the Secret that holds the keys (data: key ID → 32
// random bytes), and rotates them: when the newest key is RotateAfter old, a new one is added
// and signs from then on; a key is retired (removed) once MaxTokenLifetime has passed since a
// newer key replaced it, when no token it signed can still be valid. Every replica runs one;
// they agree through the Secret (optimistic concurrency). Deleting a key from the Secret by
// hand revokes every token it signed at once.
type KeySecret struct {
	Secrets          corev1client.SecretInterface
	Name             string
	RotateAfter      time.Duration
	MaxTokenLifetime time.Duration
	Ring             *Keyring
	Now              func() time.Time
}

// Sync reads the Secret, creates it or rotates and retires keys when it is time, writes it
// when that changed anything, and loads the keys into the Keyring. It returns when the next
// rotation or retirement is due.
func (s *KeySecret) Sync(ctx context.Context) (time.Time, error) {
	now := s.Now()
	sec, err := s.Secrets.Get(ctx, s.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		key, err := NewKey(now)
		if err != nil {
			return time.Time{}, err
		}
		sec = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: s.Name, Labels: map[string]string{"app.kubernetes.io/part-of": "berth", "app.kubernetes.io/name": "berth-registry"}},
			Type:       corev1.SecretTypeOpaque,
			Data:       map[string][]byte{key.ID: key.Secret},
		}
		if sec, err = s.Secrets.Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			return time.Time{}, fmt.Errorf("creating the token key Secret %s: %w", s.Name, err)
		}
	case err != nil:
		return time.Time{}, fmt.Errorf("reading the token key Secret %s: %w", s.Name, err)
	}
	keys, _ := KeysFromSecret(sec)
	want, next, changed, err := s.plan(keys, now)
	if err != nil {
		return time.Time{}, err
	}
	if changed {
		sec = sec.DeepCopy()
		sec.Data = make(map[string][]byte, len(want))
		for _, k := range want {
			sec.Data[k.ID] = k.Secret
		}
		if sec, err = s.Secrets.Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
			return time.Time{}, fmt.Errorf("rotating the token keys in Secret %s: %w", s.Name, err)
		}
		want, _ = KeysFromSecret(sec)
	}
	s.Ring.Set(want)
	return next, nil
}

// plan returns the keys the Secret should hold at now (a new one when the newest is due, the
// retired ones gone; entries that are not keys are dropped), when the next change is due, and
// whether anything changed.
func (s *KeySecret) plan(keys []Key, now time.Time) ([]Key, time.Time, bool, error) {
	slices.SortFunc(keys, func(a, b Key) int { return a.Created.Compare(b.Created) })
	changed := false
	if len(keys) == 0 || !now.Before(keys[len(keys)-1].Created.Add(s.RotateAfter)) {
		key, err := NewKey(now)
		if err != nil {
			return nil, time.Time{}, false, err
		}
		keys, changed = append(keys, key), true
	}
	next := keys[len(keys)-1].Created.Add(s.RotateAfter)
	kept := keys[:0:0]
	for i, k := range keys {
		if i < len(keys)-1 {
			// Replaced when keys[i+1] appeared: its tokens expire MaxTokenLifetime after.
			retire := keys[i+1].Created.Add(s.MaxTokenLifetime + retireMargin)
			if !now.Before(retire) {
				changed = true
				continue
			}
			next = minTime(next, retire)
		}
		kept = append(kept, k)
	}
	return kept, next, changed, nil
}

// Run syncs, then keeps the Keyring in step with the Secret (a watch: another replica's
// rotation or a key removed by hand takes effect at once) and syncs again when a rotation or
// retirement is due, until ctx ends. ready is closed after the first successful sync.
func (s *KeySecret) Run(ctx context.Context, ready chan<- struct{}) error {
	log := logr.FromContextOrDiscard(ctx).WithName("token-keys")
	backoff := time.Second
	var next time.Time
	for {
		var err error
		if next, err = s.Sync(ctx); err == nil {
			break
		}
		if !apierrors.IsConflict(err) && !apierrors.IsAlreadyExists(err) {
			log.Error(err, "syncing the token keys, retrying", "after", backoff)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
	close(ready)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", s.Name).String()
			return s.Secrets.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", s.Name).String()
			return s.Secrets.Watch(ctx, o)
		},
	}
	changed := make(chan struct{}, 1)
	notify := func(any) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	inf := cache.NewSharedIndexInformer(lw, &corev1.Secret{}, 0, cache.Indexers{})
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: notify, UpdateFunc: func(_, o any) { notify(o) }, DeleteFunc: notify,
	}); err != nil {
		return fmt.Errorf("watching the token key Secret: %w", err)
	}
	go inf.RunWithContext(ctx)
	for {
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-changed:
			timer.Stop()
			// The informer watches this one Secret.
			if objs := inf.GetStore().List(); len(objs) == 1 {
				if keys, _ := KeysFromSecret(objs[0].(*corev1.Secret)); len(keys) > 0 {
					s.Ring.Set(keys)
					continue
				}
			}
			// Deleted, or emptied: make it again.
			next = s.syncLogged(ctx, log, next)
		case <-timer.C:
			next = s.syncLogged(ctx, log, next)
		}
	}
}

// syncLogged syncs and returns the next due time, or a retry a little later on error.
func (s *KeySecret) syncLogged(ctx context.Context, log logr.Logger, prev time.Time) time.Time {
	next, err := s.Sync(ctx)
	if err != nil {
		if !apierrors.IsConflict(err) {
			log.Error(err, "syncing the token keys")
		}
		return s.Now().Add(5 * time.Second)
	}
	if len(s.Ring.IDs()) > 0 && !next.Equal(prev) {
		log.V(1).Info("token keys in force", "keys", s.Ring.IDs(), "next change", next)
	}
	return next
}

// KeysFromSecret reads the keys of a key Secret; entries that are not keys are reported, not
// used.
func KeysFromSecret(sec *corev1.Secret) ([]Key, error) {
	var keys []Key
	var errs []error
	for id, secret := range sec.Data {
		k, err := ParseKey(id, secret)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		keys = append(keys, k)
	}
	return keys, errors.Join(errs...)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
