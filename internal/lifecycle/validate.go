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

package lifecycle

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// Validate checks the rules ECR's PutLifecyclePolicy enforces and on which evaluation depends,
// the same ones the Repository schema states, so that a policy that reached the controller
// some other way (an older schema, a test) is reported instead of expiring images under a
// meaning ECR never gives it. Limits that do not change the meaning (lengths, list sizes,
// wildcard counts) are left to the schema.
func Validate(policy *ecrv1alpha1.LifecyclePolicy) error {
	if policy == nil {
		return nil
	}
	rulesPath := field.NewPath("rules")
	var errs field.ErrorList
	if len(policy.Rules) == 0 {
		errs = append(errs, field.Required(rulesPath, "a lifecycle policy needs at least one rule"))
	}
	seen := make(map[int32]bool, len(policy.Rules))
	var highest int32
	for _, r := range policy.Rules {
		highest = max(highest, r.RulePriority)
	}
	untagged := 0
	for i, r := range policy.Rules {
		path := rulesPath.Index(i)
		if seen[r.RulePriority] {
			errs = append(errs, field.Duplicate(path.Child("rulePriority"), r.RulePriority))
		}
		seen[r.RulePriority] = true
		if r.Selection.TagStatus == ecrv1alpha1.TagStatusAny && r.RulePriority != highest {
			errs = append(errs, field.Invalid(path.Child("rulePriority"), r.RulePriority,
				"a rule with tagStatus any must have the highest rulePriority"))
		}
		if r.Selection.TagStatus == ecrv1alpha1.TagStatusUntagged {
			if untagged++; untagged > 1 {
				errs = append(errs, field.Forbidden(path.Child("selection", "tagStatus"),
					"only one rule may select untagged images"))
			}
		}
		errs = append(errs, validateSelection(r.Selection, path.Child("selection"))...)
		if r.Action.Type != ecrv1alpha1.LifecycleActionExpire {
			errs = append(errs, field.NotSupported(path.Child("action", "type"), r.Action.Type,
				[]ecrv1alpha1.LifecycleActionType{ecrv1alpha1.LifecycleActionExpire}))
		}
	}
	return errs.ToAggregate()
}

// validateSelection checks one rule's selection.
func validateSelection(sel ecrv1alpha1.LifecycleSelection, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	prefixes, patterns := path.Child("tagPrefixList"), path.Child("tagPatternList")
	switch sel.TagStatus {
	case ecrv1alpha1.TagStatusTagged:
		switch {
		case len(sel.TagPrefixList) == 0 && len(sel.TagPatternList) == 0:
			errs = append(errs, field.Required(patterns, "tagStatus tagged needs tagPrefixList or tagPatternList"))
		case len(sel.TagPrefixList) > 0 && len(sel.TagPatternList) > 0:
			errs = append(errs, field.Forbidden(prefixes, "tagPrefixList and tagPatternList may not both be set"))
		}
		errs = append(errs, noEmptyEntries(sel.TagPrefixList, prefixes)...)
		errs = append(errs, noEmptyEntries(sel.TagPatternList, patterns)...)
	case ecrv1alpha1.TagStatusUntagged, ecrv1alpha1.TagStatusAny:
		if len(sel.TagPrefixList) > 0 {
			errs = append(errs, field.Forbidden(prefixes, "only allowed with tagStatus tagged"))
		}
		if len(sel.TagPatternList) > 0 {
			errs = append(errs, field.Forbidden(patterns, "only allowed with tagStatus tagged"))
		}
	default:
		errs = append(errs, field.NotSupported(path.Child("tagStatus"), sel.TagStatus,
			[]ecrv1alpha1.TagStatus{ecrv1alpha1.TagStatusTagged, ecrv1alpha1.TagStatusUntagged, ecrv1alpha1.TagStatusAny}))
	}

	unit := path.Child("countUnit")
	switch sel.CountType {
	case ecrv1alpha1.CountImageCountMoreThan:
		if sel.CountUnit != "" {
			errs = append(errs, field.Forbidden(unit, "not allowed with imageCountMoreThan"))
		}
	case ecrv1alpha1.CountSinceImagePushed, ecrv1alpha1.CountSinceImagePulled:
		if sel.CountUnit != ecrv1alpha1.CountUnitDays {
			errs = append(errs, field.NotSupported(unit, sel.CountUnit, []ecrv1alpha1.CountUnit{ecrv1alpha1.CountUnitDays}))
		}
	default:
		errs = append(errs, field.NotSupported(path.Child("countType"), sel.CountType,
			[]ecrv1alpha1.CountType{ecrv1alpha1.CountImageCountMoreThan, ecrv1alpha1.CountSinceImagePushed, ecrv1alpha1.CountSinceImagePulled}))
	}
	if sel.CountNumber < 1 {
		errs = append(errs, field.Invalid(path.Child("countNumber"), sel.CountNumber, "must be at least 1"))
	}
	return errs
}

// noEmptyEntries rejects empty tag filters: an empty prefix would select every tagged image,
// which no one writes on purpose.
func noEmptyEntries(list []string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, s := range list {
		if s == "" {
			errs = append(errs, field.Invalid(path.Index(i), s, "may not be empty"))
		}
	}
	return errs
}
