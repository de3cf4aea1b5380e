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

// Package conditions holds small helpers over metav1.Condition, so every reconciler sets
// conditions the same way: observedGeneration on each, transition times kept unless the
// status flips, and kstatus's abnormal-true conditions removed when they are not true.
package conditions

import (
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Set sets a condition, keeping LastTransitionTime unless the status changes.
func Set(conds *[]metav1.Condition, generation int64, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type:               typ,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: generation,
	})
}

// True sets a condition to True.
func True(conds *[]metav1.Condition, generation int64, typ, reason, message string) {
	Set(conds, generation, typ, metav1.ConditionTrue, reason, message)
}

// False sets a condition to False.
func False(conds *[]metav1.Condition, generation int64, typ, reason, message string) {
	Set(conds, generation, typ, metav1.ConditionFalse, reason, message)
}

// SetAbnormal sets a kstatus abnormal-true condition (Reconciling, Stalled): present with
// status True while it holds, absent otherwise.
func SetAbnormal(conds *[]metav1.Condition, generation int64, typ string, active bool, reason, message string) {
	if !active {
		meta.RemoveStatusCondition(conds, typ)
		return
	}
	True(conds, generation, typ, reason, message)
}

// IsTrue reports whether the condition is present and True.
func IsTrue(conds []metav1.Condition, typ string) bool {
	return meta.IsStatusConditionTrue(conds, typ)
}

// Truncate cuts a message to at most n bytes on a UTF-8 character boundary, marking the cut
// with "…", for condition messages, Event notes and service events, which have size limits.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-len("…"), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
