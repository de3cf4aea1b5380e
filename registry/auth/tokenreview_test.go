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
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/internal/testutil/authtest"
	"github.com/berth-dev/berth/registry/options"
)

// fakeClock is a settable time source.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// jwtWithExp is a token shaped like a JWT whose payload carries exp (unsigned: the registry
// reads exp without verifying, and the fake review accepts it by value).
func jwtWithExp(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc(fmt.Appendf(nil, `{"exp":%d,"sub":"x"}`, exp.Unix())) + ".sig"
}

func TestTokenCacheHonoursTTLAndExpiry(t *testing.T) {
	clock := newFakeClock()
	shortLived := jwtWithExp(clock.Now().Add(10 * time.Second))
	reviews := &authtest.TokenReviews{Users: map[string]string{
		"opaque":   "system:serviceaccount:team-a:builder",
		shortLived: "system:serviceaccount:team-a:short",
	}}
	a := NewTokenAuthenticator(reviews.Clientset().AuthenticationV1().TokenReviews(), []string{options.DefaultAudience}, 60*time.Second, clock.Now)
	ctx := context.Background()

	auth := func(token string) *Identity {
		t.Helper()
		id, err := a.Authenticate(ctx, token)
		if err != nil {
			t.Fatalf("authenticate(%.10s…): %v", token, err)
		}
		return id
	}
	id := auth("opaque")
	want := policy.NewCaller("system:serviceaccount:team-a:builder", []string{"system:authenticated"})
	if diff := cmp.Diff(want, id.Caller); diff != "" {
		t.Errorf("caller mismatch (-want +got):\n%s", diff)
	}
	auth("opaque")
	if n := reviews.Calls.Load(); n != 1 {
		t.Fatalf("two uses of one token made %d TokenReviews, want 1 (cached)", n)
	}

	auth(shortLived)
	clock.Step(9 * time.Second)
	auth(shortLived)
	if n := reviews.Calls.Load(); n != 2 {
		t.Fatalf("TokenReviews = %d, want 2 (the short-lived token is cached until its exp)", n)
	}
	clock.Step(2 * time.Second) // past the short token's exp, well within the 60s TTL
	auth(shortLived)
	if n := reviews.Calls.Load(); n != 3 {
		t.Fatalf("TokenReviews = %d, want 3: a token's answer must not be cached past its exp", n)
	}

	clock.Step(48 * time.Second) // 59s after the opaque token was reviewed
	auth("opaque")
	if n := reviews.Calls.Load(); n != 3 {
		t.Fatalf("TokenReviews = %d, want 3 (still within the TTL)", n)
	}
	clock.Step(2 * time.Second) // 61s
	auth("opaque")
	if n := reviews.Calls.Load(); n != 4 {
		t.Fatalf("TokenReviews = %d, want 4: answers are cached for at most the TTL", n)
	}
}

func TestTokenCacheTTLIsCappedAtAMinute(t *testing.T) {
	clock := newFakeClock()
	reviews := &authtest.TokenReviews{Users: map[string]string{"t": "alice"}}
	a := NewTokenAuthenticator(reviews.Clientset().AuthenticationV1().TokenReviews(), []string{options.DefaultAudience}, time.Hour, clock.Now)
	for range 2 {
		if _, err := a.Authenticate(context.Background(), "t"); err != nil {
			t.Fatal(err)
		}
		clock.Step(61 * time.Second)
	}
	if n := reviews.Calls.Load(); n != 2 {
		t.Errorf("TokenReviews = %d, want 2: a TTL above 60s must be capped", n)
	}
}

func TestTokenRejections(t *testing.T) {
	clock := newFakeClock()
	reviews := &authtest.TokenReviews{Users: map[string]string{"good": "alice"}}
	a := NewTokenAuthenticator(reviews.Clientset().AuthenticationV1().TokenReviews(), []string{options.DefaultAudience}, time.Minute, clock.Now)
	ctx := context.Background()

	_, err := a.Authenticate(ctx, "bad")
	if !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("unknown token: err = %v, want ErrUnauthenticated", err)
	}
	_, _ = a.Authenticate(ctx, "bad")
	if n := reviews.Calls.Load(); n != 1 {
		t.Errorf("a rejected token was reviewed %d times at once, want 1 (negative cache)", n)
	}
	clock.Step(negativeTokenCacheTTL + time.Second)
	_, _ = a.Authenticate(ctx, "bad")
	if n := reviews.Calls.Load(); n != 2 {
		t.Errorf("a rejected token was not reviewed again after %s (reviews = %d)", negativeTokenCacheTTL, n)
	}

	// An authenticator that answers with other audiences did not accept the token for us.
	reviews.Audiences = []string{"https://kubernetes.default.svc"}
	_, err = a.Authenticate(ctx, "good")
	if !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("token for another audience: err = %v, want ErrUnauthenticated", err)
	}

	// API failures are not rejections and are not cached.
	reviews.Fail = errors.New("connection refused")
	before := reviews.Calls.Load()
	for range 2 {
		_, err = a.Authenticate(ctx, "other")
		if err == nil || errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("API failure: err = %v, want a non-authentication error", err)
		}
	}
	if n := reviews.Calls.Load() - before; n != 2 {
		t.Errorf("failed reviews were cached: %d calls for 2 attempts", n)
	}
}

func TestTokenExpiry(t *testing.T) {
	exp := time.Unix(1_800_000_123, 0)
	enc := base64.RawURLEncoding.EncodeToString
	cases := []struct {
		token  string
		want   time.Time
		wantOK bool
	}{
		{jwtWithExp(exp), exp, true},
		{enc([]byte(`{}`)) + "." + enc([]byte(`{"exp":1800000123.7}`)) + ".s", exp, true},
		{enc([]byte(`{}`)) + "." + enc([]byte(`{"sub":"x"}`)) + ".s", time.Time{}, false},
		{"opaque-token", time.Time{}, false},
		{"a.!!!.c", time.Time{}, false},
		{enc([]byte(`{}`)) + "." + enc([]byte(`not json`)) + ".s", time.Time{}, false},
	}
	for _, tc := range cases {
		got, ok := TokenExpiry(tc.token)
		if ok != tc.wantOK || !got.Equal(tc.want) {
			t.Errorf("TokenExpiry(%q) = %v, %v; want %v, %v", tc.token, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestTTLCacheIsBounded(t *testing.T) {
	clock := newFakeClock()
	c := newTTLCache[int, int](100, clock.Now)
	for i := range 1000 {
		c.set(i, i, clock.Now().Add(time.Minute))
	}
	if n := c.len(); n > 100 {
		t.Errorf("cache holds %d entries, more than its bound 100", n)
	}
	c.set(-1, -1, clock.Now()) // already expired: not stored
	if _, ok := c.get(-1); ok {
		t.Error("an entry expiring now was stored")
	}
	c.set(5000, 1, clock.Now().Add(time.Second))
	clock.Step(time.Second)
	if _, ok := c.get(5000); ok {
		t.Error("an expired entry was returned")
	}
}
