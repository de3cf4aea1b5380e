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

package taskdef

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors classify a FieldError, so a caller can choose a condition reason with
// errors.Is without parsing messages.
var (
	// ErrInvalid is a value that cannot be translated (unparsable, out of range, or rejected
	// by ECS itself).
	ErrInvalid = errors.New("invalid value")
	// ErrConflict is a task-wide Pod field set differently by two containers.
	ErrConflict = errors.New("conflicting values")
	// ErrCycle is a dependsOn or volumesFrom cycle.
	ErrCycle = errors.New("cycle")
	// ErrUnknownReference is a reference to a container or volume the task does not have.
	ErrUnknownReference = errors.New("unknown reference")
)

// FieldError is why a task definition cannot be translated. Its message starts with the
// field's path in the spec (which names the container), so users can act on it as is.
type FieldError struct {
	// Field is the path in the spec, such as containerDefinitions[web].mountPoints[0].sourceVolume.
	Field string
	// Container is the container concerned, empty for task-level fields.
	Container string
	// Detail says what is wrong and, where possible, how to fix it.
	Detail string
	// Err is one of the sentinel errors (ErrInvalid, ErrConflict, ...), possibly wrapping the
	// underlying parse error.
	Err error
}

// Error returns "<field>: <detail>".
func (e *FieldError) Error() string { return e.Field + ": " + e.Detail }

// Unwrap returns the sentinel (and any wrapped cause) for errors.Is and errors.As.
func (e *FieldError) Unwrap() error { return e.Err }

// invalid returns an ErrInvalid FieldError.
func invalid(container, field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Container: container, Detail: fmt.Sprintf(format, args...), Err: ErrInvalid}
}

// invalidCause returns an ErrInvalid FieldError that also wraps cause.
func invalidCause(container, field string, cause error, format string, args ...any) *FieldError {
	return &FieldError{
		Field: field, Container: container, Detail: fmt.Sprintf(format, args...) + ": " + cause.Error(),
		Err: fmt.Errorf("%w: %w", ErrInvalid, cause),
	}
}

// conflict returns an ErrConflict FieldError.
func conflict(container, field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Container: container, Detail: fmt.Sprintf(format, args...), Err: ErrConflict}
}

// unknown returns an ErrUnknownReference FieldError.
func unknown(container, field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Container: container, Detail: fmt.Sprintf(format, args...), Err: ErrUnknownReference}
}

// cycle returns an ErrCycle FieldError.
func cycle(container, field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Container: container, Detail: fmt.Sprintf(format, args...), Err: ErrCycle}
}

// cfield is the path of a container's field: containerDefinitions[name].a.b.
func cfield(container string, parts ...string) string {
	p := "containerDefinitions[" + container + "]"
	for _, s := range parts {
		p += "." + s
	}
	return p
}

// idx renders a list index for field paths: name[3].
func idx(name string, i int) string { return name + "[" + strconv.Itoa(i) + "]" }

// key renders a map key or list-map key for field paths: name[key].
func key(name, k string) string { return name + "[" + k + "]" }
