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

// Package store is the registry's read-only view of the API server: Repositories,
// RepositoryPolicies, PullThroughCacheRules and RepositoryCreationTemplates from an informer
// cache that serves these kinds and nothing else.
package store

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	crcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// Store is what the registry reads from the API server: Repositories and RepositoryPolicies.
// Objects it returns are shared with the informer cache and must not be modified.
type Store interface {
	// Repository returns the Repository namespace/name, or nil when there is none.
	Repository(ctx context.Context, namespace, name string) (*ecrv1alpha1.Repository, error)
	// Policies returns the RepositoryPolicies of namespace.
	Policies(ctx context.Context, namespace string) ([]ecrv1alpha1.RepositoryPolicy, error)
}

// NewInformerCache builds the registry's read-only informer cache: Repositories and
// RepositoryPolicies in every namespace, shared rather than copied on read (the registry never
// writes them), without managed fields. Reading any other kind is an error rather than a new
// informer, so the registry's RBAC (get/list/watch on the two kinds) stays sufficient.
func NewInformerCache(cfg *rest.Config, scheme *runtime.Scheme) (crcache.Cache, error) {
	c, err := crcache.New(cfg, crcache.Options{
		Scheme:                       scheme,
		DefaultTransform:             crcache.TransformStripManagedFields(),
		DefaultUnsafeDisableDeepCopy: ptr.To(true),
		ReaderFailOnMissingInformer:  true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the informer cache: %w", err)
	}
	return c, nil
}

// StartInformers registers the informers, so that the cache starts them.
func StartInformers(ctx context.Context, c crcache.Cache) error {
	for _, obj := range []client.Object{&ecrv1alpha1.Repository{}, &ecrv1alpha1.RepositoryPolicy{}, &ecrv1alpha1.PullThroughCacheRule{}, &ecrv1alpha1.RepositoryCreationTemplate{}} {
		if _, err := c.GetInformer(ctx, obj); err != nil {
			return fmt.Errorf("registering the %T informer: %w", obj, err)
		}
	}
	return nil
}

// CacheStore reads from the informer cache.
type CacheStore struct {
	Reader client.Reader
}

// Repository returns the cached Repository namespace/name, or nil when there is none.
func (s CacheStore) Repository(ctx context.Context, namespace, name string) (*ecrv1alpha1.Repository, error) {
	var r ecrv1alpha1.Repository
	if err := s.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &r); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading Repository %s/%s from the cache: %w", namespace, name, err)
	}
	return &r, nil
}

// Policies returns the cached RepositoryPolicies of namespace.
func (s CacheStore) Policies(ctx context.Context, namespace string) ([]ecrv1alpha1.RepositoryPolicy, error) {
	var l ecrv1alpha1.RepositoryPolicyList
	if err := s.Reader.List(ctx, &l, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing RepositoryPolicies in %s from the cache: %w", namespace, err)
	}
	return l.Items, nil
}

// CacheRules is what the pull through cache reads: the rules and creation templates of a
// namespace.
type CacheRules interface {
	// PullThroughCacheRule returns the rule of namespace for prefix, or nil when there is none.
	PullThroughCacheRule(ctx context.Context, namespace, prefix string) (*ecrv1alpha1.PullThroughCacheRule, error)
	// CreationTemplates returns the RepositoryCreationTemplates of namespace.
	CreationTemplates(ctx context.Context, namespace string) ([]ecrv1alpha1.RepositoryCreationTemplate, error)
}

// PullThroughCacheRule returns the cached rule of namespace for prefix (the rule's name is its
// prefix), or nil when there is none.
func (s CacheStore) PullThroughCacheRule(ctx context.Context, namespace, prefix string) (*ecrv1alpha1.PullThroughCacheRule, error) {
	var r ecrv1alpha1.PullThroughCacheRule
	if err := s.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: prefix}, &r); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading PullThroughCacheRule %s/%s from the cache: %w", namespace, prefix, err)
	}
	if r.Spec.EcrRepositoryPrefix != prefix {
		return nil, nil // the schema forbids it; a rule that got past it claims nothing
	}
	return &r, nil
}

// CreationTemplates returns the cached RepositoryCreationTemplates of namespace.
func (s CacheStore) CreationTemplates(ctx context.Context, namespace string) ([]ecrv1alpha1.RepositoryCreationTemplate, error) {
	var l ecrv1alpha1.RepositoryCreationTemplateList
	if err := s.Reader.List(ctx, &l, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing RepositoryCreationTemplates in %s from the cache: %w", namespace, err)
	}
	return l.Items, nil
}
