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

package policy

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// MaxNameLength is the longest repository name the OCI distribution specification (and
// distribution's reference package) accepts.
const MaxNameLength = 255

// ErrInvalidName reports a repository name outside the OCI name grammar or outside Berth's
// <namespace>/<name> form.
var ErrInvalidName = errors.New("invalid repository name")

// ErrInvalidReference reports a tag, digest or upload id that the OCI grammar does not allow.
var ErrInvalidReference = errors.New("invalid reference")

// ValidateName checks name against the OCI distribution name grammar: one or more "/"-separated
// components of lowercase letters and digits joined by ".", "_", "__" or runs of "-", at most
// MaxNameLength characters in all. Errors wrap ErrInvalidName.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidName)
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("%w: %d characters, more than %d", ErrInvalidName, len(name), MaxNameLength)
	}
	for c := range strings.SplitSeq(name, "/") {
		if !validNameComponent(c) {
			return fmt.Errorf("%w %q: component %q must be lowercase letters and digits separated by '.', '_', '__' or '-'", ErrInvalidName, name, c)
		}
	}
	return nil
}

// validNameComponent reports whether c matches [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*.
func validNameComponent(c string) bool {
	i := 0
	for {
		start := i
		for i < len(c) && isLowerAlnum(c[i]) {
			i++
		}
		if i == start {
			return false
		}
		if i == len(c) {
			return true
		}
		switch c[i] {
		case '.':
			i++
		case '_':
			i++
			if i < len(c) && c[i] == '_' {
				i++
			}
		case '-':
			for i < len(c) && c[i] == '-' {
				i++
			}
		default:
			return false
		}
	}
}

// SplitRepository turns an OCI repository name into the Kubernetes namespace and Repository
// name it stands for. Berth names have exactly two components, <namespace>/<name>; a name of
// another shape cannot belong to any Repository, so it is an error (wrapping ErrInvalidName).
func SplitRepository(name string) (namespace, repository string, err error) {
	if err := ValidateName(name); err != nil {
		return "", "", err
	}
	namespace, repository, ok := strings.Cut(name, "/")
	if !ok || strings.Contains(repository, "/") {
		return "", "", fmt.Errorf("%w %q: Berth repositories are addressed as <namespace>/<name>", ErrInvalidName, name)
	}
	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return "", "", fmt.Errorf("%w %q: namespace %q: %s", ErrInvalidName, name, namespace, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(repository); len(errs) > 0 {
		return "", "", fmt.Errorf("%w %q: repository %q: %s", ErrInvalidName, name, repository, strings.Join(errs, "; "))
	}
	return namespace, repository, nil
}

// JoinRepository is the inverse of SplitRepository: the OCI name of Repository name in
// namespace.
func JoinRepository(namespace, repository string) string {
	return namespace + "/" + repository
}

// validTag reports whether t matches the OCI tag grammar [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
func validTag(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case isAlnum(c) || c == '_':
		case i > 0 && (c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// validDigest reports whether d matches the OCI digest grammar
// algorithm ":" encoded, with algorithm [a-z0-9]+([+._-][a-z0-9]+)* and encoded [a-zA-Z0-9=_-]+.
func validDigest(d string) bool {
	alg, enc, ok := strings.Cut(d, ":")
	if !ok || alg == "" || enc == "" {
		return false
	}
	prevSep := true // the algorithm may not start with a separator
	for i := 0; i < len(alg); i++ {
		c := alg[i]
		switch {
		case isLowerAlnum(c):
			prevSep = false
		case c == '+' || c == '.' || c == '_' || c == '-':
			if prevSep {
				return false
			}
			prevSep = true
		default:
			return false
		}
	}
	if prevSep {
		return false
	}
	for i := 0; i < len(enc); i++ {
		if c := enc[i]; !isAlnum(c) && c != '=' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// validUploadID reports whether id matches distribution's upload id pattern [a-zA-Z0-9-_.=]+.
func validUploadID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' && c != '=' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') }

func isAlnum(c byte) bool { return isLowerAlnum(c) || ('A' <= c && c <= 'Z') }
