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

// Package authtest holds what the registry's authentication and authorization tests share:
// a fake of the API server's TokenReviews, and RepositoryPolicy fixtures.
package authtest

import (
	"context"
	"slices"
	"sync/atomic"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// TokenReviews answers TokenReviews from a table of token → username ("" rejects) and
// counts the reviews.
type TokenReviews struct {
	// Users maps a token to its user name; a missing or empty name rejects the token.
	Users map[string]string
	// Audiences, when set, are the audiences answered instead of the requested ones.
	Audiences []string
	// Calls counts the reviews.
	Calls atomic.Int32
	// Fail, when set, fails every review.
	Fail error
}

// Clientset is a fake clientset whose TokenReviews f answers.
func (f *TokenReviews) Clientset() *fake.Clientset {
	cs := fake.NewClientset()
	cs.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		f.Calls.Add(1)
		if f.Fail != nil {
			return true, nil, f.Fail
		}
		tr := a.(k8stesting.CreateAction).GetObject().(*authnv1.TokenReview).DeepCopy()
		user, ok := f.Users[tr.Spec.Token]
		if !ok || user == "" {
			tr.Status = authnv1.TokenReviewStatus{Error: "invalid bearer token"}
			return true, tr, nil
		}
		aud := f.Audiences
		if aud == nil {
			aud = tr.Spec.Audiences
		}
		tr.Status = authnv1.TokenReviewStatus{
			Authenticated: true,
			Audiences:     aud,
			User:          authnv1.UserInfo{Username: user, UID: "uid-" + user, Groups: []string{"system:authenticated"}},
		}
		return true, tr, nil
	})
	return cs
}

// Policy is RepositoryPolicy ns/name on repository repo with one statement.
func Policy(ns, repo, name string, effect ecrv1alpha1.Effect, principal ecrv1alpha1.Principal, actions ...ecrv1alpha1.Action) ecrv1alpha1.RepositoryPolicy {
	return ecrv1alpha1.RepositoryPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: ecrv1alpha1.RepositoryPolicySpec{
			RepositoryName: repo,
			Statements:     []ecrv1alpha1.Statement{{Effect: effect, Principals: []ecrv1alpha1.Principal{principal}, Actions: actions}},
		},
	}
}

// ServiceAccount is the principal ServiceAccount ns/name.
func ServiceAccount(ns, name string) ecrv1alpha1.Principal {
	return ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalServiceAccount, Namespace: ns, Name: name}
}

// Store is a registry store (registry/store.Store, and store.CacheRules without any rule)
// over fixed objects.
type Store struct {
	// Repos are the Repositories, as "namespace/name".
	Repos []string
	// PolicySet are the RepositoryPolicies.
	PolicySet []ecrv1alpha1.RepositoryPolicy
}

// Repository returns the Repository namespace/name, or nil.
func (s Store) Repository(_ context.Context, namespace, name string) (*ecrv1alpha1.Repository, error) {
	if slices.Contains(s.Repos, namespace+"/"+name) {
		return &ecrv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}, nil
	}
	return nil, nil
}

// PullThroughCacheRule returns nil: the store holds no pull through cache rule.
func (s Store) PullThroughCacheRule(context.Context, string, string) (*ecrv1alpha1.PullThroughCacheRule, error) {
	return nil, nil
}

// CreationTemplates returns none: the store holds no RepositoryCreationTemplate.
func (s Store) CreationTemplates(context.Context, string) ([]ecrv1alpha1.RepositoryCreationTemplate, error) {
	return nil, nil
}

// Policies returns the RepositoryPolicies of namespace.
func (s Store) Policies(_ context.Context, namespace string) ([]ecrv1alpha1.RepositoryPolicy, error) {
	var out []ecrv1alpha1.RepositoryPolicy
	for _, p := range s.PolicySet {
		if p.Namespace == namespace {
			out = append(out, p)
		}
	}
	return out, nil
}
