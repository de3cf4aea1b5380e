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
	"math"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Limits that keep parsing cheap whatever the input; ECS itself caps expressions at 2000
// characters.
const (
	maxExpressionLength = 2000
	maxNesting          = 32
)

// ParseMemberOf parses a memberOf expression of the ECS cluster query language into required
// node affinity: the returned terms are ORed, the requirements inside a term ANDed (the
// disjunctive normal form Kubernetes needs). It accepts
//
//	attribute:NAME == v    attribute:NAME != v
//	attribute:NAME in [a, b]    attribute:NAME not in [a, b]    (also !in)
//	attribute:NAME exists    attribute:NAME !exists
//	attribute:NAME > n   >= n   < n   <= n    (non-negative integers; Gt / Lt)
//	ec2InstanceId ...    (the node's kubernetes.io/hostname, as instanceId in spread)
//	and / &&,  or / ||,  not / !,  parentheses;  values bare or quoted with ' or "
//
// Built-in attributes become well-known node labels (ecs.availability-zone →
// topology.kubernetes.io/zone, ecs.instance-type → node.kubernetes.io/instance-type,
// ecs.os-type → kubernetes.io/os, ecs.cpu-architecture → kubernetes.io/arch with x86_64
// spelled amd64); any other name is a node label. What node affinity cannot express (=~, !~,
// runningTasksCount, task:group, agentVersion…) is an *ExpressionError naming the column, the
// token and what to write instead.
func ParseMemberOf(expr string) ([]corev1.NodeSelectorTerm, error) {
	terms, err := parseMemberOf(expr)
	if err != nil {
		return nil, err
	}
	return terms.nodeSelectorTerms(), nil
}

// parseMemberOf parses expr into its disjunctive normal form.
func parseMemberOf(expr string) (dnf, *ExpressionError) {
	if len(expr) > maxExpressionLength {
		return nil, &ExpressionError{Expression: expr, Column: maxExpressionLength + 1, Token: expr[maxExpressionLength : maxExpressionLength+min(10, len(expr)-maxExpressionLength)],
			Reason: fmt.Sprintf("the expression is longer than %d characters", maxExpressionLength),
			Hint:   "shorten it, e.g. with in [...] instead of repeated conditions"}
	}
	toks, lerr := lex(expr)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{expr: expr, toks: toks}
	if p.peek().kind == tokEOF {
		return nil, p.errAt(p.peek(), "the expression is empty", "write a condition such as attribute:ecs.availability-zone in [zone-a, zone-b]")
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		reason := "unexpected token after a complete condition"
		if t.kind == tokRParen {
			reason = "unbalanced closing parenthesis"
		}
		return nil, p.errAt(t, reason, "join conditions with and / or, and quote values that contain spaces or brackets")
	}
	return p.toDNF(n, false)
}

// node is a parsed expression: *predicate, *notExpr or *binaryExpr.
type node interface{}

// predicate is one condition, already mapped to a node selector requirement.
type predicate struct {
	req corev1.NodeSelectorRequirement
	op  token // the operator, where errors about the whole condition point
}

// notExpr is `not x` / `!x`.
type notExpr struct{ x node }

// binaryExpr is `l and r` or `l or r`.
type binaryExpr struct {
	and  bool
	l, r node
	op   token
}

// parser is a recursive-descent parser over the token list.
type parser struct {
	expr  string
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, reason, hint string) *ExpressionError {
	return &ExpressionError{Expression: p.expr, Column: t.pos + 1, Token: t.raw, Reason: reason, Hint: hint}
}

// isKeyword reports whether t is the bare word kw, in any letter case.
func isKeyword(t token, kw string) bool { return t.kind == tokWord && strings.EqualFold(t.text, kw) }

func isOp(t token, op string) bool { return t.kind == tokOp && t.text == op }

// parseOr parses `and-expr { (or | ||) and-expr }`.
func (p *parser) parseOr() (node, *ExpressionError) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); isKeyword(t, "or") || isOp(t, "||"); t = p.peek() {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &binaryExpr{and: false, l: l, r: r, op: t}
	}
	return l, nil
}

// parseAnd parses `unary { (and | &&) unary }`; and binds tighter than or.
func (p *parser) parseAnd() (node, *ExpressionError) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); isKeyword(t, "and") || isOp(t, "&&"); t = p.peek() {
		p.next()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &binaryExpr{and: true, l: l, r: r, op: t}
	}
	return l, nil
}

