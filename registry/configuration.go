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
	"math"
	"net/http"
	"time"

	"github.com/distribution/distribution/v3/configuration"

	"github.com/berth-dev/berth/registry/middleware"
	"github.com/berth-dev/berth/registry/options"
)

// Names under which Berth's extension points are registered with distribution.
const (
	accessControllerName     = "berth"
	registryMiddlewareName   = "berth-repositories"
	repositoryMiddlewareName = "berth-tag-immutability"
)

// BuildConfiguration turns options into distribution's configuration, setting what
// configuration.Parse would default and NewApp relies on. httpSecret is the resolved HTTP
// secret (empty: distribution makes a random one). The result names Berth's access
// controller and middleware; registry.New adds the objects they need before NewApp.
func BuildConfiguration(o options.Options, httpSecret string) (*configuration.Configuration, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg := &configuration.Configuration{Version: configuration.MajorMinorVersion(0, 1)}

	params := configuration.Parameters{}
	switch o.Storage.Driver {
	case options.DriverFilesystem:
		params["rootdirectory"] = o.Storage.RootDirectory
	case options.DriverS3:
		params["bucket"] = o.Storage.S3.Bucket
		params["region"] = o.Storage.S3.Region
		params["forcepathstyle"] = o.Storage.S3.ForcePathStyle
		if o.Storage.S3.RegionEndpoint != "" {
			params["regionendpoint"] = o.Storage.S3.RegionEndpoint
		}
		if o.Storage.RootDirectory != "" {
			params["rootdirectory"] = o.Storage.RootDirectory
		}
	}
	for k, v := range o.Storage.Parameters {
		params[k] = normalizeParameter(v)
	}
	cfg.Storage = configuration.Storage{
		o.Storage.Driver: params,
		// Deleting is allowed in storage and decided by policy and RBAC (ecr:BatchDeleteImage,
		// verb delete); lifecycle expiry needs it.
		"delete":   configuration.Parameters{"enabled": true},
		"redirect": configuration.Parameters{"disable": !o.Storage.Redirect},
		// NewApp type-asserts these sub-maps as map[any]any (the YAML v2 shape).
		"maintenance": configuration.Parameters{
			"uploadpurging": map[any]any{"enabled": true, "age": "168h", "interval": "24h", "dryrun": false},
			"readonly":      map[any]any{"enabled": false},
		},
	}
	if len(o.Redis.Addrs) > 0 {
		cfg.Storage["cache"] = configuration.Parameters{"blobdescriptor": "redis"}
		cfg.Redis.Options.Addrs = o.Redis.Addrs
		cfg.Redis.Options.MasterName = o.Redis.MasterName
		cfg.Redis.Options.Username = o.Redis.Username
		cfg.Redis.Options.Password = o.Redis.Password
		cfg.Redis.Options.DB = o.Redis.DB
		cfg.Redis.Options.DialTimeout = 5 * time.Second
	}

	cfg.Auth = configuration.Auth{accessControllerName: configuration.Parameters{"realm": o.Auth.Realm, "host": o.Host}}
	cfg.Middleware = map[string][]configuration.Middleware{
		"registry":   {{Name: registryMiddlewareName, Options: configuration.Parameters{}}},
		"repository": {{Name: repositoryMiddlewareName, Options: configuration.Parameters{}}},
	}

	cfg.HTTP.Addr = o.Addr
	cfg.HTTP.Host = o.Host
	cfg.HTTP.Secret = httpSecret
	cfg.HTTP.DrainTimeout = o.DrainTimeout.Duration
	cfg.HTTP.Headers = http.Header{"X-Content-Type-Options": {"nosniff"}}

	// Defaults that configuration.Parse fills and a configuration built in code lacks: with
	// MaxEntries 0 the catalog is always empty.
	cfg.Catalog.MaxEntries = 1000
	cfg.Tags.MaxTags = 1000
	cfg.Log.Level = "info"
	// Validation on, as NewApp would decide anyway; manifests may not point at foreign URLs.
	cfg.Validation.Enabled = true

	cfg.Health.StorageDriver = configuration.StorageDriver{Enabled: true, Interval: 10 * time.Second, Threshold: 3}

	cfg.Notifications = notifications(o.Notifications)
	return cfg, nil
}

// normalizeParameter turns the float64 that YAML numbers become into an int when integral,
// because distribution's drivers parse integer parameters from ints or strings only.
func normalizeParameter(v any) any {
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int(f)
	}
	return v
}

// withMiddlewareDeps gives Berth's middleware in cfg their dependencies: distribution builds
// middleware by name from the configuration, so deps travel as an option value.
func withMiddlewareDeps(cfg *configuration.Configuration, deps *middleware.Deps) {
	for _, kind := range []string{"registry", "repository"} {
		for i := range cfg.Middleware[kind] {
			cfg.Middleware[kind][i].Options[middleware.DepsOption] = deps
		}
	}
}
