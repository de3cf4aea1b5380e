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

package controllers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// RepositoryOptions configure the Repository controller; cmd/manager binds them to flags.
type RepositoryOptions struct {
	// RegistryHost is the registry's host[:port] as clients see it: status.repositoryUri is
	// <RegistryHost>/<namespace>/<name>.
	RegistryHost string
	// RegistryURL is how the controller reaches the registry API, for example
	// http://berth-registry.berth-system.svc:5000.
	RegistryURL string
	// RegistryCAFile is a PEM bundle to trust for an https RegistryURL (default: system roots).
	RegistryCAFile string
	// ServiceAccount is the controller's own ServiceAccount, <namespace>/<name>: its tokens
	// (TokenRequest, audience TokenAudience) authenticate the controller to the registry, where
	// the berth-registry-admin ClusterRole lets it list and delete images.
	ServiceAccount string
	// TokenAudience is the registry's token audience.
	TokenAudience string
	// TokenLifetime is the lifetime asked of each token; tokens are renewed at half of it.
	TokenLifetime time.Duration
	// ResyncInterval is how often each Repository is read again without a notification.
	ResyncInterval time.Duration
	// EventsAddr is where the registry's notifications are received; empty or "0" disables
	// the receiver (status then follows the resync only).
	EventsAddr string
	// EventsTokenFile holds a bearer token the registry must send with notifications (its
	// notification header Authorization: Bearer <token>); empty accepts any caller.
	EventsTokenFile string
	// Concurrency is how many Repositories are reconciled at once.
	Concurrency int
}

// Defaults of RepositoryOptions.
const (
	defaultRepositoryResync      = 10 * time.Minute
	defaultRegistryTokenLifetime = time.Hour
	defaultRepositoryConcurrency = 2
	// defaultRegistryAudience is the token audience berth-registry accepts by default.
	defaultRegistryAudience = "berth-registry"
	// eventQueueSize bounds notifications waiting for the reconciler; beyond it they are
	// dropped and the resync catches up.
	eventQueueSize = 1024
)

// BindFlags registers the Repository controller's flags.
func (o *RepositoryOptions) BindFlags(fs *flag.FlagSet) {
	sa := "berth-system/berth-controller"
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		sa = ns + "/berth-controller"
	}
	fs.StringVar(&o.RegistryHost, "registry-host", o.RegistryHost, "The bundled registry's host[:port] as clients see it, for status.repositoryUri.")
	fs.StringVar(&o.RegistryURL, "registry-url", "http://berth-registry.berth-system.svc:5000", "URL of the bundled registry's API, as the controller reaches it.")
	fs.StringVar(&o.RegistryCAFile, "registry-ca-file", "", "PEM CA bundle for an https --registry-url (default: system roots).")
	fs.StringVar(&o.ServiceAccount, "registry-service-account", sa, "The controller's ServiceAccount <namespace>/<name>, whose tokens authenticate it to the registry.")
	fs.StringVar(&o.TokenAudience, "registry-token-audience", defaultRegistryAudience, "Token audience the registry accepts.")
	fs.DurationVar(&o.TokenLifetime, "registry-token-lifetime", defaultRegistryTokenLifetime, "Lifetime of the controller's registry tokens (renewed at half-life).")
	fs.DurationVar(&o.ResyncInterval, "repository-resync-interval", defaultRepositoryResync, "How often a Repository is read from the registry without a notification (lifecycle rules are evaluated then too).")
	fs.StringVar(&o.EventsAddr, "registry-events-bind-address", ":9090", "Address that receives the registry's notifications (plain HTTP, path "+RegistryEventsPath+"); 0 disables it.")
	fs.StringVar(&o.EventsTokenFile, "registry-events-token-file", "", "File holding the bearer token the registry sends with notifications; empty accepts any caller.")
	fs.IntVar(&o.Concurrency, "repository-concurrency", defaultRepositoryConcurrency, "Repositories reconciled at once.")
}

// setupRepository registers the Repository controller and, when EventsAddr is set, its
// notification receiver.
func setupRepository(_ context.Context, mgr ctrl.Manager, o RepositoryOptions, reg registryAPI) error {
	r := &RepositoryReconciler{
		Client:         mgr.GetClient(),
		Recorder:       mgr.GetEventRecorder("berth-repository-controller"),
		Registry:       reg,
		RegistryHost:   o.RegistryHost,
		ResyncInterval: o.ResyncInterval,
	}
	if r.ResyncInterval <= 0 {
		r.ResyncInterval = defaultRepositoryResync
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("repository").
		// Status writes (lastEvaluatedAt moves every pass) must not bring another pass.
		For(&ecrv1alpha1.Repository{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, o.Concurrency)})
	if o.EventsAddr != "" && o.EventsAddr != "0" {
		token, err := readTokenFile(o.EventsTokenFile)
		if err != nil {
			return err
		}
		events := make(chan event.TypedGenericEvent[*ecrv1alpha1.Repository], eventQueueSize)
		if err := mgr.Add(&registryEventReceiver{addr: o.EventsAddr, token: token, out: events, log: mgr.GetLogger().WithName("registry-events")}); err != nil {
			return fmt.Errorf("adding the registry event receiver: %w", err)
		}
		b = b.WatchesRawSource(source.Channel(events, &handler.TypedEnqueueRequestForObject[*ecrv1alpha1.Repository]{}))
	}
	if err := b.Complete(r); err != nil {
		return fmt.Errorf("setting up the Repository controller: %w", err)
	}
	return nil
}

// newRepositoryRegistry builds the registry client of the options.
func newRepositoryRegistry(mgr ctrl.Manager, o RepositoryOptions) (*registryClient, error) {
	ns, name, ok := strings.Cut(o.ServiceAccount, "/")
	if !ok || ns == "" || name == "" {
		return nil, fmt.Errorf("the controller's ServiceAccount %q must be <namespace>/<name>", o.ServiceAccount)
	}
	if o.TokenLifetime < 10*time.Minute {
		return nil, errors.New("the registry token lifetime must be at least 10m (the API server's minimum)")
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if o.RegistryCAFile != "" {
		pem, err := os.ReadFile(o.RegistryCAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the registry CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", o.RegistryCAFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	tokens := &serviceAccountTokens{
		client: mgr.GetClient(), namespace: ns, name: name,
		audience: o.TokenAudience, lifetime: o.TokenLifetime, now: time.Now,
	}
	return newRegistryClient(o.RegistryURL, &http.Client{Transport: transport, Timeout: 30 * time.Second}, tokens)
}

// readTokenFile reads a bearer token; an empty name is no token.
func readTokenFile(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	b, err := os.ReadFile(name) //nolint:gosec // an operator-given path
	if err != nil {
		return "", fmt.Errorf("reading the registry events token: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("the registry events token file %s is empty", name)
	}
	return t, nil
}
