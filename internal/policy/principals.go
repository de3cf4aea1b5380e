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
	"slices"
	"strings"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// Kubernetes user and group names with a fixed meaning (the same strings as
// k8s.io/apiserver/pkg/authentication/user and serviceaccount).
const (
	// UserAnonymous is the user name of requests without credentials.
	UserAnonymous = "system:anonymous"
	// GroupUnauthenticated holds anonymous callers; a policy Allow for it also covers
	// authenticated callers (see Caller).
	GroupUnauthenticated = "system:unauthenticated"
	// GroupAuthenticated holds every authenticated caller.
	GroupAuthenticated = "system:authenticated"
	// GroupServiceAccounts holds every ServiceAccount.
	GroupServiceAccounts = "system:serviceaccounts"
	// ServiceAccountUsernamePrefix starts every ServiceAccount user name:
	// system:serviceaccount:<namespace>:<name>.
	ServiceAccountUsernamePrefix = "system:serviceaccount:"
	// ServiceAccountGroupPrefix starts the per-namespace ServiceAccount group:
	// system:serviceaccounts:<namespace>.
	ServiceAccountGroupPrefix = "system:serviceaccounts:"
)

// ServiceAccountRef names a ServiceAccount.
type ServiceAccountRef struct {
	// Namespace is the ServiceAccount's namespace.
	Namespace string
	// Name is the ServiceAccount's name.
	Name string
}

// GroupEveryone is the group name of the one wildcard principal, {kind: Group, name: "*"}: every
// caller, authenticated or anonymous, in an Allow and in a Deny alike (ECR's "Principal": "*").
const GroupEveryone = ecrv1alpha1.PrincipalNameEveryone

// Caller is who makes a registry request, as the TokenReview (or the lack of credentials)
// established it. Build it with NewCaller or AnonymousCaller, which add the groups Kubernetes
// implies.
//
// Policy principals designate a Caller as RBAC subjects do: a ServiceAccount principal matches
// the user name system:serviceaccount:<namespace>:<name>, a User principal the user name, a
// Group principal one of the groups. On top of that, the special names mean what they say even
// when the group list is incomplete:
//
//   - group "*" (GroupEveryone) designates every caller, authenticated or anonymous, in an Allow
//     (the repository is public) and in a Deny (nobody may), as ECR's "Principal": "*";
//   - group system:authenticated designates every caller that is not anonymous;
//   - group system:unauthenticated and user system:anonymous designate anonymous callers, and in
//     an Allow every caller: anything anonymous callers may do, an authenticated caller could do
//     by dropping its credentials, so a public repository stays pullable by clients whose docker
//     config or imagePullSecret sends credentials anyway. An explicit Deny still wins, and a Deny
//     naming them hits anonymous callers only.
//
// An anonymous caller is allowed only through those anonymous names and "*", but a Deny also
// matches its raw user name and groups, so a contradictory Caller (flagged anonymous yet carrying
// a user name or system:authenticated) is denied rather than let through.
//
// Names never hold wildcards: a principal that ValidatePrincipal refuses (system:serviceaccounts:*,
// a User "*", an unknown kind) cannot be enforced as written, so it fails closed: in a Deny it
// designates every caller, in an Allow nobody.
type Caller struct {
	// User is the Kubernetes user name, such as system:serviceaccount:team-b:builder.
	User string
	// Groups are the caller's groups.
	Groups []string
	// ServiceAccount is set when User is a ServiceAccount user name. It is informational (for
	// logs and events): principals are matched on User, as RBAC does.
	ServiceAccount *ServiceAccountRef
	// Anonymous is true for callers without credentials. A Caller with an empty User, or with
	// User system:anonymous, is treated as anonymous too, so the zero Caller gets no more than
	// an anonymous one.
	Anonymous bool
}

// AnonymousCaller is the caller of a request without credentials: user system:anonymous in
// group system:unauthenticated.
func AnonymousCaller() Caller {
	return Caller{User: UserAnonymous, Groups: []string{GroupUnauthenticated}, Anonymous: true}
}