// parseUnary parses `(not | !) unary`, `( or-expr )` or a condition.
func (p *parser) parseUnary() (node, *ExpressionError) {
	t := p.peek()
	switch {
	case isOp(t, "!") || isKeyword(t, "not"):
		p.next()
		if err := p.enter(t); err != nil {
			return nil, err
		}
		x, err := p.parseUnary()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &notExpr{x: x}, nil
	case t.kind == tokLParen:
		p.next()
		if err := p.enter(t); err != nil {
			return nil, err
		}
		x, err := p.parseOr()
		p.depth--
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tokRParen {
			if c.kind == tokEOF {
				return nil, p.errAt(t, "unclosed parenthesis", "close it with )")
			}
			return nil, p.errAt(c, "expected ) or a connective (and, or)", "close the parenthesis opened at column "+strconv.Itoa(t.pos+1))
		}
		p.next()
		return x, nil
	case isKeyword(t, "and") || isKeyword(t, "or"):
		return nil, p.errAt(t, "expected a condition before "+t.text, "remove the doubled connective")
	case t.kind == tokWord:
		return p.parsePredicate()
	case t.kind == tokEOF:
		return nil, p.errAt(t, "expected a condition", "write attribute:<name> <operator> <value> here, or remove the dangling and / or / not")
	case t.kind == tokString:
		return nil, p.errAt(t, "a quoted value cannot start a condition", "start with the subject, e.g. attribute:<name> == "+t.raw)
	default:
		return nil, p.errAt(t, "expected a condition", "a condition looks like attribute:<name> == <value>")
	}
}

// enter guards the nesting depth so hostile input cannot recurse without bound.
func (p *parser) enter(t token) *ExpressionError {
	p.depth++
	if p.depth > maxNesting {
		return p.errAt(t, fmt.Sprintf("nested more than %d levels deep", maxNesting), "remove redundant parentheses or negations")
	}
	return nil
}

// subject is the left side of a condition resolved to a node label.
type subject struct {
	label   string
	value   func(string) string // translates values to the label's spelling; nil = unchanged
	numeric bool                // whether > >= < <= make sense
}

// unsupportedSubjects are cluster query language subjects that describe the ECS agent or
// the instance's tasks, which node affinity cannot see; each maps to what to do instead.
var unsupportedSubjects = map[string]string{
	"runningTasksCount": "node affinity cannot count the tasks on a node; limit tasks per node with distinctInstance or a spread on instanceId",
	"task:group":        "task groups have no node-affinity equivalent; keep tasks apart with distinctInstance, or select nodes by label with attribute:<label>",
	"agentVersion":      "nodes have no ECS agent; label the nodes and use attribute:<label>",
	"agentConnected":    "Kubernetes only schedules to ready nodes; drop the condition",
	"registeredAt":      "node affinity cannot compare registration times; label the nodes and use attribute:<label>",
}

// resolveSubject maps the subject word to a node label.
func (p *parser) resolveSubject(t token) (subject, *ExpressionError) {
	if name, ok := strings.CutPrefix(t.text, attributePrefix); ok {
		label, value := attributeLabel(name)
		if why := checkLabelKey(label); why != "" {
			return subject{}, p.errAt(t, why, "name a node label, e.g. attribute:topology.kubernetes.io/zone")
		}
		return subject{label: label, value: value, numeric: true}, nil
	}
	if t.text == "ec2InstanceId" {
		return subject{label: corev1.LabelHostname}, nil
	}
	if hint, ok := unsupportedSubjects[t.text]; ok {
		return subject{}, p.errAt(t, "the subject "+t.text+" has no node-affinity equivalent", hint)
	}
	return subject{}, p.errAt(t, "unknown subject", "node attributes are written attribute:<name>, e.g. attribute:ecs.availability-zone")
}

// parsePredicate parses `subject operator [argument]`.
func (p *parser) parsePredicate() (node, *ExpressionError) {
	st := p.next()
	subj, err := p.resolveSubject(st)
	if err != nil {
		return nil, err
	}
	op := p.next()
	req := corev1.NodeSelectorRequirement{Key: subj.label}
	switch {
	case isOp(op, "==") || isOp(op, "!="):
		v, err := p.parseValue(op, subj)
		if err != nil {
			return nil, err
		}
		req.Operator, req.Values = corev1.NodeSelectorOpIn, []string{v}
		if op.text == "!=" {
			req.Operator = corev1.NodeSelectorOpNotIn
		}
	case isKeyword(op, "in"):
		vs, err := p.parseList(op, subj)
		if err != nil {
			return nil, err
		}
		req.Operator, req.Values = corev1.NodeSelectorOpIn, vs
	case isKeyword(op, "not") || isOp(op, "!"):
		switch kw := p.peek(); {
		case isKeyword(kw, "in"):
			p.next()
			vs, err := p.parseList(kw, subj)
			if err != nil {
				return nil, err
			}
			req.Operator, req.Values = corev1.NodeSelectorOpNotIn, vs
		case isOp(op, "!") && isKeyword(kw, "exists"):
			p.next()
			req.Operator = corev1.NodeSelectorOpDoesNotExist
		case isOp(op, "!"):
			return nil, p.errAt(op, "expected in or exists after !", "write !in [...] or !exists")
		default:
			return nil, p.errAt(op, "expected in after not", "write not in [...], or !exists for a missing label")
		}
	case isKeyword(op, "exists"):
		req.Operator = corev1.NodeSelectorOpExists
	case isOp(op, "=~"):
		return nil, p.errAt(op, "the =~ pattern operator has no node-affinity equivalent", "list the values with in [...]")
	case isOp(op, "!~"):
		return nil, p.errAt(op, "the !~ pattern operator has no node-affinity equivalent", "list the excluded values with not in [...]")
	case isOp(op, ">") || isOp(op, ">=") || isOp(op, "<") || isOp(op, "<="):
		if !subj.numeric {
			return nil, p.errAt(op, "numeric comparison on "+st.text, "compare it with ==, !=, in [...] or not in [...]")
		}
		if err := p.parseBound(op, &req); err != nil {
			return nil, err
		}
	default:
		return nil, p.errAt(op, "expected an operator after "+st.text, "use ==, !=, in [...], not in [...], exists or !exists")
	}
	return &predicate{req: req, op: op}, nil
}

