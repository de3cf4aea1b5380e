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
	"fmt"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authzv1client "k8s.io/client-go/kubernetes/typed/authorization/v1"

	"golang.org/x/sync/singleflight"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/registry/store"
)

// RBAC coordinates of the registry's SubjectAccessReviews: the verbs of policy.Verb on
// repositories.ecr.berth.dev, which the berth-registry-reader, -poweruser and -admin
// ClusterRoles grant.
const (
	rbacResource = "repositories"
	// accessCacheSize bounds the number of cached SubjectAccessReview answers.
	accessCacheSize = 50000
)

// Decision is the Authorizer's answer to one requirement.
type Decision struct {
	Allowed bool
	// Reason says why, in words a user can act on.
	Reason string
}

// Authorizer decides requirements in ECR's order (docs/registry-internals.md): an explicit
// Deny in a RepositoryPolicy, then an Allow, then RBAC through a SubjectAccessReview (cached
// for ttl), otherwise deny. Policies are read from the informer cache on every decision, so a
// changed RepositoryPolicy applies to the next request.
type Authorizer struct {
	store   store.Store
	reviews authzv1client.SubjectAccessReviewInterface
	ttl     time.Duration
	cache   *ttlCache[string, bool]
	flight  singleflight.Group
	now     func() time.Time
	// observe counts SubjectAccessReviews by result (metrics); may be nil.
	Observe func(result string)
}

// NewAuthorizer decides with the policies of s and the SubjectAccessReviews of reviews,
// remembering RBAC answers for ttl.
func NewAuthorizer(s store.Store, reviews authzv1client.SubjectAccessReviewInterface, ttl time.Duration, now func() time.Time) *Authorizer {
	return &Authorizer{store: s, reviews: reviews, ttl: ttl, cache: newTTLCache[string, bool](accessCacheSize, now), now: now}
}

// Decide answers one requirement for id. An error means the Decision could not be made (the
// cache or the API server failed); it is never a denial.
func (a *Authorizer) Decide(ctx context.Context, id *Identity, req policy.Requirement) (Decision, error) {
	if req.Repository == "" {
		// Registry-level actions (the catalog) have no repository, so no policy: RBAC
		// decides, cluster-wide.
		return a.rbac(ctx, id, req, "", "")
	}
	namespace, name, err := policy.SplitRepository(req.Repository)
	if err != nil {
		return Decision{Reason: err.Error()}, nil //nolint:nilerr // a name that cannot be a Repository is a denial, not a failure
	}
	policies, err := a.store.Policies(ctx, namespace)
	if err != nil {
		return Decision{}, err
	}
	r := policy.Evaluate(policies, id.Caller, req.Action, namespace, name)
	switch r.Decision {
	case policy.DecisionAllow:
		return Decision{Allowed: true, Reason: r.Reason}, nil
	case policy.DecisionNoOpinion:
		return a.rbac(ctx, id, req, namespace, name)
	default:
		return Decision{Reason: "explicit Deny: " + r.Reason}, nil
	}
}

// MayPull reports whether id may pull repository namespace/name, as the catalog filter
// needs; errors count as no.
func (a *Authorizer) MayPull(ctx context.Context, id *Identity, repository string) bool {
	d, err := a.Decide(ctx, id, policy.Requirement{Repository: repository, Action: policy.ActionBatchGetImage, Verb: policy.VerbPull})
	return err == nil && d.Allowed
}

// rbac asks (or remembers) whether RBAC grants req.Verb on the repository; an empty
// namespace asks cluster-wide.
func (a *Authorizer) rbac(ctx context.Context, id *Identity, req policy.Requirement, namespace, name string) (Decision, error) {
	key := id.Key + "\x02" + string(req.Verb) + "\x00" + namespace + "\x00" + name
	allowed, ok := a.cache.get(key)
	if !ok {
		v, err, _ := a.flight.Do(key, func() (any, error) {
			if allowed, ok := a.cache.get(key); ok {
				return allowed, nil
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reviewTimeout)
			defer cancel()
			allowed, err := a.review(rctx, id, req.Verb, namespace, name)
			if err != nil {
				return false, err
			}
			a.cache.set(key, allowed, a.now().Add(a.ttl))
			return allowed, nil
		})
		if err != nil {
			return Decision{}, err
		}
		allowed = v.(bool)
	}
	where := "in namespace " + namespace
	if namespace == "" {
		where = "cluster-wide"
	}
	if allowed {
		return Decision{Allowed: true, Reason: fmt.Sprintf("RBAC grants verb %s on %s.%s %s", req.Verb, rbacResource, ecrv1alpha1.GroupVersion.Group, where)}, nil
	}
	return Decision{Reason: fmt.Sprintf("no RepositoryPolicy allows %s and RBAC grants no verb %s on %s.%s %s", req.Action, req.Verb, rbacResource, ecrv1alpha1.GroupVersion.Group, where)}, nil
}

// review creates the SubjectAccessReview.
func (a *Authorizer) review(ctx context.Context, id *Identity, verb policy.Verb, namespace, name string) (bool, error) {
	sar, err := a.reviews.Create(ctx, &authzv1.SubjectAccessReview{
		Spec: authzv1.SubjectAccessReviewSpec{
			User:   id.Caller.User,
			Groups: id.Caller.Groups,
			UID:    id.UID,
			Extra:  id.Extra,
			ResourceAttributes: &authzv1.ResourceAttributes{
				Namespace: namespace,
				Verb:      string(verb),
				Group:     ecrv1alpha1.GroupVersion.Group,
				Resource:  rbacResource,
				Name:      name,
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		a.count("error")
		return false, fmt.Errorf("creating a SubjectAccessReview: %w", err)
	}
	if sar.Status.Allowed && !sar.Status.Denied {
		a.count("allowed")
		return true, nil
	}
	a.count("denied")
	return false, nil
}

func (a *Authorizer) count(result string) {
	if a.Observe != nil {
		a.Observe(result)
	}
}
