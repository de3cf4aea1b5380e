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
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// Builders that keep the tables short.

func pol(namespace, name, repository string, statements ...ecrv1alpha1.Statement) ecrv1alpha1.RepositoryPolicy {
	return ecrv1alpha1.RepositoryPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       ecrv1alpha1.RepositoryPolicySpec{RepositoryName: repository, Statements: statements},
	}
}

func stmt(effect ecrv1alpha1.Effect, sid string, principals []ecrv1alpha1.Principal, actions ...string) ecrv1alpha1.Statement {
	s := ecrv1alpha1.Statement{Sid: sid, Effect: effect, Principals: principals}
	for _, a := range actions {
		s.Actions = append(s.Actions, ecrv1alpha1.Action(a))
	}
	return s
}

func allow(sid string, principals []ecrv1alpha1.Principal, actions ...string) ecrv1alpha1.Statement {
	return stmt(ecrv1alpha1.EffectAllow, sid, principals, actions...)
}

func deny(sid string, principals []ecrv1alpha1.Principal, actions ...string) ecrv1alpha1.Statement {
	return stmt(ecrv1alpha1.EffectDeny, sid, principals, actions...)
}

func who(p ...ecrv1alpha1.Principal) []ecrv1alpha1.Principal { return p }

func sa(namespace, name string) ecrv1alpha1.Principal {
	return ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalServiceAccount, Namespace: namespace, Name: name}
}

func user(name string) ecrv1alpha1.Principal {
	return ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalUser, Name: name}
}

func group(name string) ecrv1alpha1.Principal {
	return ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Name: name}
}

func saCaller(namespace, name string) Caller {
	return NewCaller(ServiceAccountUsername(namespace, name), nil)
}

var (
	pullActions = []string{ActionBatchGetImage, ActionGetDownloadURLForLayer, ActionBatchCheckLayerAvailability}
	pushActions = []string{ActionBatchCheckLayerAvailability, ActionInitiateLayerUpload, ActionUploadLayerPart, ActionCompleteLayerUpload, ActionPutImage}
)

