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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

const (
	zoneKey = corev1.LabelTopologyZone
	hostKey = corev1.LabelHostname
)

func req(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
	return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

func term(reqs ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
	return corev1.NodeSelectorTerm{MatchExpressions: reqs}
}

func terms(ts ...corev1.NodeSelectorTerm) []corev1.NodeSelectorTerm { return ts }

const (
	in    = corev1.NodeSelectorOpIn
	notIn = corev1.NodeSelectorOpNotIn
	exist = corev1.NodeSelectorOpExists
	dne   = corev1.NodeSelectorOpDoesNotExist
	gt    = corev1.NodeSelectorOpGt
	lt    = corev1.NodeSelectorOpLt
)

// validMemberOf are expressions ParseMemberOf accepts, with the exact terms they become.
var validMemberOf = []struct {
	expr string
	want []corev1.NodeSelectorTerm
}{
	{"attribute:ecs.availability-zone in [zone-a, zone-b]", terms(term(req(zoneKey, in, "zone-a", "zone-b")))},
	{"attribute:ecs.availability-zone != zone-c", terms(term(req(zoneKey, notIn, "zone-c")))},
	{"attribute:ecs.availability-zone == zone-a", terms(term(req(zoneKey, in, "zone-a")))},
	{"attribute:ecs.instance-type == m5.large", terms(term(req(corev1.LabelInstanceTypeStable, in, "m5.large")))},
	{"attribute:ecs.os-type == LINUX", terms(term(req(corev1.LabelOSStable, in, "linux")))},
	{"attribute:ecs.cpu-architecture == x86_64", terms(term(req(corev1.LabelArchStable, in, "amd64")))},
	{"attribute:ecs.cpu-architecture in [X86_64, arm64]", terms(term(req(corev1.LabelArchStable, in, "amd64", "arm64")))},
	{"attribute:topology.kubernetes.io/zone == zone-b", terms(term(req(zoneKey, in, "zone-b")))},
	{"attribute:ecs.ami-id == ami-123", terms(term(req("ecs.ami-id", in, "ami-123")))},
	{"attribute:gpu exists", terms(term(req("gpu", exist)))},
	{"attribute:gpu !exists", terms(term(req("gpu", dne)))},
	{"attribute:gpu EXISTS", terms(term(req("gpu", exist)))},
	{"attribute:stack not in [dev, 'test']", terms(term(req("stack", notIn, "dev", "test")))},
	{`attribute:stack !in ["dev"]`, terms(term(req("stack", notIn, "dev")))},
	{"attribute:stack ! in [dev]", terms(term(req("stack", notIn, "dev")))},
	{"attribute:stack in [a, a, b]", terms(term(req("stack", in, "a", "b")))},
	{`attribute:team == "payments"`, terms(term(req("team", in, "payments")))},
	{"attribute:team == ''", terms(term(req("team", in, "")))},
	{"attribute:team == and", terms(term(req("team", in, "and")))}, // after an operator a word is a value
	{"ec2InstanceId in ['i-1', 'i-2']", terms(term(req(hostKey, in, "i-1", "i-2")))},
	{"ec2InstanceId exists", terms(term(req(hostKey, exist)))},
	{"attribute:cores > 4", terms(term(req("cores", gt, "4")))},
	{"attribute:cores >= 4", terms(term(req("cores", gt, "3")))},
	{"attribute:cores < 8", terms(term(req("cores", lt, "8")))},
	{"attribute:cores <= 8", terms(term(req("cores", lt, "9")))},
	{"attribute:cores >= 1", terms(term(req("cores", gt, "0")))},
	{"attribute:a == x and attribute:b == y", terms(term(req("a", in, "x"), req("b", in, "y")))},
	{"attribute:a == x && attribute:b == y", terms(term(req("a", in, "x"), req("b", in, "y")))},
	{"attribute:a==x&&attribute:b!=y", terms(term(req("a", in, "x"), req("b", notIn, "y")))},
	{"attribute:a == x or attribute:b == y", terms(term(req("a", in, "x")), term(req("b", in, "y")))},
	{"attribute:a == x || attribute:b == y", terms(term(req("a", in, "x")), term(req("b", in, "y")))},
	{"attribute:a == x AND attribute:b == y OR attribute:c exists",
		terms(term(req("a", in, "x"), req("b", in, "y")), term(req("c", exist)))},
	// and binds tighter than or.
	{"attribute:a == x or attribute:b == y and attribute:c == z",
		terms(term(req("a", in, "x")), term(req("b", in, "y"), req("c", in, "z")))},
	{"(attribute:a == x or attribute:b == y) and attribute:c == z",
		terms(term(req("a", in, "x"), req("c", in, "z")), term(req("b", in, "y"), req("c", in, "z")))},
	{"attribute:ecs.availability-zone in [zone-a] and (attribute:x == 1 or attribute:y == 2) and (attribute:p == 1 or attribute:q == 2)",
		terms(
			term(req(zoneKey, in, "zone-a"), req("x", in, "1"), req("p", in, "1")),
			term(req(zoneKey, in, "zone-a"), req("x", in, "1"), req("q", in, "2")),
			term(req(zoneKey, in, "zone-a"), req("y", in, "2"), req("p", in, "1")),
			term(req(zoneKey, in, "zone-a"), req("y", in, "2"), req("q", in, "2")),
		)},
	{"((attribute:a == x))", terms(term(req("a", in, "x")))},
	// Negation is pushed down to the conditions (De Morgan).
	{"not(attribute:a == x)", terms(term(req("a", notIn, "x")))},
	{"!(attribute:a in [x, y] or attribute:b exists)", terms(term(req("a", notIn, "x", "y"), req("b", dne)))},
	{"not (attribute:a != x and attribute:b !exists)", terms(term(req("a", in, "x")), term(req("b", exist)))},
	{"not not attribute:a == x", terms(term(req("a", in, "x")))},
	{"!attribute:a not in [x]", terms(term(req("a", in, "x")))},
	// Duplicates collapse.
	{"attribute:a == x and attribute:a == x", terms(term(req("a", in, "x")))},
	{"attribute:a == x or attribute:a == x", terms(term(req("a", in, "x")))},
	{"(attribute:a == x and attribute:b == y) or (attribute:b == y and attribute:a == x)",
		terms(term(req("a", in, "x"), req("b", in, "y")))},
	{"  attribute:a\t==\nx  ", terms(term(req("a", in, "x")))},
}

func TestParseMemberOf(t *testing.T) {
	for _, tc := range validMemberOf {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := ParseMemberOf(tc.expr)
			if err != nil {
				t.Fatalf("ParseMemberOf: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("terms (-want +got):\n%s", diff)
			}
		})
	}
}

