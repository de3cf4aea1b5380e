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

package placement

import (
	"errors"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// FuzzParseMemberOf checks that no input panics, that rejections are positioned
// *ExpressionErrors, and that accepted input yields node selector terms the API server
// would accept, the same on every call.
func FuzzParseMemberOf(f *testing.F) {
	for _, tc := range validMemberOf {
		f.Add(tc.expr)
	}
	for _, tc := range invalidMemberOf {
		f.Add(tc.expr)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		got, err := ParseMemberOf(expr)
		if err != nil {
			var ee *ExpressionError
			if !errors.As(err, &ee) || !errors.Is(err, ErrInvalidPlacement) {
				t.Fatalf("error %T is not an *ExpressionError matching ErrInvalidPlacement: %v", err, err)
			}
			if ee.Column < 1 || ee.Column > len(expr)+1 || ee.Reason == "" {
				t.Fatalf("bad error position or reason: %+v", ee)
			}
			return
		}
		if len(got) == 0 || len(got) > maxTerms {
			t.Fatalf("accepted with %d terms", len(got))
		}
		for i, term := range got {
			if len(term.MatchExpressions) == 0 || len(term.MatchFields) != 0 {
				t.Fatalf("term %d is empty or uses fields: %+v", i, term)
			}
			for _, r := range term.MatchExpressions {
				checkRequirement(t, r)
			}
		}
		again, _ := ParseMemberOf(expr)
		if diff := cmp.Diff(got, again); diff != "" {
			t.Fatalf("second parse differs (-first +second):\n%s", diff)
		}
	})
}

// checkRequirement fails unless r passes the API server's node selector validation.
func checkRequirement(t *testing.T, r corev1.NodeSelectorRequirement) {
	t.Helper()
	if r.Key == "" || len(validation.IsQualifiedName(r.Key)) > 0 {
		t.Fatalf("invalid key in %+v", r)
	}
	for _, v := range r.Values {
		if len(validation.IsValidLabelValue(v)) > 0 {
			t.Fatalf("invalid value %q in %+v", v, r)
		}
	}
	switch r.Operator {
	case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
		if len(r.Values) == 0 {
			t.Fatalf("%s without values: %+v", r.Operator, r)
		}
	case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
		if len(r.Values) != 0 {
			t.Fatalf("%s with values: %+v", r.Operator, r)
		}
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if len(r.Values) != 1 {
			t.Fatalf("%s needs one value: %+v", r.Operator, r)
		}
		if _, err := strconv.ParseInt(r.Values[0], 10, 64); err != nil {
			t.Fatalf("%s value is not an integer: %+v", r.Operator, r)
		}
	default:
		t.Fatalf("unknown operator in %+v", r)
	}
}
