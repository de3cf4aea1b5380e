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

package auth

import (
	"sync"
	"time"
)

// ttlCache is a bounded map whose entries expire at a time given per entry. It backs the
// TokenReview and SubjectAccessReview caches, so that a hot pull costs no API round trip.
//
// It is bounded because its keys come from callers (token hashes): when it is full, expired
// entries are dropped first, then arbitrary ones, so garbage tokens cannot grow memory.
type ttlCache[K comparable, V any] struct {
	mu      sync.RWMutex
	entries map[K]ttlEntry[V]
	max     int
	now     func() time.Time
}

type ttlEntry[V any] struct {
	value   V
	expires time.Time
}

// newTTLCache returns a cache holding at most max entries, reading the time from now.
func newTTLCache[K comparable, V any](maxEntries int, now func() time.Time) *ttlCache[K, V] {
	return &ttlCache[K, V]{entries: make(map[K]ttlEntry[V]), max: maxEntries, now: now}
}

// get returns the value for key if it has not expired.
func (c *ttlCache[K, V]) get(key K) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// set stores value for key until expires; an expiry not in the future stores nothing.
func (c *ttlCache[K, V]) set(key K, value V, expires time.Time) {
	now := c.now()
	if !now.Before(expires) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[key] = ttlEntry[V]{value: value, expires: expires}
}

// evict makes room: every expired entry goes, and if that frees less than a tenth of the
// cache, arbitrary entries (map order) go too. Called with mu held.
func (c *ttlCache[K, V]) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < c.max-c.max/10 {
			break
		}
		delete(c.entries, k)
	}
}

// len is the number of entries, expired or not (for tests).
func (c *ttlCache[K, V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
