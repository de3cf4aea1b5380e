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
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// maxTerms bounds the disjunctive normal form: and over or multiplies the number of node
// selector terms, and a pod spec with hundreds of them helps nobody.
const maxTerms = 64

// dnf is an OR of ANDs: node selector terms, each a list of requirements.
type dnf []conjunction

// conjunction is an AND of requirements: one node selector term.
type conjunction []clause

// clause is one requirement with its identity precomputed, since de-duplication compares
// the same requirements many times while terms are multiplied out.
type clause struct {
	req corev1.NodeSelectorRequirement
	key string
}

// newClause wraps a requirement.
func newClause(r corev1.NodeSelectorRequirement) clause {
	return clause{req: r, key: r.Key + "\x00" + string(r.Operator) + "\x00" + strings.Join(r.Values, "\x00")}
}

// errTooManyTerms is the reason given when the normal form exceeds maxTerms.
var errTooManyTerms = fmt.Sprintf("written as an OR of ANDs (node selector terms) the placement needs more than %d terms", maxTerms)

// toDNF converts a parsed expression to disjunctive normal form, pushing negations down to
// the conditions (De Morgan): not In is NotIn, not Exists is DoesNotExist, and back.
func (p *parser) toDNF(n node, neg bool) (dnf, *ExpressionError) {
	switch n := n.(type) {
	case *predicate:
		req := n.req
		if neg {
			var ok bool
			if req, ok = negate(req); !ok {
				return nil, p.errAt(n.op, "a negated numeric comparison has no node-affinity equivalent (it would also have to match nodes without the label)",
					"write the opposite comparison instead, e.g. < instead of not >=")
			}
		}
		return dnf{{newClause(req)}}, nil
	case *notExpr:
		return p.toDNF(n.x, !neg)
	case *binaryExpr:
		l, err := p.toDNF(n.l, neg)
		if err != nil {
			return nil, err
		}
		r, err := p.toDNF(n.r, neg)
		if err != nil {
			return nil, err
		}
		var out dnf
		var ok bool
		if n.and != neg { // and, or a negated or
			out, ok = andDNF(l, r)
		} else {
			out, ok = orDNF(l, r)
		}
		if !ok {
			return nil, p.errAt(n.op, errTooManyTerms, "list alternatives of one attribute with in [...] instead of or-ing conditions")
		}
		return out, nil
	default:
		panic(fmt.Sprintf("placement: unknown expression node %T", n))
	}
}

// negate returns the requirement matching exactly the nodes req does not match. Gt and Lt
// have no exact complement (nodes without the label match neither), so they report false.
func negate(req corev1.NodeSelectorRequirement) (corev1.NodeSelectorRequirement, bool) {
	switch req.Operator {
	case corev1.NodeSelectorOpIn:
		req.Operator = corev1.NodeSelectorOpNotIn
	case corev1.NodeSelectorOpNotIn:
		req.Operator = corev1.NodeSelectorOpIn
	case corev1.NodeSelectorOpExists:
		req.Operator = corev1.NodeSelectorOpDoesNotExist
	case corev1.NodeSelectorOpDoesNotExist:
		req.Operator = corev1.NodeSelectorOpExists
	default:
		return req, false
	}
	return req, true
}

// andDNF distributes a over b: every term of a joined with every term of b. It reports false
// when the result would exceed maxTerms.
func andDNF(a, b dnf) (dnf, bool) {
	if len(a)*len(b) > maxTerms {
		return nil, false
	}
	out := make(dnf, 0, len(a)*len(b))
	for _, ta := range a {
		keysA := make(map[string]bool, len(ta))
		for _, c := range ta {
			keysA[c.key] = true
		}
		for _, tb := range b {
			t := slices.Clone(ta)
			for _, c := range tb {
				if !keysA[c.key] && !slices.ContainsFunc(t[len(ta):], func(x clause) bool { return x.key == c.key }) {
					t = append(t, c)
				}
			}
			out = append(out, t)
		}
	}
	return dedupeTerms(out), true
}

// orDNF concatenates the terms of a and b. It reports false when the result would exceed
// maxTerms.
func orDNF(a, b dnf) (dnf, bool) {
	out := dedupeTerms(append(slices.Clone(a), b...))
	return out, len(out) <= maxTerms
}

// dedupeTerms drops terms holding the same requirements as an earlier one, whatever their
// order, keeping the first occurrence so the output follows the expression.
func dedupeTerms(d dnf) dnf {
	seen := make(map[string]bool, len(d))
	out := d[:0]
	for _, t := range d {
		keys := make([]string, len(t))
		for i, c := range t {
			keys[i] = c.key
		}
		slices.Sort(keys)
		k := strings.Join(keys, "\x01")
		if !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	return out
}

// nodeSelectorTerms converts the normal form to API terms, copying every slice so callers can
// change the result freely.
func (d dnf) nodeSelectorTerms() []corev1.NodeSelectorTerm {
	if len(d) == 0 {
		return nil
	}
	out := make([]corev1.NodeSelectorTerm, len(d))
	for i, t := range d {
		reqs := make([]corev1.NodeSelectorRequirement, len(t))
		for j, c := range t {
			reqs[j] = corev1.NodeSelectorRequirement{Key: c.req.Key, Operator: c.req.Operator, Values: slices.Clone(c.req.Values)}
		}
		out[i] = corev1.NodeSelectorTerm{MatchExpressions: reqs}
	}
	return out
}
