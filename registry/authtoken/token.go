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

// Package authtoken issues and verifies berth-registry's own authorization tokens (ECR's
// GetAuthorizationToken): a credential that carries a Kubernetes identity (user, uid, groups,
// extra) and an expiry, signed with HMAC-SHA256 under a key the registry replicas share in a
// Secret. The registry verifies them locally, with no TokenReview round trip; what a token may
// do is still decided per request (RBAC and RepositoryPolicies), so a token grants nothing by
// itself. Keys rotate: the newest signs, older ones verify until every token they signed has
// expired, then they are retired (removed from the Secret), which also revokes at once
// anything they signed.
package authtoken

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Prefix starts every authorization token; a Kubernetes token (a JWT) never does.
const Prefix = "berth1."

// KeySize is the length of an HMAC key in bytes.
const KeySize = 32

// Errors of Verify, wrapped with the detail.
var (
	// ErrMalformed: not an authorization token of this format.
	ErrMalformed = errors.New("malformed authorization token")
	// ErrUnknownKey: signed with a key this registry does not hold: retired, or another
	// registry's.
	ErrUnknownKey = errors.New("authorization token signed with an unknown or retired key")
	// ErrBadSignature: the signature does not match: forged or altered.
	ErrBadSignature = errors.New("authorization token signature does not match")
	// ErrExpired: past its expiry.
	ErrExpired = errors.New("authorization token expired")
	// ErrNoKey: the keyring holds no key to sign with yet.
	ErrNoKey = errors.New("no signing key loaded")
)

// Claims is what a token carries.
type Claims struct {
	// User is the Kubernetes user name.
	User string `json:"sub"`
	// UID is the user's UID, when known.
	UID string `json:"uid,omitempty"`
	// Groups are the user's groups.
	Groups []string `json:"grp,omitempty"`
	// Extra is the authenticator's extra information.
	Extra map[string][]string `json:"ext,omitempty"`
	// IssuedAt and Expires are Unix seconds.
	IssuedAt int64 `json:"iat"`
	Expires  int64 `json:"exp"`
	// ID tells tokens apart in logs.
	ID string `json:"jti"`
}

// ExpiresAt is the expiry as a time.
func (c Claims) ExpiresAt() time.Time { return time.Unix(c.Expires, 0) }

// Key is one HMAC key with the time it was made, which its ID encodes.
type Key struct {
	ID      string
	Secret  []byte
	Created time.Time
}

// NewKey makes a random key created at now. Its ID is "<unix seconds>-<8 hex digits>", a
// valid Secret data key that sorts keys by age.
func NewKey(now time.Time) (Key, error) {
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("generating a token key: %w", err)
	}
	tag := make([]byte, 4)
	if _, err := rand.Read(tag); err != nil {
		return Key{}, fmt.Errorf("generating a token key ID: %w", err)
	}
	return Key{ID: strconv.FormatInt(now.Unix(), 10) + "-" + hex.EncodeToString(tag), Secret: secret, Created: now.Truncate(time.Second)}, nil
}

// ParseKey reads a key from its ID and secret (a Secret's data entry).
func ParseKey(id string, secret []byte) (Key, error) {
	sec, _, ok := strings.Cut(id, "-")
	unix, err := strconv.ParseInt(sec, 10, 64)
	if !ok || err != nil || unix <= 0 {
		return Key{}, fmt.Errorf("token key %q: the ID must be <unix seconds>-<tag>", id)
	}
	if len(secret) < KeySize {
		return Key{}, fmt.Errorf("token key %q: %d bytes, want at least %d", id, len(secret), KeySize)
	}
	return Key{ID: id, Secret: secret, Created: time.Unix(unix, 0)}, nil
}

// Keyring holds the keys tokens are signed and verified with. The newest key signs; every key
// held verifies. Safe for concurrent use.
type Keyring struct {
	mu   sync.RWMutex
	keys map[string]Key
	// signing is the newest key's ID.
	signing string
}

// Set replaces the keys.
func (k *Keyring) Set(keys []Key) {
	m := make(map[string]Key, len(keys))
	signing := ""
	var newest time.Time
	for _, key := range keys {
		m[key.ID] = key
		if signing == "" || key.Created.After(newest) || (key.Created.Equal(newest) && key.ID > signing) {
			signing, newest = key.ID, key.Created
		}
	}
	k.mu.Lock()
	k.keys, k.signing = m, signing
	k.mu.Unlock()
}

// IDs lists the keys held, oldest first.
func (k *Keyring) IDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	ids := slices.Collect(maps.Keys(k.keys))
	slices.SortFunc(ids, func(a, b string) int { return k.keys[a].Created.Compare(k.keys[b].Created) })
	return ids
}

// Sign makes a token of c with the newest key.
func (k *Keyring) Sign(c Claims) (string, error) {
	k.mu.RLock()
	key, ok := k.keys[k.signing]
	k.mu.RUnlock()
	if !ok {
		return "", ErrNoKey
	}
	if c.ID == "" {
		id := make([]byte, 8)
		if _, err := rand.Read(id); err != nil {
			return "", fmt.Errorf("generating a token ID: %w", err)
		}
		c.ID = hex.EncodeToString(id)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encoding the token's claims: %w", err)
	}
	signed := Prefix + key.ID + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signed + "." + base64.RawURLEncoding.EncodeToString(mac(key.Secret, signed)), nil
}

// Verify checks token's key, signature and expiry at now and returns its claims.
func (k *Keyring) Verify(token string, now time.Time) (Claims, error) {
	rest, ok := strings.CutPrefix(token, Prefix)
	parts := strings.Split(rest, ".")
	if !ok || len(parts) != 3 {
		return Claims{}, ErrMalformed
	}
	k.mu.RLock()
	key, known := k.keys[parts[0]]
	k.mu.RUnlock()
	if !known {
		return Claims{}, fmt.Errorf("%w (key %q)", ErrUnknownKey, parts[0])
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal(sig, mac(key.Secret, Prefix+parts[0]+"."+parts[1])) {
		return Claims{}, ErrBadSignature
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil || c.User == "" {
		return Claims{}, ErrMalformed
	}
	if !now.Before(c.ExpiresAt()) {
		return Claims{}, fmt.Errorf("%w at %s", ErrExpired, c.ExpiresAt().UTC().Format(time.RFC3339))
	}
	return c, nil
}

// Is reports whether s has the form of an authorization token (not whether it is valid).
func Is(s string) bool { return strings.HasPrefix(s, Prefix) }

func mac(secret []byte, signed string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(signed))
	return h.Sum(nil)
}
