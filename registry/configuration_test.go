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

package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/registry/auth"
	"github.com/berth-dev/berth/registry/middleware"
	"github.com/berth-dev/berth/registry/options"
)

func TestBuildConfigurationDefaults(t *testing.T) {
	o := options.DefaultOptions()
	o.HTTPSecret = ""
	cfg, err := BuildConfiguration(o, "shared-secret")
	if err != nil {
		t.Fatal(err)
	}
	wantStorage := configuration.Storage{
		"filesystem": {"rootdirectory": "/var/lib/registry"},
		"delete":     {"enabled": true},
		"redirect":   {"disable": true},
		"maintenance": {
			"uploadpurging": map[any]any{"enabled": true, "age": "168h", "interval": "24h", "dryrun": false},
			"readonly":      map[any]any{"enabled": false},
		},
	}
	if diff := cmp.Diff(wantStorage, cfg.Storage); diff != "" {
		t.Errorf("storage mismatch (-want +got):\n%s", diff)
	}
	if cfg.Storage.Type() != options.DriverFilesystem {
		t.Errorf("storage type = %q, want filesystem", cfg.Storage.Type())
	}
	if diff := cmp.Diff(configuration.Auth{"berth": {"realm": "berth-registry", "host": ""}}, cfg.Auth); diff != "" {
		t.Errorf("auth mismatch (-want +got):\n%s", diff)
	}
	wantMiddleware := map[string][]configuration.Middleware{
		"registry":   {{Name: "berth-repositories", Options: configuration.Parameters{}}},
		"repository": {{Name: "berth-tag-immutability", Options: configuration.Parameters{}}},
	}
	if diff := cmp.Diff(wantMiddleware, cfg.Middleware); diff != "" {
		t.Errorf("middleware mismatch (-want +got):\n%s", diff)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		// What configuration.Parse would fill and NewApp relies on.
		{"catalog max entries", cfg.Catalog.MaxEntries, 1000},
		{"max tags", cfg.Tags.MaxTags, 1000},
		{"HTTP secret", cfg.HTTP.Secret, "shared-secret"},
		{"HTTP address", cfg.HTTP.Addr, ":5000"},
		{"validation", cfg.Validation.Enabled, true},
		{"storage health check", cfg.Health.StorageDriver.Enabled, true},
		{"redis", len(cfg.Redis.Options.Addrs), 0},
		{"notification endpoints", len(cfg.Notifications.Endpoints), 0},
	}
	for _, c := range checks {
		if !cmp.Equal(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestBuildConfigurationS3RedisNotifications(t *testing.T) {
	o := options.DefaultOptions()
	o.Storage = options.StorageOptions{
		Driver:        options.DriverS3,
		RootDirectory: "/registry",
		S3:            options.S3Options{Bucket: "images", Region: "us-east-1", RegionEndpoint: "http://minio:9000", ForcePathStyle: true},
		Parameters:    map[string]any{"chunksize": float64(10 << 20), "secure": false},
	}
	o.Redis = options.RedisOptions{Addrs: []string{"redis:6379"}, DB: 2, Password: "pw"}
	o.Notifications.URL = "https://berth-controller.berth-system.svc:9443/registry/events"
	o.Notifications.Headers = map[string]string{"authorization": "Bearer x"}
	o.Host = "https://registry.example.com"
	cfg, err := BuildConfiguration(o, "")
	if err != nil {
		t.Fatal(err)
	}
	wantS3 := configuration.Parameters{
		"bucket": "images", "region": "us-east-1", "regionendpoint": "http://minio:9000",
		"forcepathstyle": true, "rootdirectory": "/registry",
		"chunksize": 10 << 20, // an int: YAML numbers arrive as float64
		"secure":    false,
	}
	if diff := cmp.Diff(wantS3, cfg.Storage["s3"]); diff != "" {
		t.Errorf("s3 parameters mismatch (-want +got):\n%s", diff)
	}
	if got := cfg.Storage["cache"]["blobdescriptor"]; got != "redis" {
		t.Errorf("blob descriptor cache = %v, want redis", got)
	}
	if diff := cmp.Diff([]string{"redis:6379"}, cfg.Redis.Options.Addrs); diff != "" {
		t.Errorf("redis addresses mismatch:\n%s", diff)
	}
	if cfg.Redis.Options.DB != 2 || cfg.Redis.Options.Password != "pw" {
		t.Errorf("redis options = %+v", cfg.Redis.Options)
	}
	if cfg.HTTP.Host != o.Host {
		t.Errorf("HTTP host = %q, want %q", cfg.HTTP.Host, o.Host)
	}
	if len(cfg.Notifications.Endpoints) != 1 {
		t.Fatalf("notification endpoints = %d, want 1", len(cfg.Notifications.Endpoints))
	}
	ep := cfg.Notifications.Endpoints[0]
	if ep.URL != o.Notifications.URL || ep.Timeout != 2*time.Second || ep.Threshold != 5 || ep.Backoff != 2*time.Second {
		t.Errorf("endpoint = %+v", ep)
	}
	if got := ep.Headers.Get("Authorization"); got != "Bearer x" {
		t.Errorf("Authorization header = %q", got)
	}
	if !cfg.Notifications.EventConfig.IncludeReferences {
		t.Error("events do not include references")
	}
	if diff := cmp.Diff([]string{"mount"}, ep.Ignore.Actions); diff != "" {
		t.Errorf("ignored actions mismatch:\n%s", diff)
	}
	for _, mt := range []string{"application/octet-stream", "application/vnd.oci.image.layer.v1.tar+gzip"} {
		if !strings.Contains(strings.Join(ep.Ignore.MediaTypes, " "), mt) {
			t.Errorf("blob media type %s is not ignored", mt)
		}
	}
}

func TestBuildConfigurationAcceptedByNewApp(t *testing.T) {
	if err := registerExtensions(); err != nil {
		t.Fatal(err)
	}
	o := options.DefaultOptions()
	o.Storage.Driver = options.DriverInMemory
	cfg, err := BuildConfiguration(o, "secret")
	if err != nil {
		t.Fatal(err)
	}
	withMiddlewareDeps(cfg, &middleware.Deps{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app, err := newApp(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = app.Shutdown() }()

	// Without the gate's verdict the backstop refuses, with a challenge.
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/v2/", nil))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("GET /v2/ without a verdict: %d %v, want 401 with a challenge", rec.Code, rec.Header())
	}
	// With one, distribution answers.
	rec = httptest.NewRecorder()
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/v2/", nil)
	app.ServeHTTP(rec, req.WithContext(auth.WithVerdict(req.Context(), &auth.Verdict{ID: auth.Anonymous})))
	if rec.Code != http.StatusOK {
		t.Errorf("GET /v2/ with a verdict: %d, want 200", rec.Code)
	}
}
