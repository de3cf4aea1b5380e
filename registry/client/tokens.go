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

package client

import (
	"context"
	"fmt"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	crclient "sigs.k8s.io/controller-runtime/pkg/client"
)

// Token is a ServiceAccount token for the registry's audience.
type Token struct {
	// Token is the bearer token.
	Token string
	// Expiry is when the token expires.
	Expiry time.Time
	// RenewAt is half-way to expiry: a token is never used near its end, and the API server
	// sees one TokenRequest per half-life.
	RenewAt time.Time
}

// RequestToken asks the TokenRequest API for a token of sa with audience, lifetime
// long; the one place the renewal rule (half-life) is decided.
func RequestToken(ctx context.Context, c crclient.Client, sa *corev1.ServiceAccount, audience string, lifetime time.Duration, now time.Time) (Token, error) {
	tr := &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{
		Audiences:         []string{audience},
		ExpirationSeconds: ptr.To(int64(lifetime / time.Second)),
	}}
	if err := c.SubResource("token").Create(ctx, sa, tr); err != nil {
		return Token{}, fmt.Errorf("requesting a registry token for ServiceAccount %s/%s: %w", sa.Namespace, sa.Name, err)
	}
	expiry := tr.Status.ExpirationTimestamp.Time
	if expiry.IsZero() {
		expiry = now.Add(lifetime)
	}
	return Token{Token: tr.Status.Token, Expiry: expiry, RenewAt: now.Add(expiry.Sub(now) / 2)}, nil
}
