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

package policy

import (
	"fmt"
	"strconv"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// Decision is what RepositoryPolicies say about a request. The zero value is DecisionDeny, so
// a Result that was never filled in refuses.
type Decision int

// Decisions, in ECR's order of precedence.
const (
	// DecisionDeny: an explicit Deny statement matches; nothing else can allow the request.
	DecisionDeny Decision = iota
	// DecisionAllow: an Allow statement matches and no Deny does.
	DecisionAllow
	// DecisionNoOpinion: no statement matches; the registry asks RBAC through a
	// SubjectAccessReview, and refuses if RBAC says no.
	DecisionNoOpinion
)

// String names the decision for logs.
func (d Decision) String() string {
	switch d {
	case DecisionDeny:
		return "Deny"
	case DecisionAllow:
		return "Allow"
	case DecisionNoOpinion:
		return "NoOpinion"
	default:
		return "Decision(" + strconv.Itoa(int(d)) + ")"
	}
}

// Result is a Decision with the statement that made it, so that logs, events and error
// messages can tell a user which policy to change.
type Result struct {
	// Decision is Deny, Allow or NoOpinion.
	Decision Decision
	// Policy is the name of the deciding RepositoryPolicy (in the repository's namespace);
	// empty for NoOpinion.
	Policy string
	// Sid is the deciding statement's sid; empty for NoOpinion or a statement without one.
	Sid string
	// Reason says in words why, naming the policy, statement, principal and action.
	Reason string
}

// Evaluate applies the RepositoryPolicies to one request: may caller perform action on
// Repository repository in namespace? It follows ECR (docs/registry-internals.md):
//
//  1. a Deny statement that matches the caller and the action, in any policy for the
//     repository, decides DecisionDeny, whatever else says;
//  2. otherwise a matching Allow statement decides DecisionAllow;
//  3. otherwise DecisionNoOpinion, and RBAC decides.
//
// Only policies in the repository's own namespace count, whatever their repositoryName says;
// repositoryName "*" covers every repository in that namespace. Principals match as described
// on Caller ({kind: Group, name: "*"} is every caller, so a Deny for it beats every Allow);
// actions as MatchAction, in any case. What the schema forbids fails closed: a statement whose
// effect is neither Allow nor Deny is treated as Deny, and a principal that ValidatePrincipal
// refuses (a partial wildcard, say) matches every caller in a Deny and nobody in an Allow.
// Policy status is not consulted: a policy is in force as soon as it exists, and Validate says
// what in it is not enforced as written.
//
// The result does not depend on the order of policies: when several statements match, the one
// reported is the first by policy name (unique within a namespace), then statement position.
// action is a concrete action name, such as a Requirement's. An empty namespace or repository
// has no policies.
func Evaluate(policies []ecrv1alpha1.RepositoryPolicy, caller Caller, action, namespace, repository string) Result {
	if namespace == "" || repository == "" {
		return Result{Decision: DecisionNoOpinion, Reason: "no repository named, so no RepositoryPolicy applies"}
	}
	id := newIdentity(caller)
	var deny, allow match
	for i := range policies {
		p := &policies[i]
		if p.Namespace != namespace {
			continue
		}
		if name := p.Spec.RepositoryName; name != repository && name != "*" {
			continue
		}
		for j := range p.Spec.Statements {
			s := &p.Spec.Statements[j]
			isDeny := s.Effect != ecrv1alpha1.EffectAllow
			best := &allow
			if isDeny {
				best = &deny
			} else if deny.policy != nil {
				continue // a Deny is already certain; Allows no longer matter
			}
			if best.policy != nil && !before(p, j, best) {
				continue
			}
			if !matchesAnyAction(s.Actions, action) {
				continue
			}
			for k := range s.Principals {
				if id.matches(&s.Principals[k], isDeny) {
					*best = match{policy: p, statement: j, principal: k}
					break
				}
			}
		}
	}
	switch {
	case deny.policy != nil:
		return deny.result(DecisionDeny, "denies", action, namespace, repository)
	case allow.policy != nil:
		return allow.result(DecisionAllow, "allows", action, namespace, repository)
	default:
		return Result{
			Decision: DecisionNoOpinion,
			Reason:   fmt.Sprintf("no RepositoryPolicy statement in namespace %s matches %s on %s for %s; RBAC decides", namespace, action, repository, describeCaller(caller)),
		}
	}
}

// match is a statement that matched the request.
type match struct {
	policy    *ecrv1alpha1.RepositoryPolicy
	statement int
	principal int
}

// before reports whether statement j of p comes before m in the reporting order.
func before(p *ecrv1alpha1.RepositoryPolicy, j int, m *match) bool {
	if p.Name != m.policy.Name {
		return p.Name < m.policy.Name
	}
	return j < m.statement
}

func (m *match) result(d Decision, verb, action, namespace, repository string) Result {
	s := &m.policy.Spec.Statements[m.statement]
	stmt := "statement " + strconv.Itoa(m.statement+1)
	if s.Sid != "" {
		stmt += " (" + s.Sid + ")"
	}
	return Result{
		Decision: d,
		Policy:   m.policy.Name,
		Sid:      s.Sid,
		Reason: fmt.Sprintf("RepositoryPolicy %s/%s %s %s %s on %s to %s",
			namespace, m.policy.Name, stmt, verb, action, repository, describePrincipal(&s.Principals[m.principal])),
	}
}

// describeCaller names the caller in reasons.
func describeCaller(c Caller) string {
	if c.User == "" {
		return UserAnonymous
	}
	return c.User
}
