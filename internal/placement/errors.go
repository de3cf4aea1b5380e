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
	"fmt"
	"strconv"
)

// ErrInvalidPlacement is matched (errors.Is) by every error caused by the user's placement
// configuration, so the controller can tell a spec to fix (Stalled, reason InvalidPlacement)
// from a bug in its own call.
var ErrInvalidPlacement = errors.New("invalid placement")

// FieldError names the spec field whose placement setting cannot be translated, so the
// Stalled message points the user at the line to change.
type FieldError struct {
	// Field is the path of the offending field, e.g. "spec.placementConstraints[1].expression".
	Field string
	// Err says what is wrong; it is an *ExpressionError for memberOf expressions.
	Err error
}

// Error implements error.
func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap exposes the cause (an *ExpressionError for memberOf expressions).
func (e *FieldError) Unwrap() error { return e.Err }

// Is makes every FieldError match ErrInvalidPlacement.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidPlacement }

// ExpressionError is a memberOf expression that cannot be parsed or has no node-affinity
// equivalent. It carries the position and the token so the message can point at the exact
// spot, and a hint saying what to write instead.
type ExpressionError struct {
	// Expression is the whole expression as the user wrote it.
	Expression string
	// Column is the 1-based byte column of Token in Expression; len(Expression)+1 at the end.
	Column int
	// Token is the offending token as written (at most its first 10 bytes past the length
	// limit); empty at the end of the expression.
	Token string
	// Reason says what is wrong.
	Reason string
	// Hint says what to do instead; it may be empty.
	Hint string
}

// Error implements error: `memberOf expression "…": column 31, "=~": reason; hint`.
func (e *ExpressionError) Error() string {
	at := "end of expression"
	if e.Token != "" {
		at = "column " + strconv.Itoa(e.Column) + ", " + strconv.Quote(e.Token)
	}
	expr := e.Expression
	if len(expr) > maxExpressionLength { // keep condition messages bounded
		expr = expr[:maxExpressionLength] + "…"
	}
	msg := fmt.Sprintf("memberOf expression %q: %s: %s", expr, at, e.Reason)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// Is makes every ExpressionError match ErrInvalidPlacement.
func (e *ExpressionError) Is(target error) bool { return target == ErrInvalidPlacement }
