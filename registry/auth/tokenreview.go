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
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authnv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"

	"golang.org/x/sync/singleflight"

	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/registry/authtoken"
	"github.com/berth-dev/berth/registry/options"
)

// Limits of the TokenReview cache.
const (
	// negativeTokenCacheTTL is how long a rejected token stays rejected without asking again,
	// which blunts password guessing and retry storms without delaying a fixed credential much.
	negativeTokenCacheTTL = 5 * time.Second
	// tokenCacheSize bounds the number of cached tokens.
	tokenCacheSize = 10000
	// reviewTimeout bounds one TokenReview or SubjectAccessReview.
	reviewTimeout = 10 * time.Second
)

// ErrUnauthenticated is what authenticate returns (wrapped, with the API server's reason) when
// the API server does not accept a token for our audiences. Any other error is a failure to
// ask, which says nothing about the token.
var ErrUnauthenticated = errors.New("the API server does not accept the token for the registry's audiences")

// Identity is an authenticated (or Anonymous) caller: the policy.Caller that RepositoryPolicy
// statements are matched against, plus what a SubjectAccessReview needs to name the same user.
type Identity struct {
	// Caller is what RepositoryPolicy statements are matched against.
	Caller policy.Caller
	// UID and Extra complete the user for SubjectAccessReviews.
	UID   string
	Extra map[string]authzv1.ExtraValue
	// Key identifies the Identity in the access cache: user, uid, groups and extra.
	Key string
}

// Anonymous is the Identity of requests without credentials.
var Anonymous = NewIdentity(policy.AnonymousCaller(), "", nil)

// NewIdentity builds an Identity and its cache key.
func NewIdentity(c policy.Caller, uid string, extra map[string]authzv1.ExtraValue) *Identity {
	var b strings.Builder
	b.WriteString(c.User)
	b.WriteByte(0)
	b.WriteString(uid)
	for _, g := range c.Groups {
		b.WriteByte(0)
		b.WriteString(g)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(1)
		b.WriteString(k)
		for _, v := range extra[k] {
			b.WriteByte(0)
			b.WriteString(v)
		}
	}
	return &Identity{Caller: c, UID: uid, Extra: extra, Key: b.String()}
}

// tokenResult is a cached TokenReview answer: an Identity, or nil for a rejected token.
type tokenResult struct {
	id     *Identity
	reason string
}

// TokenAuthenticator checks bearer tokens with TokenReview for the registry's audiences and
// caches the answers by the token's SHA-256, for at most ttl and never past the token's own
// expiry. Concurrent requests with the same uncached token share one TokenReview.
type TokenAuthenticator struct {
	reviews   authnv1client.TokenReviewInterface
	audiences []string
	ttl       time.Duration
	cache     *ttlCache[[sha256.Size]byte, tokenResult]
	flight    singleflight.Group
	now       func() time.Time
	// observe counts TokenReviews by result (metrics); may be nil.
	Observe func(result string)
	// Local verifies the registry's own authorization tokens (authtoken.Prefix) without a
	// TokenReview; nil: they are refused.
	Local *authtoken.Keyring
}

// NewTokenAuthenticator reviews tokens for audiences through reviews, trusting an answer
// for ttl (at most options.MaxTokenCacheTTL, and never past the token's own expiry).
func NewTokenAuthenticator(reviews authnv1client.TokenReviewInterface, audiences []string, ttl time.Duration, now func() time.Time) *TokenAuthenticator {
	return &TokenAuthenticator{
		reviews:   reviews,
		audiences: audiences,
		ttl:       min(ttl, options.MaxTokenCacheTTL),
		cache:     newTTLCache[[sha256.Size]byte, tokenResult](tokenCacheSize, now),
		now:       now,
	}
}

