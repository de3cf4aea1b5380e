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
	"net/http"

	"github.com/distribution/distribution/v3/configuration"

	"github.com/berth-dev/berth/registry/options"
)

// notificationEndpointName names the controller's endpoint in distribution's logs and metrics.
const notificationEndpointName = "berth-controller"

// ignoredEventMediaTypes are the blob media types whose events berth-controller does not
// need: it keeps Repository status from manifest events (push, pull, delete, each carrying
// its references) and re-reads the registry for the rest. Blob uploads are reported as
// application/octet-stream, since distribution does not know what a blob is when it is
// uploaded. Dropping them here keeps the in-memory event queue short during pushes.
var ignoredEventMediaTypes = []string{
	"application/octet-stream",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	"application/vnd.docker.container.image.v1+json",
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.oci.image.config.v1+json",
	"application/vnd.oci.empty.v1+json",
}

// notifications configures distribution to post events to the controller. Delivery is
// at-least-once while the process lives and lost on restart (distribution keeps the queue in
// memory), which is why the controller treats events as hints and resyncs periodically.
func notifications(o options.NotificationOptions) configuration.Notifications {
	if o.URL == "" {
		return configuration.Notifications{}
	}
	headers := make(http.Header, len(o.Headers))
	for k, v := range o.Headers {
		headers.Set(k, v)
	}
	return configuration.Notifications{
		// References let the controller size an image from the event alone.
		EventConfig: configuration.Events{IncludeReferences: true},
		Endpoints: []configuration.Endpoint{{
			Name:      notificationEndpointName,
			URL:       o.URL,
			Headers:   headers,
			Timeout:   o.Timeout.Duration,
			Threshold: o.Threshold,
			Backoff:   o.Backoff.Duration,
			Ignore: configuration.Ignore{
				MediaTypes: ignoredEventMediaTypes,
				// A mount is a blob event; the manifest push that follows it is what counts.
				Actions: []string{"mount"},
			},
		}},
	}
}
