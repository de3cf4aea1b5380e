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
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/berth-dev/berth/controllers/ecr"
	"github.com/berth-dev/berth/controllers/ecs"
	regclient "github.com/berth-dev/berth/registry/client"
)

// Options configure the reconcilers; cmd/manager binds them to flags.
type Options struct {
	// ServiceConcurrency is how many Services are reconciled at once.
	ServiceConcurrency int
	// TaskWorkers bounds the task Pod creations and deletions one Service reconcile issues
	// at once; the client's QPS and burst bound them further.
	TaskWorkers int
	// BinpackSchedulerName is the scheduler profile that scores nodes MostAllocated, used for
	// binpack placement strategies; empty: binpack is reported as not applied.
	BinpackSchedulerName string
	// ContainerRestartRules says the cluster has per-container restart rules, so an ECS
	// restartPolicy restarts only its own container.
	ContainerRestartRules bool
	// AlarmPrometheusURL is the Prometheus-compatible HTTP API that deployment alarm queries
	// go to when a Service names none; empty: such alarms have no data.
	AlarmPrometheusURL string

	// RegistryHost is the bundled registry's host[:port]; task images under it are pulled
	// with PullSecretName. This is the hook of the registry work: empty adds no pull secret.
	RegistryHost string
	// PullSecretName is the execution pull Secret listed in task Pods that pull from
	// RegistryHost (for the default execution ServiceAccount; others get
	// <PullSecretName>-<serviceaccount>). With RegistryHost set, the pull credentials
	// controller keeps these Secrets; empty lists and keeps none.
	PullSecretName string
	// PullTokenLifetime is the lifetime of the tokens in pull Secrets, renewed at half-life.
	PullTokenLifetime time.Duration
	// RegistryReaderRole is the ClusterRole execution ServiceAccounts are bound to (the Helm
	// chart names it after its release).
	RegistryReaderRole string
	// Repository configures the Repository controller and how it reaches the registry; an
	// empty Repository.RegistryURL leaves the Repository controller out (tests of other kinds).
	Repository RepositoryOptions

	// Digests pins the images of a new deployment to the digests they resolve to when the
	// deployment starts (ECS versionConsistency); nil pins nothing.
	Digests ecs.DigestResolver
}

// BindFlags registers the reconcilers' flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	o.Repository.BindFlags(fs)
	fs.IntVar(&o.ServiceConcurrency, "service-concurrency", ecs.DefaultServiceConcurrency, "Services reconciled at once.")
	fs.IntVar(&o.TaskWorkers, "task-workers", ecs.DefaultTaskWorkers, "Task Pod creations and deletions one Service reconcile issues at once.")
	fs.StringVar(&o.BinpackSchedulerName, "binpack-scheduler-name", "", "Scheduler profile scoring nodes MostAllocated, for binpack placement strategies (empty: binpack is not applied).")
	fs.BoolVar(&o.ContainerRestartRules, "container-restart-rules", false, "The cluster supports per-container restart rules (ContainerRestartRules feature).")
	fs.StringVar(&o.AlarmPrometheusURL, "alarm-prometheus-url", "", "Base URL of the Prometheus-compatible HTTP API that deployment alarm queries go to when a Service names none (empty: none).")
	fs.StringVar(&o.PullSecretName, "pull-secret-name", ecs.DefaultPullSecretName, "Pull Secret of the default execution ServiceAccount in each namespace whose tasks use bundled-registry images (empty: keep none).")
	fs.DurationVar(&o.PullTokenLifetime, "pull-token-lifetime", ecs.DefaultPullTokenLifetime, "Lifetime of the registry tokens in pull Secrets (renewed at half-life).")
	fs.StringVar(&o.RegistryReaderRole, "registry-reader-role", ecs.RegistryReaderRole, "ClusterRole granting pull, bound to execution ServiceAccounts in their namespace.")
}

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
	defaultRegistryTokenLifetime = time.Hour
	defaultRepositoryConcurrency = 2
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
	fs.StringVar(&o.TokenAudience, "registry-token-audience", regclient.DefaultAudience, "Token audience the registry accepts.")
	fs.DurationVar(&o.TokenLifetime, "registry-token-lifetime", defaultRegistryTokenLifetime, "Lifetime of the controller's registry tokens (renewed at half-life).")
	fs.DurationVar(&o.ResyncInterval, "repository-resync-interval", ecr.DefaultResyncInterval, "How often a Repository is read from the registry without a notification (lifecycle rules are evaluated then too).")
	fs.StringVar(&o.EventsAddr, "registry-events-bind-address", ":9090", "Address that receives the registry's notifications (plain HTTP, path "+ecr.RegistryEventsPath+"); 0 disables it.")
	fs.StringVar(&o.EventsTokenFile, "registry-events-token-file", "", "File holding the bearer token the registry sends with notifications; empty accepts any caller.")
	fs.IntVar(&o.Concurrency, "repository-concurrency", defaultRepositoryConcurrency, "Repositories reconciled at once.")
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