// invalidMemberOf are expressions ParseMemberOf rejects, with the column and token the error
// must point at (column len+1 and token "" at the end) and substrings of its message.
var invalidMemberOf = []struct {
	expr   string
	column int
	token  string
	want   []string
}{
	{"attribute:ecs.instance-type =~ t2.*", 29, "=~", []string{"the =~ pattern operator has no node-affinity equivalent", "list the values with in [...]", `column 29, "=~"`}},
	{"attribute:ecs.instance-type !~ t2.*", 29, "!~", []string{"the !~ pattern operator has no node-affinity equivalent", "not in [...]"}},
	{"runningTasksCount == 0", 1, "runningTasksCount", []string{"the subject runningTasksCount has no node-affinity equivalent", "distinctInstance"}},
	{"attribute:a == x and task:group == service:web", 22, "task:group", []string{"task:group has no node-affinity equivalent"}},
	{"agentVersion != 1.14.1", 1, "agentVersion", []string{"label the nodes and use attribute:<label>"}},
	{"agentConnected == true", 1, "agentConnected", []string{"drop the condition"}},
	{"registeredAt < 2020-01-01", 1, "registeredAt", []string{"registration times"}},
	{"zone == a", 1, "zone", []string{"unknown subject", "attribute:<name>"}},
	{"attribute: == x", 1, "attribute:", []string{"the attribute name is empty"}},
	{"attribute:-bad == x", 1, "attribute:-bad", []string{`"-bad" is not a valid node label key`}},
	{"attribute:a = b", 13, "=", []string{"unknown operator", "compare with =="}},
	{"attribute:a == x & attribute:b == y", 18, "&", []string{"unknown operator", "&& or and"}},
	{"attribute:a == x | attribute:b == y", 18, "|", []string{"|| or or"}},
	{"attribute:a ~ x", 13, "~", []string{"unknown operator"}},
	{"attribute:a == 'x", 16, "'x", []string{"unterminated quoted value"}},
	{"attribute:a in x", 16, "x", []string{"in takes a list in brackets", "in [a, b]"}},
	{"attribute:a in []", 17, "]", []string{"the list is empty"}},
	{"attribute:a in [x,]", 19, "]", []string{"remove the trailing comma"}},
	{"attribute:a in [x y]", 19, "y", []string{"expected , or ] in the list"}},
	{"attribute:a in [x", 16, "[", []string{"unclosed list"}},
	{"attribute:a in [x,", 16, "[", []string{"unclosed list"}},
	{"attribute:a in [(]", 17, "(", []string{"expected a value in the list"}},
	{"attribute:a == [x, y]", 16, "[", []string{"== compares with one value", "in [a, b]"}},
	{"attribute:a ==", 15, "", []string{"end of expression", "expected a value after =="}},
	{"attribute:a == )", 16, ")", []string{"expected a value after =="}},
	{"attribute:a", 12, "", []string{"expected an operator after attribute:a"}},
	{"attribute:a is x", 13, "is", []string{"expected an operator after attribute:a", "==, !=, in [...]"}},
	{"attribute:a not exists", 13, "not", []string{"expected in after not", "!exists"}},
	{"attribute:a ! x", 13, "!", []string{"expected in or exists after !"}},
	{"attribute:a == x and", 21, "", []string{"expected a condition"}},
	{"attribute:a == x or or attribute:b == y", 21, "or", []string{"expected a condition before or"}},
	{"attribute:a == x and && attribute:b == y", 22, "&&", []string{"expected a condition"}},
	{"(attribute:a == x", 1, "(", []string{"unclosed parenthesis"}},
	{"(attribute:a == x attribute:b == y)", 19, "attribute:b", []string{"expected ) or a connective", "column 1"}},
	{"attribute:a == x)", 17, ")", []string{"unbalanced closing parenthesis"}},
	{"attribute:a == x attribute:b == y", 18, "attribute:b", []string{"unexpected token after a complete condition", "join conditions with and / or"}},
	{"attribute:a == two words", 20, "words", []string{"quote values that contain spaces"}},
	{"", 1, "", []string{"the expression is empty"}},
	{"   ", 4, "", []string{"the expression is empty"}},
	{"'zone-a' == attribute:a", 1, "'zone-a'", []string{"a quoted value cannot start a condition"}},
	{"attribute:a == t2.*", 16, "t2.*", []string{`"t2.*" is not a valid node label value`, "patterns and wildcards are not supported"}},
	{"attribute:a == 'two words'", 16, "'two words'", []string{"is not a valid node label value"}},
	{"attribute:a > x", 15, "x", []string{"> compares integers"}},
	{"attribute:a > ", 15, "", []string{"expected an integer after >"}},
	{"attribute:a >= 0", 16, "0", []string{"needs the bound -1", "cannot be negative"}},
	{"attribute:a < -3", 15, "-3", []string{"cannot be negative"}},
	{"attribute:a <= 9223372036854775807", 16, "9223372036854775807", []string{"out of range"}},
	{"not attribute:a > 3", 17, ">", []string{"a negated numeric comparison has no node-affinity equivalent", "opposite comparison"}},
	{"ec2InstanceId > 3", 15, ">", []string{"numeric comparison on ec2InstanceId"}},
	{strings.Repeat("(", 40) + "attribute:a == x" + strings.Repeat(")", 40), 33, "(", []string{"nested more than 32 levels deep"}},
	// Seven ANDed pairs of alternatives need 2^7 terms; the sixth "and" crosses the bound.
	{manyAlternatives(7), 267, "and", []string{"more than 64 terms", "in [...]"}},
	{"attribute:a in [" + strings.Repeat("x,", 1000) + "x]", 2001, "x,x,x,x,x,", []string{"longer than 2000 characters", `,…": column 2001, "x,x,x,x,x,"`}},
}

