//go:build bench || soak

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

package clusterbench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// auditEvent is the part of an audit.k8s.io/v1 Event that P4 reads.
type auditEvent struct {
	Verb      string `json:"verb"`
	UserAgent string `json:"userAgent"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
	} `json:"objectRef"`
	RequestReceivedTimestamp time.Time `json:"requestReceivedTimestamp"`
}

// writeCount is the controller's writes in one namespace, by "verb resource[/subresource]".
type writeCount struct {
	total int
	by    map[string]int
}

func (w writeCount) String() string {
	keys := slices.Sorted(maps.Keys(w.by))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, w.by[k]))
	}
	return strings.Join(parts, ",")
}

// controllerWrites counts the writes berth-controller sent for objects in ns, received in
// [from, to), from the sandbox's audit log. The API server has no per-client request metric
// (apiserver_request_total has no user agent), and every client of the sandbox uses the same
// admin credentials, so the user agent cmd/manager sets is what tells the controller apart.
func controllerWrites(ns string, from, to time.Time) (writeCount, error) {
	f, err := os.Open(sb.auditLog)
	if err != nil {
		return writeCount{}, fmt.Errorf("opening the audit log: %w", err)
	}
	defer f.Close()
	w := writeCount{by: map[string]int{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), controllerUserAgent) {
			continue
		}
		var ev auditEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return w, fmt.Errorf("parsing the audit log: %w", err)
		}
		if !strings.HasPrefix(ev.UserAgent, controllerUserAgent) || ev.ObjectRef == nil || ev.ObjectRef.Namespace != ns ||
			ev.RequestReceivedTimestamp.Before(from) || !ev.RequestReceivedTimestamp.Before(to) {
			continue
		}
		key := ev.Verb + " " + ev.ObjectRef.Resource
		if ev.ObjectRef.Subresource != "" {
			key += "/" + ev.ObjectRef.Subresource
		}
		w.total++
		w.by[key]++
	}
	if err := sc.Err(); err != nil {
		return w, fmt.Errorf("reading the audit log: %w", err)
	}
	return w, nil
}
