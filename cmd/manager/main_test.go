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

package main

import "testing"

func TestParseFlags(t *testing.T) {
	o, zo, err := parseFlags([]string{"--leader-elect", "--kube-api-qps=500", "--kube-api-burst=1000", "--zap-log-level=debug"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.leaderElect || o.qps != 500 || o.burst != 1000 || zo == nil {
		t.Errorf("parsed %+v", o)
	}
	if d, _, err := parseFlags(nil); err != nil || d.qps != defaultQPS || d.burst != defaultBurst || d.pprofAddr != "" {
		t.Errorf("defaults: QPS %v burst %d pprof %q (%v), want %d, %d and off", d.qps, d.burst, d.pprofAddr, err, defaultQPS, defaultBurst)
	}
	if o.metricsAddr != ":8080" || o.probeAddr != ":8081" {
		t.Errorf("default addresses %q %q, want :8080 :8081", o.metricsAddr, o.probeAddr)
	}
	for _, bad := range [][]string{{"--kube-api-qps=0"}, {"--kube-api-burst=-1"}, {"--no-such-flag"}} {
		if _, _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%v) accepted", bad)
		}
	}
}