// parseValue reads the single value after == or !=.
func (p *parser) parseValue(op token, subj subject) (string, *ExpressionError) {
	t := p.next()
	switch t.kind {
	case tokWord, tokString:
		return p.labelValue(t, subj)
	case tokLBracket:
		return "", p.errAt(t, op.text+" compares with one value", "to match several values write in [a, b], to exclude them not in [a, b]")
	case tokEOF:
		return "", p.errAt(t, "expected a value after "+op.text, "")
	default:
		return "", p.errAt(t, "expected a value after "+op.text, "quote values that contain spaces or punctuation")
	}
}

// parseList reads `[v, v, …]` after in / not in; duplicates are dropped, order is kept.
func (p *parser) parseList(op token, subj subject) ([]string, *ExpressionError) {
	open := p.next()
	if open.kind != tokLBracket {
		return nil, p.errAt(open, op.text+" takes a list in brackets", "write in [a, b]")
	}
	var vs []string
	seen := map[string]bool{}
	for {
		t := p.next()
		switch t.kind {
		case tokWord, tokString:
		case tokRBracket:
			if len(vs) == 0 {
				return nil, p.errAt(t, "the list is empty", "name at least one value")
			}
			return nil, p.errAt(t, "expected a value after ,", "remove the trailing comma")
		case tokEOF:
			return nil, p.errAt(open, "unclosed list", "close it with ]")
		default:
			return nil, p.errAt(t, "expected a value in the list", "separate values with commas and quote values that contain punctuation")
		}
		v, err := p.labelValue(t, subj)
		if err != nil {
			return nil, err
		}
		if !seen[v] {
			seen[v] = true
			vs = append(vs, v)
		}
		switch sep := p.next(); sep.kind {
		case tokComma:
		case tokRBracket:
			return vs, nil
		case tokEOF:
			return nil, p.errAt(open, "unclosed list", "close it with ]")
		default:
			return nil, p.errAt(sep, "expected , or ] in the list", "separate values with commas and quote values that contain spaces")
		}
	}
}

// labelValue translates a value to the label's spelling and checks Kubernetes accepts it.
func (p *parser) labelValue(t token, subj subject) (string, *ExpressionError) {
	v := t.text
	if subj.value != nil {
		v = subj.value(v)
	}
	if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
		return "", p.errAt(t, fmt.Sprintf("%q is not a valid node label value: %s", v, strings.Join(errs, "; ")),
			"node affinity matches label values exactly; patterns and wildcards are not supported")
	}
	return v, nil
}

// parseBound reads the integer after > >= < <= and turns the comparison into Gt or Lt, the
// only numeric operators node affinity has (both strict, on integer label values).
func (p *parser) parseBound(op token, req *corev1.NodeSelectorRequirement) *ExpressionError {
	t := p.next()
	if t.kind != tokWord && t.kind != tokString {
		return p.errAt(t, "expected an integer after "+op.text, "")
	}
	n, perr := strconv.ParseInt(t.text, 10, 64)
	if perr != nil {
		return p.errAt(t, op.text+" compares integers", "compare other values with == or in [...]")
	}
	req.Operator = corev1.NodeSelectorOpGt
	switch op.text {
	case ">=":
		if n == math.MinInt64 {
			return p.errAt(t, "the bound is out of range", "")
		}
		n--
	case "<":
		req.Operator = corev1.NodeSelectorOpLt
	case "<=":
		if n == math.MaxInt64 {
			return p.errAt(t, "the bound is out of range", "")
		}
		n++
		req.Operator = corev1.NodeSelectorOpLt
	}
	if n < 0 {
		return p.errAt(t, fmt.Sprintf("%s %s needs the bound %d, but node label values cannot be negative", op.text, t.text, n),
			"compare with bounds of 0 or more (attribute:NAME >= 0 is attribute:NAME exists for numeric labels)")
	}
	req.Values = []string{strconv.FormatInt(n, 10)}
	return nil
}