// NewCaller builds a Caller from the username and groups of a TokenReview's status.user
// (authentication.k8s.io UserInfo). It adds what the API server would imply, so that policies
// match whatever authenticator produced the identity: system:authenticated for every
// authenticated user, and system:serviceaccounts plus system:serviceaccounts:<namespace> for
// ServiceAccounts. An empty username or system:anonymous gives an anonymous caller, whose groups
// hold system:unauthenticated and never system:authenticated. Groups keep their order, without
// duplicates; the input slice is not modified.
func NewCaller(username string, groups []string) Caller {
	if username == "" || username == UserAnonymous {
		c := AnonymousCaller()
		for _, g := range groups {
			if g != GroupAuthenticated && !slices.Contains(c.Groups, g) {
				c.Groups = append(c.Groups, g)
			}
		}
		return c
	}
	c := Caller{User: username, Groups: make([]string, 0, len(groups)+3)}
	add := func(g string) {
		if !slices.Contains(c.Groups, g) {
			c.Groups = append(c.Groups, g)
		}
	}
	for _, g := range groups {
		add(g)
	}
	if ns, name, ok := ParseServiceAccountUsername(username); ok {
		c.ServiceAccount = &ServiceAccountRef{Namespace: ns, Name: name}
		add(GroupServiceAccounts)
		add(ServiceAccountGroupPrefix + ns)
	}
	add(GroupAuthenticated)
	return c
}

// ParseServiceAccountUsername splits system:serviceaccount:<namespace>:<name> into its parts;
// ok is false for any other user name, including ones with extra ":" separators, as the API
// server's own parser decides.
func ParseServiceAccountUsername(username string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(username, ServiceAccountUsernamePrefix)
	if !ok {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	if !ok || namespace == "" || name == "" || strings.Contains(name, ":") {
		return "", "", false
	}
	return namespace, name, true
}

// ServiceAccountUsername is the user name of ServiceAccount name in namespace.
func ServiceAccountUsername(namespace, name string) string {
	return ServiceAccountUsernamePrefix + namespace + ":" + name
}

// identity is a Caller prepared for matching, computed once per evaluation without allocating.
type identity struct {
	user      string
	groups    []string
	anonymous bool
	saNS      string // set when user is a ServiceAccount user name
	saName    string
}

func newIdentity(c Caller) identity {
	id := identity{
		user:      c.User,
		groups:    c.Groups,
		anonymous: c.Anonymous || c.User == "" || c.User == UserAnonymous,
	}
	id.saNS, id.saName, _ = ParseServiceAccountUsername(c.User)
	return id
}

func (id *identity) inGroup(g string) bool {
	return slices.Contains(id.groups, g)
}

// matches reports whether principal p designates the caller in a statement that denies (deny)
// or allows; the rules are those on Caller. A principal that ValidatePrincipal refuses fails
// closed: it matches every caller in a Deny and none in an Allow. ValidatePrincipal only runs
// when its answer can change the result (a Deny that did not match, an Allow that did).
func (id *identity) matches(p *ecrv1alpha1.Principal, deny bool) bool {
	if deny {
		return id.matchesAsWritten(p, deny) || ValidatePrincipal(p) != nil
	}
	return id.matchesAsWritten(p, deny) && ValidatePrincipal(p) == nil
}

// matchesAsWritten is matches for a valid principal.
func (id *identity) matchesAsWritten(p *ecrv1alpha1.Principal, deny bool) bool {
	switch p.Kind {
	case ecrv1alpha1.PrincipalServiceAccount:
		return id.saName != "" && id.saNS == p.Namespace && id.saName == p.Name && (deny || !id.anonymous)
	case ecrv1alpha1.PrincipalUser:
		if p.Name == UserAnonymous {
			return !deny || id.anonymous || id.user == p.Name
		}
		return id.user == p.Name && (deny || !id.anonymous)
	case ecrv1alpha1.PrincipalGroup:
		switch p.Name {
		case GroupEveryone:
			return true
		case GroupAuthenticated:
			return !id.anonymous || (deny && id.inGroup(p.Name))
		case GroupUnauthenticated:
			return !deny || id.anonymous || id.inGroup(p.Name)
		default:
			return id.inGroup(p.Name) && (deny || !id.anonymous)
		}
	default:
		return false
	}
}

// describePrincipal renders p for decision reasons; a principal that ValidatePrincipal refuses
// is said to be enforced as every caller (it only decides through a Deny).
func describePrincipal(p *ecrv1alpha1.Principal) string {
	if err := ValidatePrincipal(p); err != nil {
		return fmt.Sprintf("every caller, because its principal %s cannot be enforced as written (%v)", describeValidPrincipal(p), err)
	}
	return describeValidPrincipal(p)
}

func describeValidPrincipal(p *ecrv1alpha1.Principal) string {
	switch {
	case p.Kind == ecrv1alpha1.PrincipalServiceAccount:
		return "ServiceAccount " + p.Namespace + "/" + p.Name
	case p.Kind == ecrv1alpha1.PrincipalGroup && p.Name == GroupEveryone:
		return `everyone (Group "*")`
	default:
		return string(p.Kind) + " " + p.Name
	}
}
