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

package envtest

import (
	"context"
	"fmt"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WaitForBinding waits, up to timeout, until the API server's RBAC authorizer — which reads
// bindings from its own informers — grants subject the first rule of clusterRole in ns (""
// for a ClusterRoleBinding). A request sent earlier would be denied, and a registry would
// cache that answer for its access cache TTL.
func WaitForBinding(ctx context.Context, c client.Reader, kube kubernetes.Interface, ns, clusterRole string, subject rbacv1.Subject, timeout time.Duration) error {
	role := &rbacv1.ClusterRole{}
	if err := c.Get(ctx, client.ObjectKey{Name: clusterRole}, role); err != nil {
		return err
	}
	if len(role.Rules) == 0 || len(role.Rules[0].Verbs) == 0 || len(role.Rules[0].Resources) == 0 {
		return fmt.Errorf("ClusterRole %s has no resource rule to check a binding with", clusterRole)
	}
	rule := role.Rules[0]
	attrs := &authzv1.ResourceAttributes{Namespace: ns, Verb: rule.Verbs[0], Resource: rule.Resources[0]}
	if len(rule.APIGroups) > 0 {
		attrs.Group = rule.APIGroups[0]
	}
	if len(rule.ResourceNames) > 0 {
		attrs.Name = rule.ResourceNames[0]
	}
	review := authzv1.SubjectAccessReviewSpec{ResourceAttributes: attrs}
	switch subject.Kind {
	case rbacv1.UserKind:
		review.User = subject.Name
	case rbacv1.GroupKind:
		review.User, review.Groups = "berth-test-member-of-"+subject.Name, []string{subject.Name}
	case rbacv1.ServiceAccountKind:
		review.User = "system:serviceaccount:" + subject.Namespace + ":" + subject.Name
		review.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + subject.Namespace}
	}
	deadline := time.Now().Add(timeout)
	for {
		sar, err := kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: review}, metav1.CreateOptions{})
		switch {
		case err == nil && sar.Status.Allowed:
			return nil
		case err == nil:
			err = fmt.Errorf("the API server does not grant %s %s the binding to %s yet", subject.Kind, subject.Name, clusterRole)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
