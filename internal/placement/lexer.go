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

import "strings"

// tokenKind classifies the tokens of the ECS cluster query language.
type tokenKind int

const (
	tokEOF      tokenKind = iota
	tokWord               // a bare word: subject, keyword (and, or, not, in, exists) or value
	tokString             // a quoted value, quotes removed
	tokOp                 // ==, !=, =~, !~, >, >=, <, <=, !, &&, ||
	tokLParen             // (
	tokRParen             // )
	tokLBracket           // [
	tokRBracket           // ]
	tokComma              // ,
)

// token is one lexeme with its byte offset in the expression.
type token struct {
	kind tokenKind
	text string // the value for words and strings, the lexeme otherwise
	raw  string // the lexeme as written (with quotes), for error messages
	pos  int    // byte offset of the first byte
}

// wordBreak lists the bytes that end a bare word besides white space.
const wordBreak = "()[],'\"=!<>~&|"

// lex splits an expression into tokens. It fails only on an unterminated quote or a lone
// '=', '&' or '|', which are common slips worth a precise message.
func lex(expr string) ([]token, *ExpressionError) {
	var toks []token
	i := 0
	for i < len(expr) {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{kind: tokLParen, text: "(", raw: "(", pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tokRParen, text: ")", raw: ")", pos: i})
			i++
		case c == '[':
			toks = append(toks, token{kind: tokLBracket, text: "[", raw: "[", pos: i})
			i++
		case c == ']':
			toks = append(toks, token{kind: tokRBracket, text: "]", raw: "]", pos: i})
			i++
		case c == ',':
			toks = append(toks, token{kind: tokComma, text: ",", raw: ",", pos: i})
			i++
		case c == '\'' || c == '"':
			end := strings.IndexByte(expr[i+1:], c)
			if end < 0 {
				return nil, &ExpressionError{Expression: expr, Column: i + 1, Token: expr[i:],
					Reason: "unterminated quoted value", Hint: "close it with " + string(c)}
			}
			toks = append(toks, token{kind: tokString, text: expr[i+1 : i+1+end], raw: expr[i : i+2+end], pos: i})
			i += end + 2
		case strings.IndexByte("=!<>~&|", c) >= 0:
			op, err := lexOperator(expr, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokOp, text: op, raw: op, pos: i})
			i += len(op)
		default:
			start := i
			for i < len(expr) && !isSpace(expr[i]) && strings.IndexByte(wordBreak, expr[i]) < 0 {
				i++
			}
			toks = append(toks, token{kind: tokWord, text: expr[start:i], raw: expr[start:i], pos: start})
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(expr)}), nil
}

// lexOperator reads the operator starting at expr[i].
func lexOperator(expr string, i int) (string, *ExpressionError) {
	two := ""
	if i+1 < len(expr) {
		two = expr[i : i+2]
	}
	switch two {
	case "==", "!=", "=~", "!~", ">=", "<=", "&&", "||":
		return two, nil
	}
	switch c := expr[i]; c {
	case '!', '>', '<':
		return string(c), nil
	case '=':
		return "", &ExpressionError{Expression: expr, Column: i + 1, Token: "=",
			Reason: "unknown operator", Hint: "compare with =="}
	case '&':
		return "", &ExpressionError{Expression: expr, Column: i + 1, Token: "&",
			Reason: "unknown operator", Hint: "join conditions with && or and"}
	case '|':
		return "", &ExpressionError{Expression: expr, Column: i + 1, Token: "|",
			Reason: "unknown operator", Hint: "join alternatives with || or or"}
	default: // '~'
		return "", &ExpressionError{Expression: expr, Column: i + 1, Token: string(c),
			Reason: "unknown operator", Hint: "compare with ==, or list the values with in [...]"}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
