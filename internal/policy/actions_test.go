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
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// crdPath is the generated RepositoryPolicy CRD, relative to this package.
var crdPath = filepath.Join("..", "..", "config", "crd", "bases", "ecr.berth.dev_repositorypolicies.yaml")

// TestKnownActionsMatchCRD reads the CEL rule on the Action type from the generated CRD and
// checks that both action lists in it equal KnownActions in lowercase, compared with the
// lowercased action, so the schema and the evaluator cannot drift apart (in the names or in
// case-insensitivity).
func TestKnownActionsMatchCRD(t *testing.T) {
	raw, err := os.ReadFile(crdPath)
	if err != nil {
		t.Fatalf("reading the generated CRD: %v", err)
	}
	var crd map[string]any
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatalf("parsing %s: %v", crdPath, err)
	}
	versions, _ := dig(t, crd, "spec", "versions").([]any)
	var rule string
	for _, v := range versions {
		vm, _ := v.(map[string]any)
		if vm["name"] != "v1alpha1" {
			continue
		}
		items := dig(t, vm, "schema", "openAPIV3Schema", "properties", "spec", "properties",
			"statements", "items", "properties", "actions", "items")
		validations, _ := dig(t, items, "x-kubernetes-validations").([]any)
		for _, val := range validations {
			r, _ := dig(t, val, "rule").(string)
			if strings.Contains(strings.ToLower(r), "ecr:batchgetimage") {
				rule = r
			}
		}
	}
	if rule == "" {
		t.Fatalf("%s: no CEL rule listing ECR actions on v1alpha1 statements[].actions[]", crdPath)
	}

	// The rule holds the list twice: once for exact names, once for wildcard prefixes.
	lists := regexp.MustCompile(`\[([^\]]*)\]`).FindAllStringSubmatch(rule, -1)
	if len(lists) != 2 {
		t.Fatalf("expected 2 action lists in the CEL rule, found %d:\n%s", len(lists), rule)
	}
	quoted := regexp.MustCompile(`'([^']*)'`)
	var want []string
	for _, a := range KnownActions() {
		want = append(want, strings.ToLower(a))
	}
	for i, l := range lists {
		var got []string
		for _, m := range quoted.FindAllStringSubmatch(l[1], -1) {
			got = append(got, m[1])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CEL action list %d differs from KnownActions in lowercase (-KnownActions +CRD):\n%s", i+1, diff)
		}
	}
	if !strings.HasPrefix(rule, "self == '*' ||") {
		t.Errorf("CEL rule no longer starts by admitting \"*\"; update ValidateAction and MatchAction to match:\n%s", rule)
	}
	if strings.Count(rule, "self.lowerAscii()") != 2 {
		t.Errorf("CEL rule no longer compares the lowercased action with both lists; ValidateAction and MatchAction ignore case:\n%s", rule)
	}
}

// dig walks nested YAML maps.
func dig(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("CRD: expected a map above %q", k)
		}
		v = m[k]
	}
	return v
}

func TestKnownActions(t *testing.T) {
	a := KnownActions()
	a[0] = "changed"
	if KnownActions()[0] != ActionBatchGetImage {
		t.Error("KnownActions returned its internal slice")
	}
	for _, name := range []string{
		ActionBatchGetImage, ActionGetDownloadURLForLayer, ActionBatchCheckLayerAvailability,
		ActionInitiateLayerUpload, ActionUploadLayerPart, ActionCompleteLayerUpload, ActionPutImage,
		ActionBatchDeleteImage, ActionListImages, ActionDescribeRepositories, ActionListImageReferrers,
	} {
		if !IsKnownAction(name) {
			t.Errorf("constant %s is not a known action", name)
		}
	}
	for name, want := range map[string]bool{
		"ecr:batchgetimage": true, "ECR:BATCHGETIMAGE": true, "Ecr:PutImage": true,
		"ecr:*": false, "*": false, "ecr:BatchGetImag": false, "": false, "ecr:Batch\u212aetImage": false,
	} {
		if got := IsKnownAction(name); got != want {
			t.Errorf("IsKnownAction(%q) = %v, want %v", name, got, want)
		}
	}
	seen := map[string]bool{}
	for _, name := range KnownActions() {
		if seen[name] {
			t.Errorf("duplicate known action %s", name)
		}
		seen[name] = true
	}
}

func TestMatchAction(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", ActionBatchGetImage, true},
		{"*", ActionBatchDeleteImage, true},
		{"ecr:*", ActionBatchDeleteImage, true},
		{"ecr:*", "s3:GetObject", false},
		{"ecr:Get*", ActionGetDownloadURLForLayer, true},
		{"ecr:Get*", ActionBatchGetImage, false},
		{"ecr:Batch*", ActionBatchGetImage, true},
		{"ecr:Batch*", ActionBatchCheckLayerAvailability, true},
		{"ecr:Batch*", ActionBatchDeleteImage, true}, // a wildcard means what it says
		{"ecr:BatchGet*", ActionBatchDeleteImage, false},
		{"ecr:BatchGetImage*", ActionBatchGetImage, true}, // "*" may match nothing
		{"ecr:BatchGetImage", ActionBatchGetImage, true},
		{"ecr:BatchGetImage", "ecr:BatchGetImages", false},
		{"ecr:BatchGetImage", "ecr:BatchGetImag", false},
		{"ecr:PutImage", ActionPutImage, true},
		{"ecr:PutImage", ActionBatchDeleteImage, false}, // push never implies delete
		{"ecr:Put*", ActionBatchDeleteImage, false},
		{"ecr:*Image", ActionPutImage, false}, // only a trailing "*" is a wildcard
		{"ecr:Put?mage", ActionPutImage, false},
		{"ECR:batchgetimage", ActionBatchGetImage, true}, // IAM action names are case-insensitive
		{"ecr:get*", ActionGetDownloadURLForLayer, true},
		{"ECR:*", ActionPutImage, true},
		{"", ActionPutImage, false},
		{"", "", true},
		{"ecr:PutImage", "", false},
		{"e*", ActionPutImage, true},
		{"ecr:\u212a*", "ecr:k", false}, // Kelvin sign is not ASCII "k"
	}
	for _, tt := range tests {
		if got := MatchAction(tt.pattern, tt.action); got != tt.want {
			t.Errorf("MatchAction(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}

func TestValidateAction(t *testing.T) {
	valid := []string{
		"*", "ecr:*", "ecr:Get*", "ecr:BatchGetImage", "ecr:BatchGetImage*", "e*", "ecr:GetImageCopyStatus",
		// Any case, as IAM and MatchAction.
		"ecr:batchgetimage", "ECR:BatchGetImage", "ECR:BATCHGETIMAGE", "ECR:*", "ecr:get*", "Ecr:BatchCheck*", "E*",
	}
	for _, a := range valid {
		if err := ValidateAction(a); err != nil {
			t.Errorf("ValidateAction(%q) = %v, want nil", a, err)
		}
	}
	invalid := []string{"", "ecr:Foo", "ecr:Foo*", "s3:*", "ecr:*Image", "ecr:BatchGetImages", "**", "ecr:pullimage", "ECR:PULL*", "ecr:Get**", "ecr:\u212a*"}
	for _, a := range invalid {
		err := ValidateAction(a)
		if !errors.Is(err, ErrUnknownAction) {
			t.Errorf("ValidateAction(%q) = %v, want ErrUnknownAction", a, err)
		}
	}
}
