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

package options

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		modify func(o *Options)
		want   string // substring of the error; empty for valid
	}{
		{"defaults", func(*Options) {}, ""},
		{"inmemory", func(o *Options) { o.Storage.Driver = DriverInMemory }, ""},
		{"unknown driver", func(o *Options) { o.Storage.Driver = "gcs" }, "unknown storage driver"},
		{"s3 without bucket", func(o *Options) { o.Storage.Driver = DriverS3; o.Storage.S3.Region = "x" }, "needs a bucket"},
		{"cert without key", func(o *Options) { o.TLS.CertFile = "tls.crt" }, "TLS certificate and key"},
		{"relative host", func(o *Options) { o.Host = "registry.example.com" }, "absolute URL"},
		{"no audience", func(o *Options) { o.Auth.Audiences = nil }, "audience"},
		{"token TTL above a minute", func(o *Options) { o.Auth.TokenCacheTTL.Duration = 2 * time.Minute }, "at most 1m0s"},
		{"notification URL", func(o *Options) { o.Notifications.URL = "ftp://x" }, "http or https"},
		{"secret twice", func(o *Options) { o.HTTPSecret = "a"; o.HTTPSecretFile = "/f" }, "not both"},
		{"gc only after deletions, no grace", func(o *Options) { o.GC.Interval.Duration = 0; o.GC.GracePeriod.Duration = 0 }, ""},
		{"negative gc grace period", func(o *Options) { o.GC.GracePeriod.Duration = -time.Second }, "garbage collection"},
		{"negative gc interval", func(o *Options) { o.GC.Interval.Duration = -time.Second }, "garbage collection"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			tc.modify(&o)
			err := o.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadConfigFileFlagsWin(t *testing.T) {
	file := filepath.Join(t.TempDir(), "registry.yaml")
	yaml := `
addr: ":6000"
pprofAddr: "127.0.0.1:6060"
storage:
  driver: inmemory
auth:
  audiences: [berth-registry, https://oidc.example.com]
  accessCacheTTL: 3s
notifications:
  url: http://controller:9443/events
gc:
  gracePeriod: 30m
  dryRun: true
`
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	BindFlags(fs, &o)
	if err := fs.Parse([]string{"--config", file, "--listen-address", ":7000", "--audiences", "only-this", "--gc-interval", "5m"}); err != nil {
		t.Fatal(err)
	}
	if err := LoadConfigFile(fs, &o); err != nil {
		t.Fatal(err)
	}
	want := DefaultOptions()
	want.ConfigFile = file
	want.Addr = ":7000"                  // flag over file
	want.PprofAddr = "127.0.0.1:6060"    // file over default (off)
	want.Storage.Driver = DriverInMemory // file over default
	want.Auth.Audiences = []string{"only-this"}
	want.Auth.AccessCacheTTL = metav1.Duration{Duration: 3 * time.Second}
	want.Notifications.URL = "http://controller:9443/events"
	want.GC.GracePeriod = metav1.Duration{Duration: 30 * time.Minute} // file
	want.GC.DryRun = true
	want.GC.Interval = metav1.Duration{Duration: 5 * time.Minute} // flag
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("options mismatch (-want +got):\n%s", diff)
	}

	if err := os.WriteFile(file, []byte("unknownKey: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := LoadConfigFile(fs, &o); err == nil || !strings.Contains(err.Error(), "unknownKey") {
		t.Errorf("unknown key: err = %v, want an error naming it", err)
	}
}

// TestBuildConfigurationAcceptedByNewApp checks that the configuration built in code is one
// distribution's NewApp accepts (it panics otherwise) and serves the base route.
