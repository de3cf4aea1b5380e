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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// specHashLength is how many hex digits SpecHash keeps (64 bits): ample for the revisions of
// one family, short enough for names and labels.
const specHashLength = 16

// SpecHash is a stable hash of a revision's content, so the TaskDefinition controller can
// tell whether a spec change registers a new revision. It hashes the canonical JSON of the
// spec (struct fields in declaration order, map keys sorted), so the order of fields in the
// user's YAML does not matter and any changed value does. revisionHistoryLimit is left out:
// it says how many old revisions to keep and is not part of any revision.
func SpecHash(spec *ecsv1alpha1.TaskDefinitionSpec) (string, error) {
	if spec == nil {
		return "", fmt.Errorf("spec hash: %w: no spec", ErrInvalid)
	}
	s := *spec
	s.RevisionHistoryLimit = nil
	b, err := json.Marshal(&s)
	if err != nil {
		return "", fmt.Errorf("spec hash: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:specHashLength], nil
}