func TestEvaluate(t *testing.T) {
	builder := saCaller("team-b", "builder")
	deployer := saCaller("team-a", "deployer")
	alice := NewCaller("alice", []string{"devs"})
	anonymous := AnonymousCaller()

	// The example policy of docs/policies.md.
	crossTeam := pol("team-a", "web-app-cross-team", "web-app",
		allow("TeamBPull", who(sa("team-b", "builder"), group("system:serviceaccounts:team-c")), pullActions...),
		deny("NobodyDeletes", who(group(GroupAuthenticated)), ActionBatchDeleteImage),
	)

	tests := []struct {
		name       string
		policies   []ecrv1alpha1.RepositoryPolicy
		caller     Caller
		action     string
		namespace  string
		repository string
		want       Decision
		wantPolicy string
		wantSid    string
	}{
		// No policies: RBAC decides.
		{name: "no policies", caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},

		// Principal kinds.
		{name: "ServiceAccount allowed", policies: ps(crossTeam), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "web-app-cross-team", wantSid: "TeamBPull"},
		{name: "same ServiceAccount name in another namespace", policies: ps(crossTeam), caller: saCaller("team-x", "builder"), action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "another ServiceAccount in the namespace", policies: ps(crossTeam), caller: saCaller("team-b", "other"), action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "group of ServiceAccounts, groups implied by NewCaller", policies: ps(crossTeam), caller: saCaller("team-c", "anyone"), action: ActionGetDownloadURLForLayer, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantSid: "TeamBPull", wantPolicy: "web-app-cross-team"},
		{name: "user name", policies: ps(pol("team-a", "p", "web-app", allow("Alice", who(user("alice")), ActionBatchGetImage))), caller: alice, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "p", wantSid: "Alice"},
		{name: "user name is case-sensitive", policies: ps(pol("team-a", "p", "web-app", allow("Alice", who(user("Alice")), ActionBatchGetImage))), caller: alice, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "group", policies: ps(pol("team-a", "p", "web-app", allow("Devs", who(group("devs")), ActionBatchGetImage))), caller: alice, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "p", wantSid: "Devs"},
		{name: "User principal with a service account user name matches it, as in RBAC", policies: ps(pol("team-a", "p", "web-app", allow("", who(user("system:serviceaccount:team-b:builder")), ActionBatchGetImage))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "p"},
		{name: "ServiceAccount principal never matches a malformed service account user name", policies: ps(pol("team-a", "p", "web-app", allow("", who(sa("a", "b:c")), ActionBatchGetImage))), caller: NewCaller("system:serviceaccount:a:b:c", nil), action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "system:authenticated allows every authenticated caller", policies: ps(pol("team-a", "p", "*", allow("All", who(group(GroupAuthenticated)), ActionBatchGetImage))), caller: alice, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "p", wantSid: "All"},
		{name: "system:authenticated matches even when the TokenReview groups lack it", policies: ps(pol("team-a", "p", "*", deny("All", who(group(GroupAuthenticated)), ActionBatchGetImage))), caller: Caller{User: "bob"}, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "All"},

		// Anonymous callers.
		{name: "anonymous without policies", caller: anonymous, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "anonymous is not system:authenticated", policies: ps(pol("team-a", "p", "*", allow("All", who(group(GroupAuthenticated)), "ecr:*"))), caller: anonymous, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "the zero Caller is anonymous", policies: ps(pol("team-a", "p", "*", allow("All", who(group(GroupAuthenticated)), "ecr:*"))), caller: Caller{}, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "anonymous allowed by system:unauthenticated", policies: ps(pol("team-a", "public", "web-app", allow("Public", who(group(GroupUnauthenticated)), pullActions...))), caller: anonymous, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "public", wantSid: "Public"},
		{name: "anonymous allowed by user system:anonymous", policies: ps(pol("team-a", "public", "web-app", allow("Public", who(user(UserAnonymous)), pullActions...))), caller: Caller{}, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "public", wantSid: "Public"},
		{name: "public pull does not grant anonymous push", policies: ps(pol("team-a", "public", "web-app", allow("Public", who(group(GroupUnauthenticated)), pullActions...))), caller: anonymous, action: ActionPutImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "public pull is open to authenticated callers too", policies: ps(pol("team-a", "public", "web-app", allow("Public", who(group(GroupUnauthenticated)), pullActions...))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "public", wantSid: "Public"},
		{name: "Deny for system:unauthenticated hits anonymous callers", policies: ps(pol("team-a", "p", "*", deny("NoAnon", who(group(GroupUnauthenticated)), "ecr:*"))), caller: anonymous, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "NoAnon"},
		{name: "Deny for system:unauthenticated spares authenticated callers", policies: ps(pol("team-a", "p", "*", deny("NoAnon", who(group(GroupUnauthenticated)), "ecr:*"))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "a Deny naming a caller beats public access", policies: ps(pol("team-a", "p", "*", allow("Public", who(group(GroupUnauthenticated)), "ecr:*"), deny("NotBuilder", who(sa("team-b", "builder")), "ecr:*"))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "NotBuilder"},
		{name: "an anonymous caller is not allowed through a user name it carries", policies: ps(pol("team-a", "p", "*", allow("Alice", who(user("alice")), "ecr:*"))), caller: Caller{User: "alice", Anonymous: true}, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "an anonymous caller is not allowed through groups it carries", policies: ps(pol("team-a", "p", "*", allow("Devs", who(group("devs"), group(GroupAuthenticated)), "ecr:*"))), caller: Caller{User: UserAnonymous, Groups: []string{"devs", GroupAuthenticated}}, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "but a Deny catches what a contradictory anonymous caller carries", policies: ps(pol("team-a", "p", "*", deny("NoAuth", who(group(GroupAuthenticated)), "ecr:*"))), caller: Caller{User: UserAnonymous, Groups: []string{GroupAuthenticated}}, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "NoAuth"},

		// The wildcard principal {kind: Group, name: "*"}: every caller, as ECR's "Principal": "*".
		{name: "Allow * lets anonymous callers in", policies: ps(pol("team-a", "public", "web-app", allow("Public", who(group(GroupEveryone)), pullActions...))), caller: anonymous, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "public", wantSid: "Public"},
		{name: "Allow * lets the zero Caller in", policies: ps(pol("team-a", "public", "web-app", allow("Public", who(group(GroupEveryone)), pullActions...))), caller: Caller{}, action: ActionGetDownloadURLForLayer, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "public", wantSid: "Public"},
		{name: "Allow * lets a ServiceAccount in", policies: ps(pol("team-a", "public", "web-app", allow("Public", who(group(GroupEveryone)), pullActions...))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "public", wantSid: "Public"},
		{name: "Allow * lets a user in", policies: ps(pol("team-a", "public", "web-app", allow("Public", who(group(GroupEveryone)), pullActions...))), caller: alice, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "public", wantSid: "Public"},
		{name: "Allow * lets in a caller without any group", policies: ps(pol("team-a", "public", "web-app", allow("Public", who(group(GroupEveryone)), pullActions...))), caller: Caller{User: "bob"}, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "public", wantSid: "Public"},
		{name: "Allow * for pull grants no push", policies: ps(pol("team-a", "public", "web-app", allow("Public", who(group(GroupEveryone)), pullActions...))), caller: anonymous, action: ActionPutImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "Deny * refuses anonymous callers", policies: ps(pol("team-a", "p", "*", deny("Nobody", who(group(GroupEveryone)), ActionBatchDeleteImage))), caller: anonymous, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "Nobody"},
		{name: "Deny * refuses authenticated callers", policies: ps(pol("team-a", "p", "*", deny("Nobody", who(group(GroupEveryone)), ActionBatchDeleteImage))), caller: alice, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "Nobody"},
		{name: "Deny * refuses a caller without any group", policies: ps(pol("team-a", "p", "*", deny("Nobody", who(group(GroupEveryone)), ActionBatchDeleteImage))), caller: Caller{User: "bob"}, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "Nobody"},
		{name: "Deny * beats an Allow naming the caller", policies: ps(pol("team-a", "p", "web-app", allow("Builder", who(sa("team-b", "builder")), "ecr:*"), deny("Nobody", who(group(GroupEveryone)), ActionBatchDeleteImage))), caller: builder, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "Nobody"},
		{name: "Deny * beats Allow * in another policy", policies: ps(pol("team-a", "a-public", "web-app", allow("Public", who(group(GroupEveryone)), "*")), pol("team-a", "z-freeze", "*", deny("Freeze", who(group(GroupEveryone)), ActionPutImage))), caller: anonymous, action: ActionPutImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "z-freeze", wantSid: "Freeze"},
		{name: "Deny * beats system:unauthenticated public access", policies: ps(pol("team-a", "p", "web-app", allow("Public", who(group(GroupUnauthenticated)), "ecr:*"), deny("Nobody", who(group(GroupEveryone)), "ecr:Batch*"))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "Nobody"},
		{name: "Deny * for another action leaves the Allow", policies: ps(pol("team-a", "p", "web-app", allow("Public", who(group(GroupEveryone)), pullActions...), deny("Nobody", who(group(GroupEveryone)), ActionBatchDeleteImage))), caller: anonymous, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "p", wantSid: "Public"},
		{name: "Deny * in another namespace does not deny", policies: ps(pol("team-x", "p", "*", deny("Nobody", who(group(GroupEveryone)), "*")), crossTeam), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "web-app-cross-team", wantSid: "TeamBPull"},

		// Principals the schema refuses fail closed: every caller in a Deny, nobody in an Allow.
		{name: "Deny for a partial wildcard group refuses everyone", policies: ps(pol("team-a", "p", "*", allow("All", who(group(GroupAuthenticated)), "*"), deny("NoSA", who(group("system:serviceaccounts:*")), ActionBatchDeleteImage))), caller: alice, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "NoSA"},
		{name: "Deny for a partial wildcard group refuses anonymous callers", policies: ps(pol("team-a", "p", "*", deny("NoSA", who(group("system:serviceaccounts:*")), ActionBatchDeleteImage))), caller: anonymous, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "NoSA"},
		{name: "Deny for User * refuses everyone", policies: ps(pol("team-a", "p", "*", deny("Nobody", who(user("*")), ActionBatchDeleteImage))), caller: builder, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "Nobody"},
		{name: "Deny for a ServiceAccount in namespace * refuses everyone", policies: ps(pol("team-a", "p", "*", deny("Nobody", who(sa("*", "builder")), ActionPutImage))), caller: alice, action: ActionPutImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "Nobody"},
		{name: "Deny for a ServiceAccount named builder-* refuses everyone", policies: ps(pol("team-a", "p", "*", deny("Nobody", who(sa("team-b", "builder-*")), ActionPutImage))), caller: alice, action: ActionPutImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "Nobody"},
		{name: "Deny for an unknown principal kind refuses everyone", policies: ps(pol("team-a", "p", "*", deny("X", who(ecrv1alpha1.Principal{Kind: "Role", Name: "builder"}), "ecr:*"))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "X"},
		{name: "a Deny with an invalid principal still only covers its actions", policies: ps(pol("team-a", "p", "*", allow("All", who(group(GroupAuthenticated)), "*"), deny("NoSA", who(group("system:serviceaccounts:*")), ActionBatchDeleteImage))), caller: alice, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "p", wantSid: "All"},
		{name: "Allow for a partial wildcard group grants nobody", policies: ps(pol("team-a", "p", "*", allow("SA", who(group("system:serviceaccounts:*")), "*"))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "Allow for a partial wildcard group grants nobody, even a caller in a group of that name", policies: ps(pol("team-a", "p", "*", allow("SA", who(group("system:serviceaccounts:*")), "*"))), caller: NewCaller("carol", []string{"system:serviceaccounts:*"}), action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "Allow for User * grants nobody, even a user named *", policies: ps(pol("team-a", "p", "*", allow("All", who(user("*")), "*"))), caller: NewCaller("*", nil), action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "Allow for a Group with a namespace grants nobody", policies: ps(pol("team-a", "p", "*", allow("Devs", who(ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Namespace: "team-a", Name: "devs"}), "*"))), caller: alice, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "an invalid principal does not spoil a valid one next to it in an Allow", policies: ps(pol("team-a", "p", "*", allow("Mixed", who(group("system:serviceaccounts:*"), sa("team-b", "builder")), "*"))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "p", wantSid: "Mixed"},

		// Explicit Deny wins.
		{name: "Deny system:authenticated beats Allow for a specific ServiceAccount", policies: ps(pol("team-a", "p", "web-app", allow("Builder", who(sa("team-b", "builder")), "ecr:*"), deny("NobodyDeletes", who(group(GroupAuthenticated)), ActionBatchDeleteImage))), caller: builder, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "NobodyDeletes"},
		{name: "the docs/policies.md example denies delete to its own allowed puller", policies: ps(crossTeam), caller: builder, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "web-app-cross-team", wantSid: "NobodyDeletes"},
		{name: "Deny in one policy beats Allow in another (Deny listed last)", policies: ps(pol("team-a", "a-allow", "web-app", allow("Builder", who(sa("team-b", "builder")), "ecr:*")), pol("team-a", "z-deny", "*", deny("Freeze", who(group(GroupAuthenticated)), ActionPutImage))), caller: builder, action: ActionPutImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "z-deny", wantSid: "Freeze"},
		{name: "Deny in one policy beats Allow in another (Deny listed first)", policies: ps(pol("team-a", "z-deny", "*", deny("Freeze", who(group(GroupAuthenticated)), ActionPutImage)), pol("team-a", "a-allow", "web-app", allow("Builder", who(sa("team-b", "builder")), "ecr:*"))), caller: builder, action: ActionPutImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "z-deny", wantSid: "Freeze"},
		{name: "a Deny for another action does not deny", policies: ps(crossTeam), caller: builder, action: ActionGetDownloadURLForLayer, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "web-app-cross-team", wantSid: "TeamBPull"},
		{name: "a Deny for another principal does not deny", policies: ps(pol("team-a", "p", "web-app", allow("All", who(group(GroupAuthenticated)), "ecr:*"), deny("NotAlice", who(user("alice")), "ecr:*"))), caller: builder, action: ActionPutImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "p", wantSid: "All"},
		{name: "an unknown effect fails closed as Deny", policies: ps(pol("team-a", "p", "web-app", stmt("deny", "Typo", who(sa("team-b", "builder")), "ecr:*"))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "Typo"},
		{name: "an unknown principal kind matches nobody", policies: ps(pol("team-a", "p", "web-app", allow("X", who(ecrv1alpha1.Principal{Kind: "Role", Name: "builder"}), "ecr:*"))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},

		// Push does not imply delete.
		{name: "a caller allowed only to push may not delete", policies: ps(pol("team-a", "ci", "web-app", allow("Push", who(sa("team-a", "deployer")), pushActions...))), caller: deployer, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "push wildcard ecr:Put* does not cover delete", policies: ps(pol("team-a", "ci", "web-app", allow("Push", who(sa("team-a", "deployer")), "ecr:Put*", "ecr:*Layer*"))), caller: deployer, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "a caller allowed to push may push", policies: ps(pol("team-a", "ci", "web-app", allow("Push", who(sa("team-a", "deployer")), pushActions...))), caller: deployer, action: ActionPutImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "ci", wantSid: "Push"},

		// Wildcard actions.
		{name: "ecr:* covers delete", policies: ps(pol("team-a", "admin", "*", allow("Admin", who(user("alice")), "ecr:*"))), caller: alice, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "admin", wantSid: "Admin"},
		{name: "* covers everything", policies: ps(pol("team-a", "admin", "*", allow("Admin", who(user("alice")), "*"))), caller: alice, action: ActionListImageReferrers, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "admin", wantSid: "Admin"},
		{name: "ecr:Get* covers GetDownloadUrlForLayer", policies: ps(pol("team-a", "p", "*", allow("Get", who(user("alice")), "ecr:Get*"))), caller: alice, action: ActionGetDownloadURLForLayer, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "p", wantSid: "Get"},
		{name: "ecr:Get* does not cover BatchGetImage", policies: ps(pol("team-a", "p", "*", allow("Get", who(user("alice")), "ecr:Get*"))), caller: alice, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "ecr:Batch* Deny covers BatchDeleteImage", policies: ps(pol("team-a", "p", "*", allow("All", who(user("alice")), "ecr:*"), deny("NoBatch", who(user("alice")), "ecr:Batch*"))), caller: alice, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "NoBatch"},
		{name: "actions match case-insensitively, as in IAM", policies: ps(pol("team-a", "p", "*", deny("Lower", who(user("alice")), "ecr:batchdeleteimage"))), caller: alice, action: ActionBatchDeleteImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "Lower"},
		{name: "a lowercase Allow grants", policies: ps(pol("team-a", "p", "*", allow("Lower", who(user("alice")), "ecr:batchgetimage"))), caller: alice, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "p", wantSid: "Lower"},
		{name: "an uppercase wildcard Allow grants", policies: ps(pol("team-a", "p", "*", allow("Upper", who(user("alice")), "ECR:GET*"))), caller: alice, action: ActionGetDownloadURLForLayer, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "p", wantSid: "Upper"},
		{name: "an uppercase wildcard still only covers its prefix", policies: ps(pol("team-a", "p", "*", allow("Upper", who(user("alice")), "ECR:GET*"))), caller: alice, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "a mixed-case Deny beats an exact-case Allow", policies: ps(pol("team-a", "p", "*", allow("Exact", who(group(GroupEveryone)), ActionPutImage), deny("Mixed", who(user("alice")), "Ecr:putIMAGE"))), caller: alice, action: ActionPutImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "p", wantSid: "Mixed"},

		// Repository scoping.
		{name: "repositoryName * covers every repository in its namespace", policies: ps(pol("team-a", "all", "*", allow("All", who(sa("team-b", "builder")), pullActions...))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "anything", want: DecisionAllow, wantPolicy: "all", wantSid: "All"},
		{name: "a named repository covers no other", policies: ps(crossTeam), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app-2", want: DecisionNoOpinion},
		{name: "repositoryName is not a pattern", policies: ps(pol("team-a", "p", "web-*", allow("", who(sa("team-b", "builder")), "ecr:*"))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionNoOpinion},
		{name: "a policy in namespace a never allows in namespace b", policies: ps(pol("a", "p", "web-app", allow("All", who(group(GroupAuthenticated), group(GroupUnauthenticated)), "*"))), caller: builder, action: ActionBatchGetImage, namespace: "b", repository: "web-app", want: DecisionNoOpinion},
		{name: "a * policy in namespace a never allows in namespace b", policies: ps(pol("a", "p", "*", allow("All", who(group(GroupAuthenticated)), "*"))), caller: builder, action: ActionBatchGetImage, namespace: "b", repository: "web-app", want: DecisionNoOpinion},
		{name: "a policy in namespace a never denies in namespace b", policies: ps(pol("a", "p", "*", deny("All", who(group(GroupAuthenticated)), "*")), pol("b", "q", "web-app", allow("Builder", who(sa("team-b", "builder")), "*"))), caller: builder, action: ActionBatchGetImage, namespace: "b", repository: "web-app", want: DecisionAllow, wantPolicy: "q", wantSid: "Builder"},
		{name: "a repositoryName that looks like namespace/name is only a name", policies: ps(pol("a", "p", "b/web-app", allow("All", who(group(GroupAuthenticated)), "*"))), caller: builder, action: ActionBatchGetImage, namespace: "b", repository: "web-app", want: DecisionNoOpinion},
		{name: "empty namespace", policies: ps(pol("", "p", "*", allow("All", who(group(GroupAuthenticated)), "*"))), caller: builder, action: ActionBatchGetImage, namespace: "", repository: "web-app", want: DecisionNoOpinion},
		{name: "empty repository", policies: ps(pol("team-a", "p", "*", allow("All", who(group(GroupAuthenticated)), "*"))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "", want: DecisionNoOpinion},

		// Several policies combined.
		{name: "pull from one policy", policies: ps(pol("team-a", "pull", "web-app", allow("Pull", who(sa("team-b", "builder")), pullActions...)), pol("team-a", "push", "web-app", allow("Push", who(sa("team-b", "builder")), pushActions...))), caller: builder, action: ActionGetDownloadURLForLayer, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "pull", wantSid: "Pull"},
		{name: "push from another", policies: ps(pol("team-a", "pull", "web-app", allow("Pull", who(sa("team-b", "builder")), pullActions...)), pol("team-a", "push", "web-app", allow("Push", who(sa("team-b", "builder")), pushActions...))), caller: builder, action: ActionPutImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "push", wantSid: "Push"},
		{name: "the first matching Allow by policy name is reported", policies: ps(pol("team-a", "zz", "*", allow("Z", who(group(GroupAuthenticated)), "*")), pol("team-a", "aa", "web-app", allow("A1", who(user("nobody")), "*"), allow("A2", who(group(GroupAuthenticated)), "*"))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "aa", wantSid: "A2"},
		{name: "the first matching Deny by policy name is reported", policies: ps(pol("team-a", "zz", "*", deny("Z", who(group(GroupAuthenticated)), "*")), pol("team-a", "mm", "*", allow("M", who(group(GroupAuthenticated)), "*")), pol("team-a", "aa", "web-app", deny("A", who(sa("team-b", "builder")), ActionBatchGetImage))), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionDeny, wantPolicy: "aa", wantSid: "A"},
		{name: "policies of other repositories and namespaces are ignored among matching ones", policies: ps(pol("team-b", "a", "*", deny("Other", who(group(GroupAuthenticated)), "*")), pol("team-a", "b", "other-app", deny("OtherRepo", who(group(GroupAuthenticated)), "*")), crossTeam), caller: builder, action: ActionBatchGetImage, namespace: "team-a", repository: "web-app", want: DecisionAllow, wantPolicy: "web-app-cross-team", wantSid: "TeamBPull"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.policies, tt.caller, tt.action, tt.namespace, tt.repository)
			if got.Decision != tt.want || got.Policy != tt.wantPolicy || got.Sid != tt.wantSid {
				t.Errorf("Evaluate = %v by %q/%q (%s); want %v by %q/%q", got.Decision, got.Policy, got.Sid, got.Reason, tt.want, tt.wantPolicy, tt.wantSid)
			}
			if got.Reason == "" {
				t.Error("Evaluate gave no reason")
			}
			// The result must not depend on the order of the policies.
			rev := slices.Clone(tt.policies)
			slices.Reverse(rev)
			if again := Evaluate(rev, tt.caller, tt.action, tt.namespace, tt.repository); again != got {
				t.Errorf("reversed policies give %+v, want %+v", again, got)
			}
		})
	}
}

func ps(p ...ecrv1alpha1.RepositoryPolicy) []ecrv1alpha1.RepositoryPolicy { return p }

func TestEvaluateReason(t *testing.T) {
	policies := ps(pol("team-a", "web-app-cross-team", "web-app",
		allow("", who(sa("team-b", "builder")), ActionBatchGetImage),
		deny("NobodyDeletes", who(group(GroupAuthenticated)), ActionBatchDeleteImage),
	))
	builder := saCaller("team-b", "builder")
	tests := []struct {
		action, want string
	}{
		{ActionBatchDeleteImage, "RepositoryPolicy team-a/web-app-cross-team statement 2 (NobodyDeletes) denies ecr:BatchDeleteImage on web-app to Group system:authenticated"},
		{ActionBatchGetImage, "RepositoryPolicy team-a/web-app-cross-team statement 1 allows ecr:BatchGetImage on web-app to ServiceAccount team-b/builder"},
		{ActionPutImage, "no RepositoryPolicy statement in namespace team-a matches ecr:PutImage on web-app for system:serviceaccount:team-b:builder; RBAC decides"},
	}
	for _, tt := range tests {
		if got := Evaluate(policies, builder, tt.action, "team-a", "web-app").Reason; got != tt.want {
			t.Errorf("reason for %s:\n got %s\nwant %s", tt.action, got, tt.want)
		}
	}
	if got := Evaluate(nil, Caller{}, ActionPutImage, "team-a", "web-app").Reason; !strings.Contains(got, UserAnonymous) {
		t.Errorf("reason for the zero caller does not name it anonymous: %s", got)
	}

	everyone := ps(pol("team-a", "public", "web-app", allow("Public", who(group(GroupEveryone)), ActionBatchGetImage)))
	if got, want := Evaluate(everyone, AnonymousCaller(), ActionBatchGetImage, "team-a", "web-app").Reason,
		`RepositoryPolicy team-a/public statement 1 (Public) allows ecr:BatchGetImage on web-app to everyone (Group "*")`; got != want {
		t.Errorf("reason for Allow *:\n got %s\nwant %s", got, want)
	}
	partial := ps(pol("team-a", "p", "web-app", deny("NoSA", who(group("system:serviceaccounts:*")), ActionBatchDeleteImage)))
	got := Evaluate(partial, NewCaller("alice", nil), ActionBatchDeleteImage, "team-a", "web-app").Reason
	for _, want := range []string{"statement 1 (NoSA) denies ecr:BatchDeleteImage on web-app to every caller", "Group system:serviceaccounts:*", "cannot be enforced as written", `contains "*"`} {
		if !strings.Contains(got, want) {
			t.Errorf("reason for a Deny through a partial wildcard does not contain %q:\n%s", want, got)
		}
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{DecisionDeny: "Deny", DecisionAllow: "Allow", DecisionNoOpinion: "NoOpinion", Decision(7): "Decision(7)"} {
		if got := d.String(); got != want {
			t.Errorf("Decision(%d).String() = %q, want %q", int(d), got, want)
		}
	}
	var zero Result
	if zero.Decision != DecisionDeny {
		t.Error("the zero Result must deny")
	}
}
