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
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewCaller(t *testing.T) {
	tests := []struct {
		name     string
		username string
		groups   []string
		want     Caller
	}{
		{
			name:     "service account from TokenReview",
			username: "system:serviceaccount:team-b:builder",
			groups:   []string{"system:serviceaccounts", "system:serviceaccounts:team-b", "system:authenticated"},
			want: Caller{
				User:           "system:serviceaccount:team-b:builder",
				Groups:         []string{"system:serviceaccounts", "system:serviceaccounts:team-b", "system:authenticated"},
				ServiceAccount: &ServiceAccountRef{Namespace: "team-b", Name: "builder"},
			},
		},
		{
			name:     "service account with groups missing",
			username: "system:serviceaccount:team-b:builder",
			want: Caller{
				User:           "system:serviceaccount:team-b:builder",
				Groups:         []string{"system:serviceaccounts", "system:serviceaccounts:team-b", "system:authenticated"},
				ServiceAccount: &ServiceAccountRef{Namespace: "team-b", Name: "builder"},
			},
		},
		{
			name:     "user, duplicate groups dropped, order kept",
			username: "alice@example.com",
			groups:   []string{"devs", "ops", "devs"},
			want:     Caller{User: "alice@example.com", Groups: []string{"devs", "ops", "system:authenticated"}},
		},
		{
			name:     "user whose name looks like a service account but is not one",
			username: "system:serviceaccount:a:b:c",
			want:     Caller{User: "system:serviceaccount:a:b:c", Groups: []string{"system:authenticated"}},
		},
		{
			name:     "anonymous",
			username: "system:anonymous",
			groups:   []string{"system:unauthenticated"},
			want:     Caller{User: "system:anonymous", Groups: []string{"system:unauthenticated"}, Anonymous: true},
		},
		{
			name:     "empty username is anonymous and never authenticated",
			username: "",
			groups:   []string{"system:authenticated", "extra"},
			want:     Caller{User: "system:anonymous", Groups: []string{"system:unauthenticated", "extra"}, Anonymous: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]string(nil), tt.groups...)
			got := NewCaller(tt.username, in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NewCaller (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.groups, in); diff != "" {
				t.Errorf("NewCaller changed its input groups:\n%s", diff)
			}
		})
	}
}

func TestAnonymousCaller(t *testing.T) {
	want := Caller{User: UserAnonymous, Groups: []string{GroupUnauthenticated}, Anonymous: true}
	if diff := cmp.Diff(want, AnonymousCaller()); diff != "" {
		t.Errorf("AnonymousCaller (-want +got):\n%s", diff)
	}
}

func TestParseServiceAccountUsername(t *testing.T) {
	tests := []struct {
		username, ns, name string
		ok                 bool
	}{
		{"system:serviceaccount:team-b:builder", "team-b", "builder", true},
		{"system:serviceaccount:team-b:", "", "", false},
		{"system:serviceaccount::builder", "", "", false},
		{"system:serviceaccount:team-b", "", "", false},
		{"system:serviceaccount:a:b:c", "", "", false},
		{"system:serviceaccounts:team-b", "", "", false},
		{"serviceaccount:team-b:builder", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		ns, name, ok := ParseServiceAccountUsername(tt.username)
		if ns != tt.ns || name != tt.name || ok != tt.ok {
			t.Errorf("ParseServiceAccountUsername(%q) = %q, %q, %v; want %q, %q, %v", tt.username, ns, name, ok, tt.ns, tt.name, tt.ok)
		}
		if tt.ok {
			if got := ServiceAccountUsername(ns, name); got != tt.username {
				t.Errorf("ServiceAccountUsername(%q, %q) = %q", ns, name, got)
			}
		}
	}
}
