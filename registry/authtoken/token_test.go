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
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func mustKey(t *testing.T, at time.Time) Key {
	t.Helper()
	k, err := NewKey(at)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func claims(exp time.Time) Claims {
	return Claims{User: "alice@example.com", Groups: []string{"team-a", "system:authenticated"}, IssuedAt: t0.Unix(), Expires: exp.Unix()}
}

func TestSignVerify(t *testing.T) {
	ring := &Keyring{}
	if _, err := ring.Sign(claims(t0.Add(time.Hour))); !errors.Is(err, ErrNoKey) {
		t.Fatalf("signing with an empty keyring: %v, want ErrNoKey", err)
	}
	key := mustKey(t, t0)
	ring.Set([]Key{key})
	tok, err := ring.Sign(claims(t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if !Is(tok) || !strings.HasPrefix(tok, Prefix+key.ID+".") {
		t.Fatalf("token %q: want the prefix and the key ID", tok)
	}
	c, err := ring.Verify(tok, t0.Add(59*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if c.User != "alice@example.com" || len(c.Groups) != 2 || c.ID == "" {
		t.Errorf("claims %+v", c)
	}

	other := &Keyring{}
	other.Set([]Key{mustKey(t, t0)})
	sameID := &Keyring{}
	sameID.Set([]Key{{ID: key.ID, Secret: make([]byte, KeySize), Created: key.Created}})
	forged, _ := sameID.Sign(claims(t0.Add(time.Hour)))
	foreign, _ := other.Sign(claims(t0.Add(time.Hour)))
	parts := strings.Split(tok, ".")
	altered := strings.Join([]string{parts[0], parts[1], foreignPayload(t, foreign), parts[3]}, ".")

	for name, tc := range map[string]struct {
		token string
		at    time.Time
		want  error
	}{
		"expired":                {tok, t0.Add(time.Hour), ErrExpired},
		"another registry's key": {foreign, t0, ErrUnknownKey},
		"forged with the key ID": {forged, t0, ErrBadSignature},
		"claims altered":         {altered, t0, ErrBadSignature},
		"a Kubernetes token":     {"eyJhbGciOiJSUzI1NiJ9.e30.c2ln", t0, ErrMalformed},
		"truncated":              {strings.Join(parts[:3], "."), t0, ErrMalformed},
		"signature not base64":   {strings.Join(parts[:3], ".") + ".@@", t0, ErrMalformed},
		"empty":                  {"", t0, ErrMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ring.Verify(tc.token, tc.at); !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

// foreignPayload is the claims part of another token (a different user's, say).
func foreignPayload(t *testing.T, tok string) string {
	t.Helper()
	return strings.Split(tok, ".")[2]
}

// Rotation: a new key signs from the moment it is added; the old one verifies until every
// token it signed has expired; then it is retired and its tokens are refused even if a
// clock says they are valid.
func TestKeyringRotation(t *testing.T) {
	ring := &Keyring{}
	old := mustKey(t, t0)
	ring.Set([]Key{old})
	oldTok, _ := ring.Sign(claims(t0.Add(12 * time.Hour)))
	next := mustKey(t, t0.Add(24*time.Hour))
	ring.Set([]Key{old, next})
	newTok, _ := ring.Sign(claims(t0.Add(36 * time.Hour)))
	if !strings.HasPrefix(newTok, Prefix+next.ID+".") {
		t.Errorf("after rotation the token is signed with %q, want the newest key %s", newTok[:30], next.ID)
	}
	if _, err := ring.Verify(oldTok, t0.Add(11*time.Hour)); err != nil {
		t.Errorf("a token of the previous key before its expiry: %v", err)
	}
	ring.Set([]Key{next})
	if _, err := ring.Verify(oldTok, t0.Add(11*time.Hour)); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("a token of a retired key: %v, want ErrUnknownKey", err)
	}
}

func TestPlan(t *testing.T) {
	s := &KeySecret{RotateAfter: 24 * time.Hour, MaxTokenLifetime: 12 * time.Hour}
	a := mustKey(t, t0)
	b := mustKey(t, t0.Add(24*time.Hour))
	for name, tc := range map[string]struct {
		keys        []Key
		now         time.Time
		wantIDs     []string // "new" stands for a key made by plan
		wantNext    time.Time
		wantChanged bool
	}{
		"none: one made":                 {nil, t0, []string{"new"}, t0.Add(24 * time.Hour), true},
		"young key: nothing":             {[]Key{a}, t0.Add(time.Hour), []string{a.ID}, t0.Add(24 * time.Hour), false},
		"due: a new key, the old kept":   {[]Key{a}, t0.Add(24 * time.Hour), []string{a.ID, "new"}, t0.Add(36*time.Hour + retireMargin), true},
		"old kept while tokens may live": {[]Key{a, b}, t0.Add(36 * time.Hour), []string{a.ID, b.ID}, t0.Add(36*time.Hour + retireMargin), false},
		"old retired":                    {[]Key{a, b}, t0.Add(36*time.Hour + retireMargin), []string{b.ID}, t0.Add(48 * time.Hour), true},
	} {
		t.Run(name, func(t *testing.T) {
			got, next, changed, err := s.plan(append([]Key(nil), tc.keys...), tc.now)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, k := range got {
				id := k.ID
				if !tc.now.IsZero() && k.Created.Equal(tc.now.Truncate(time.Second)) && id != a.ID && id != b.ID {
					id = "new"
				}
				ids = append(ids, id)
			}
			if strings.Join(ids, ",") != strings.Join(tc.wantIDs, ",") || !next.Equal(tc.wantNext) || changed != tc.wantChanged {
				t.Errorf("plan = %v next %s changed %v, want %v next %s changed %v", ids, next, changed, tc.wantIDs, tc.wantNext, tc.wantChanged)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	if _, err := ParseKey("1764666000-abcd", make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
	if _, err := ParseKey("not-a-time", make([]byte, KeySize)); err == nil {
		t.Error("a key ID without a time was accepted")
	}
	k, err := ParseKey("1764666000-abcd", make([]byte, KeySize))
	if err != nil || k.Created.Unix() != 1764666000 {
		t.Errorf("ParseKey = %+v, %v", k, err)
	}
}