func TestParseMemberOfErrors(t *testing.T) {
	for _, tc := range invalidMemberOf {
		name := tc.expr
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			got, err := ParseMemberOf(tc.expr)
			if err == nil {
				t.Fatalf("ParseMemberOf accepted it: %v", got)
			}
			var ee *ExpressionError
			if !errors.As(err, &ee) {
				t.Fatalf("error %T is not an *ExpressionError: %v", err, err)
			}
			if !errors.Is(err, ErrInvalidPlacement) {
				t.Errorf("error does not match ErrInvalidPlacement")
			}
			if ee.Column != tc.column || ee.Token != tc.token {
				t.Errorf("column, token = %d, %q; want %d, %q (%v)", ee.Column, ee.Token, tc.column, tc.token, err)
			}
			if ee.Expression != tc.expr {
				t.Errorf("Expression = %q, want the input", ee.Expression)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err.Error(), s)
				}
			}
		})
	}
}

func TestExpressionErrorMessage(t *testing.T) {
	_, err := ParseMemberOf("attribute:ecs.instance-type =~ t2.*")
	want := `memberOf expression "attribute:ecs.instance-type =~ t2.*": column 29, "=~": ` +
		`the =~ pattern operator has no node-affinity equivalent; list the values with in [...]`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

// The result must not share slices with anything the parser keeps: callers edit Pod specs.
func TestParseMemberOfReturnsFreshSlices(t *testing.T) {
	expr := "attribute:a in [x, y] and (attribute:b == 1 or attribute:c == 2)"
	first, err := ParseMemberOf(expr)
	if err != nil {
		t.Fatal(err)
	}
	first[0].MatchExpressions[0].Values[0] = "changed"
	second, _ := ParseMemberOf(expr)
	if second[0].MatchExpressions[0].Values[0] != "x" {
		t.Errorf("second parse sees the first result's edit")
	}
	if first[1].MatchExpressions[0].Values[0] != "x" {
		t.Errorf("terms of one result share value slices")
	}
}

// manyAlternatives ANDs n groups "(attribute:aI == 1 or attribute:bI == 2)" (45 bytes with
// the " and " joining them, for I < 10), whose normal form has 2^n terms.
func manyAlternatives(n int) string {
	groups := make([]string, n)
	for i := range groups {
		d := strconv.Itoa(i)
		groups[i] = "(attribute:a" + d + " == 1 or attribute:b" + d + " == 2)"
	}
	return strings.Join(groups, " and ")
}

// The largest normal form within the length limit: 64 terms of 75 requirements each.
// It must parse (quickly: the fuzz target runs the parser millions of times).
func TestParseMemberOfLargest(t *testing.T) {
	expr := manyAlternatives(6)
	for i := 0; len(expr) < maxExpressionLength-30; i++ {
		expr += " and attribute:c" + strconv.Itoa(i) + " exists"
	}
	got, err := ParseMemberOf(expr)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != maxTerms || len(got[0].MatchExpressions) != 75 {
		t.Errorf("%d terms of %d requirements, want %d terms of 75", len(got), len(got[0].MatchExpressions), maxTerms)
	}
}

// Or-ing more than maxTerms alternatives fails at the or that crosses the bound.
func TestParseMemberOfTooManyAlternatives(t *testing.T) {
	alts := make([]string, maxTerms+1)
	for i := range alts {
		alts[i] = "attribute:a == v" + strconv.Itoa(i)
	}
	expr := strings.Join(alts, " or ")
	_, err := ParseMemberOf(expr)
	var ee *ExpressionError
	if !errors.As(err, &ee) || ee.Column != strings.LastIndex(expr, " or ")+2 || ee.Token != "or" ||
		!strings.Contains(ee.Reason, "more than 64 terms") {
		t.Errorf("error %v, want one at the last or", err)
	}
	if _, err := ParseMemberOf(strings.Join(alts[:maxTerms], " or ")); err != nil {
		t.Errorf("%d alternatives: %v", maxTerms, err)
	}
}