// Authenticate returns the Identity the API server gives token. An error wrapping
// ErrUnauthenticated means the token is not accepted; any other error means the API server
// could not be asked.
func (a *TokenAuthenticator) Authenticate(ctx context.Context, token string) (*Identity, error) {
	if authtoken.Is(token) {
		return a.authenticateLocal(token)
	}
	sum := sha256.Sum256([]byte(token))
	if r, ok := a.cache.get(sum); ok {
		return r.Identity()
	}
	v, err, _ := a.flight.Do(string(sum[:]), func() (any, error) {
		if r, ok := a.cache.get(sum); ok {
			return r, nil
		}
		// The review is shared by every request waiting on it, so one client going away must
		// not fail the others.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reviewTimeout)
		defer cancel()
		r, err := a.review(rctx, token)
		if err != nil {
			return nil, err
		}
		a.cache.set(sum, r, a.expiry(token, r))
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(tokenResult).Identity()
}

// authenticateLocal verifies one of the registry's own authorization tokens: its key (held,
// not retired), its signature and its expiry, with no round trip to the API server. What the
// identity may do is decided per request, as for any caller.
func (a *TokenAuthenticator) authenticateLocal(token string) (*Identity, error) {
	if a.Local == nil {
		return nil, fmt.Errorf("%w: this registry does not issue authorization tokens", ErrUnauthenticated)
	}
	c, err := a.Local.Verify(token, a.now())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	return NewIdentity(policy.NewCaller(c.User, c.Groups), c.UID, ExtraValues(c.Extra)), nil
}

func (r tokenResult) Identity() (*Identity, error) {
	if r.id == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnauthenticated, r.reason)
	}
	return r.id, nil
}

// expiry is when a TokenReview answer stops being trusted: after ttl for an accepted token
// (sooner if the token's exp claim says so), after negativeTokenCacheTTL for a rejected one.
func (a *TokenAuthenticator) expiry(token string, r tokenResult) time.Time {
	now := a.now()
	if r.id == nil {
		return now.Add(min(negativeTokenCacheTTL, a.ttl))
	}
	until := now.Add(a.ttl)
	if exp, ok := TokenExpiry(token); ok && exp.Before(until) {
		until = exp
	}
	return until
}

// review asks the API server about token.
func (a *TokenAuthenticator) review(ctx context.Context, token string) (tokenResult, error) {
	tr, err := a.reviews.Create(ctx, &authnv1.TokenReview{
		Spec: authnv1.TokenReviewSpec{Token: token, Audiences: a.audiences},
	}, metav1.CreateOptions{})
	if err != nil {
		a.count("error")
		return tokenResult{}, fmt.Errorf("creating a TokenReview: %w", err)
	}
	st := tr.Status
	switch {
	case !st.Authenticated:
		a.count("rejected")
		reason := st.Error
		if reason == "" {
			reason = "not authenticated"
		}
		return tokenResult{reason: reason}, nil
	case !a.audienceMatches(st.Audiences):
		// An authenticator that ignores audiences answers with none, or with its own; either
		// way the token was not made for the registry.
		a.count("rejected")
		return tokenResult{reason: fmt.Sprintf("the token's audiences %v include none of %v", st.Audiences, a.audiences)}, nil
	}
	a.count("accepted")
	c := policy.NewCaller(st.User.Username, st.User.Groups)
	return tokenResult{id: NewIdentity(c, st.User.UID, ExtraValues(st.User.Extra))}, nil
}

// ExtraValues is an authenticator's extra user information as SubjectAccessReviews take it
// (nil when there is none).
func ExtraValues[V ~[]string](extra map[string]V) map[string]authzv1.ExtraValue {
	if len(extra) == 0 {
		return nil
	}
	out := make(map[string]authzv1.ExtraValue, len(extra))
	for k, v := range extra {
		out[k] = authzv1.ExtraValue(v)
	}
	return out
}

func (a *TokenAuthenticator) audienceMatches(got []string) bool {
	for _, g := range got {
		if slices.Contains(a.audiences, g) {
			return true
		}
	}
	return false
}

func (a *TokenAuthenticator) count(result string) {
	if a.Observe != nil {
		a.Observe(result)
	}
}

// TokenExpiry reads the exp claim of a JWT without verifying anything: it only shortens how
// long a TokenReview answer is cached, and the TokenReview is what verifies the token. ok is
// false for tokens that are not JWTs or carry no exp.
func TokenExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	f, err := claims.Exp.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}
