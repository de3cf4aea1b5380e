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
	"errors"
	"fmt"
	"strings"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// ErrInvalidPrincipal reports a policy principal that the evaluator cannot enforce as written:
// an unknown kind, a "*" other than the whole-principal wildcard {kind: Group, name: "*"}, or a
// ServiceAccount without a valid namespace and name. Evaluate makes such a principal fail closed
// (every caller in a Deny, nobody in an Allow), and Validate reports it.
var ErrInvalidPrincipal = errors.New("invalid principal")

// ErrInvalidStatement reports a policy statement that the evaluator cannot enforce as written
// for a reason other than one of its actions or principals: an effect that is neither Allow nor
// Deny, or an empty list of principals or actions.
var ErrInvalidStatement = errors.New("invalid statement")

// wildcardHint ends every message about a misplaced "*", as the CRD's CEL rules do.
const wildcardHint = `only the whole-principal wildcard {kind: Group, name: "*"} (every caller, like "Principal": "*" in ECR) is supported`

// Validate reports every part of a RepositoryPolicy spec that the registry cannot enforce as
// written, in spec order; nil means every statement is enforced exactly as it reads. It applies
// the CRD schema's rules on statements (CEL and OpenAPI alike, except length limits, which do
// not change what a statement means), so that a policy that reached the cluster without them
// (created before a rule existed, or with an older CRD) is reported rather than silently
// ignored. Each error starts with the field's path under spec, such as
// "statements[0].principals[1]: ", and wraps ErrUnknownAction, ErrInvalidPrincipal or
// ErrInvalidStatement.
//
// The RepositoryPolicy controller sets Ready=False with reason InvalidStatement (and Stalled)
// when it returns anything, joining the messages.
func Validate(spec *ecrv1alpha1.RepositoryPolicySpec) []error {
	var errs []error
	for i := range spec.Statements {
		s := &spec.Statements[i]
		if s.Effect != ecrv1alpha1.EffectAllow && s.Effect != ecrv1alpha1.EffectDeny {
			errs = append(errs, fmt.Errorf("statements[%d].effect: %w: effect %q is neither Allow nor Deny; it is enforced as Deny", i, ErrInvalidStatement, s.Effect))
		}
		if len(s.Principals) == 0 {
			errs = append(errs, fmt.Errorf("statements[%d].principals: %w: no principals, so the statement applies to nobody", i, ErrInvalidStatement))
		}
		for k := range s.Principals {
			if err := ValidatePrincipal(&s.Principals[k]); err != nil {
				errs = append(errs, fmt.Errorf("statements[%d].principals[%d]: %w", i, k, err))
			}
		}
		if len(s.Actions) == 0 {
			errs = append(errs, fmt.Errorf("statements[%d].actions: %w: no actions, so the statement applies to nothing", i, ErrInvalidStatement))
		}
		for j, a := range s.Actions {
			if err := ValidateAction(string(a)); err != nil {
				errs = append(errs, fmt.Errorf("statements[%d].actions[%d]: %w", i, j, err))
			}
		}
	}
	return errs
}

// principalError is an ErrInvalidPrincipal whose text is only the reason, so that messages
// read like the CRD's ("name ... contains ...") rather than repeating "invalid principal".
type principalError string

func (e principalError) Error() string { return string(e) }

func (e principalError) Is(target error) bool { return target == ErrInvalidPrincipal }

// ValidatePrincipal applies the CRD schema's rules to one principal (except length limits) and
// says why the evaluator could not enforce it as written; the error wraps ErrInvalidPrincipal.
// The rules: the kind is ServiceAccount, User or Group; the name is not empty; no "*" appears
// except as the whole group name "*" (PrincipalNameEveryone); a ServiceAccount has a namespace
// and both are Kubernetes names; User and Group have no namespace.
//
// It allocates nothing for a valid principal, because Evaluate calls it while matching.
func ValidatePrincipal(p *ecrv1alpha1.Principal) error {
	switch p.Kind {
	case ecrv1alpha1.PrincipalServiceAccount, ecrv1alpha1.PrincipalUser, ecrv1alpha1.PrincipalGroup:
	default:
		return principalError(fmt.Sprintf("kind %q is not ServiceAccount, User or Group", p.Kind))
	}
	switch {
	case p.Name == "":
		return principalError("name is empty")
	case strings.Contains(p.Name, "*") && (p.Kind != ecrv1alpha1.PrincipalGroup || p.Name != ecrv1alpha1.PrincipalNameEveryone):
		return principalError(fmt.Sprintf("%s name %q contains \"*\"; %s", p.Kind, p.Name, wildcardHint))
	case strings.Contains(p.Namespace, "*"):
		return principalError(fmt.Sprintf("namespace %q contains \"*\"; %s", p.Namespace, wildcardHint))
	}
	if p.Kind != ecrv1alpha1.PrincipalServiceAccount {
		if p.Namespace != "" {
			return principalError(fmt.Sprintf("namespace is not allowed for a %s principal (only ServiceAccounts have one), but it is %q", p.Kind, p.Namespace))
		}
		return nil
	}
	switch {
	case p.Namespace == "":
		return principalError("namespace is required for a ServiceAccount principal")
	case !isDNSLabel(p.Namespace):
		return principalError(fmt.Sprintf("namespace %q is not a namespace name (lowercase letters, digits and '-')", p.Namespace))
	case !isServiceAccountName(p.Name):
		return principalError(fmt.Sprintf("ServiceAccount name %q is not a ServiceAccount name (lowercase letters, digits, '-' and '.')", p.Name))
	}
	return nil
}

// isDNSLabel matches the CRD's namespace pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$.
func isDNSLabel(s string) bool {
	return isKubeName(s, false)
}

// isServiceAccountName matches the CRD's ServiceAccount name pattern
// ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$.
func isServiceAccountName(s string) bool {
	return isKubeName(s, true)
}

// isKubeName reports whether s is lowercase letters, digits and '-' (and '.' when dots), starting
// and ending with a letter or digit.
func isKubeName(s string, dots bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '-' || (dots && c == '.')) && i != 0 && i != len(s)-1:
		default:
			return false
		}
	}
	return true
}
