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

package ecs

import (
	"fmt"
	"slices"
	"strings"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs/revisions"
	"github.com/berth-dev/berth/internal/conditions"
)

// maxApproximationsMessage bounds the Translated message; the rest is summarised.
const maxApproximationsMessage = 4000

// computeTaskDefinitionStatus derives the status from what the pass read: revision numbers
// from the stored revisions, conditions from the translation and from any error.
func computeTaskDefinitionStatus(s *taskDefinitionScope, reconcileErr error) {
	td := s.td
	st := &td.Status
	gen := td.Generation

	if latest := s.latestRevision(); latest != nil {
		st.Revision = max(st.Revision, latest.Revision)
	}
	if st.Revision > 0 {
		st.LatestRevisionName = revisions.Name(td.Name, st.Revision)
	}
	active := []int64{}
	if st.Revision > 0 {
		active = append(active, st.Revision)
	}
	for n := range s.used {
		active = append(active, n)
	}
	slices.Sort(active)
	st.ActiveRevisions = slices.Compact(active)
	if len(st.ActiveRevisions) == 0 {
		st.ActiveRevisions = nil
	}

	stalledMessage := "" // set when the spec does not translate
	switch {
	case reconcileErr != nil:
		conditions.False(&st.Conditions, gen, ecsv1alpha1.ReadyCondition, ecsv1alpha1.ReconcileErrorReason, reconcileErr.Error())
	case !td.DeletionTimestamp.IsZero():
		msg := "deleting"
		if len(s.users) > 0 {
			msg = fmt.Sprintf("deletion waits for Services still using the family: %s", strings.Join(s.users, ", "))
		}
		conditions.False(&st.Conditions, gen, ecsv1alpha1.ReadyCondition, ecsv1alpha1.DeletingReason, msg)
	case s.invalid != nil:
		msg := s.invalid.Error()
		if st.Revision > 0 {
			msg += fmt.Sprintf("; revision %d stays in use", st.Revision)
		}
		stalledMessage = msg
		conditions.False(&st.Conditions, gen, ecsv1alpha1.ReadyCondition, ecsv1alpha1.InvalidTaskDefinitionReason, msg)
		conditions.False(&st.Conditions, gen, ecsv1alpha1.TranslatedCondition, ecsv1alpha1.InvalidTaskDefinitionReason, msg)
	default:
		conditions.True(&st.Conditions, gen, ecsv1alpha1.ReadyCondition, ecsv1alpha1.ReconciledReason,
			fmt.Sprintf("revision %d is registered", st.Revision))
		if s.result != nil && len(s.result.Approximations) > 0 {
			conditions.True(&st.Conditions, gen, ecsv1alpha1.TranslatedCondition, ecsv1alpha1.ApproximatedReason, approximationsMessage(s))
		} else {
			conditions.True(&st.Conditions, gen, ecsv1alpha1.TranslatedCondition, ecsv1alpha1.ExactReason,
				"every field has an exact Pod equivalent")
		}
	}
	// A spec that does not translate waits for a spec change: Stalled, so kstatus, kubectl
	// wait and Argo CD report it failed instead of in progress forever.
	conditions.SetAbnormal(&st.Conditions, gen, ecsv1alpha1.StalledCondition, stalledMessage != "", ecsv1alpha1.InvalidTaskDefinitionReason, stalledMessage)
	if reconcileErr == nil && td.DeletionTimestamp.IsZero() {
		st.ObservedGeneration = gen
	}
}

// approximationsMessage lists each approximated field and what was done, bounded in size.
func approximationsMessage(s *taskDefinitionScope) string {
	var b strings.Builder
	b.WriteString("approximated: ")
	for i, a := range s.result.Approximations {
		item := fmt.Sprintf("%s (%s)", a.Field, a.Detail)
		if i > 0 {
			item = "; " + item
		}
		if b.Len()+len(item) > maxApproximationsMessage {
			fmt.Fprintf(&b, "; and %d more", len(s.result.Approximations)-i)
			break
		}
		b.WriteString(item)
	}
	return b.String()
}
