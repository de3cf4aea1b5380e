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
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	crconfig "sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/yaml"
)

// Storage drivers berth-registry offers (docs/registry-internals.md): filesystem on a
// PersistentVolume by default, s3 for several replicas, inmemory for tests.
const (
	DriverFilesystem = "filesystem"
	DriverS3         = "s3"
	DriverInMemory   = "inmemory"
)

// Environment variables that provide defaults for secrets, so that they can come from a
// Kubernetes Secret without appearing on the command line.
const (
	EnvHTTPSecret    = "BERTH_REGISTRY_HTTP_SECRET"    //nolint:gosec // the name of a variable, not a secret
	EnvRedisPassword = "BERTH_REGISTRY_REDIS_PASSWORD" //nolint:gosec // the name of a variable, not a secret
)

// EnvPodNamespace is the registry Pod's namespace (the downward API), the default lease
// namespace.
const EnvPodNamespace = "POD_NAMESPACE"

// MaxTokenCacheTTL is the longest a TokenReview result is trusted (docs/registry-internals.md):
// a token revoked by deleting its ServiceAccount or Pod stops working within this time.
const MaxTokenCacheTTL = 60 * time.Second

// DefaultAudience is the token audience the registry accepts unless configured otherwise:
// tokens made with `kubectl create token <sa> --audience berth-registry`.
const DefaultAudience = "berth-registry"

// Options configure berth-registry. They come from flags and, optionally, a YAML file whose
// keys are the JSON names below; flags given on the command line win over the file, and the
// file over DefaultOptions.
type Options struct {
	// ConfigFile is the optional YAML file the options were read from.
	ConfigFile string `json:"-"`

	// Addr is where the registry API, /healthz and /readyz listen.
	Addr string `json:"addr,omitempty"`
	// TLS, when its files are set, serves HTTPS; the files are reloaded when they change, so
	// a cert-manager Secret can rotate them.
	TLS TLSOptions `json:"tls,omitzero"`
	// Host is the registry's external URL (https://registry.example.com), used in Location
	// headers and notification URLs; empty means the Host of each request.
	Host string `json:"host,omitempty"`
	// MetricsAddr is where Prometheus metrics are served; "0" disables them. They are kept
	// off the registry port, which is usually public.
	MetricsAddr string `json:"metricsAddr,omitempty"`
	// PprofAddr is where net/http/pprof's /debug/pprof endpoints are served (CPU and heap
	// profiles); empty or "0" (the default) disables them. Like the metrics, never on the
	// registry port.
	PprofAddr string `json:"pprofAddr,omitempty"`

	// Storage selects and configures the storage driver.
	Storage StorageOptions `json:"storage,omitzero"`
	// HTTPSecret signs upload state; every replica must share it, or uploads fail when a
	// client's requests reach different replicas. Empty: HTTPSecretFile, else a random secret
	// (fine for one replica). Defaults to $BERTH_REGISTRY_HTTP_SECRET.
	HTTPSecret string `json:"httpSecret,omitempty"`
	// HTTPSecretFile holds the HTTP secret, for a mounted Secret.
	HTTPSecretFile string `json:"httpSecretFile,omitempty"`
	// Redis, when it has addresses, holds the blob-descriptor cache that several replicas
	// share.
	Redis RedisOptions `json:"redis,omitzero"`

	// Auth configures authentication and the decision caches.
	Auth AuthOptions `json:"auth,omitzero"`
	// Notifications configures the endpoint that receives push, pull and delete events.
	Notifications NotificationOptions `json:"notifications,omitzero"`
	// Kube configures the API server connection.
	Kube KubeOptions `json:"kube,omitzero"`

	// DrainTimeout bounds the wait for requests in flight at shutdown (long pushes and pulls);
	// keep the Pod's terminationGracePeriodSeconds above it.
	DrainTimeout metav1.Duration `json:"drainTimeout,omitzero"`
	// InstanceID names this replica in notifications and tag leases (default: the host name).
	InstanceID string `json:"instanceID,omitempty"`
	// LeaseNamespace holds the Leases that make writes of IMMUTABLE tags atomic across
	// replicas, and the one that keeps a single garbage collector running; the registry needs
	// get, create, update and delete on leases there. Default $POD_NAMESPACE; empty: a lock
	// in this process only, enough for one replica.
	LeaseNamespace string `json:"leaseNamespace,omitempty"`

	// GC configures online garbage collection of unreferenced blobs.
	GC GCOptions `json:"gc,omitzero"`
}

// GCOptions configure online garbage collection (registry/gc): blobs no manifest references
// are removed while the registry serves, on a schedule and soon after manifests are deleted.
type GCOptions struct {
	// Disabled turns garbage collection off (writes are still journaled, so another replica
	// may collect).
	Disabled bool `json:"disabled,omitempty"`
	// Interval is the time between scheduled runs; 0 runs only after deletions.
	Interval metav1.Duration `json:"interval,omitzero"`
	// GracePeriod keeps every blob and layer link written this recently, referenced or not:
	// it must exceed the longest pause of a client between pushing a layer and pushing the
	// manifest that references it.
	GracePeriod metav1.Duration `json:"gracePeriod,omitzero"`
	// TriggerDelay is how long a run waits after a manifest deletion or a Repository's
	// removal, gathering further deletions (a lifecycle expiry deletes many at once).
	TriggerDelay metav1.Duration `json:"triggerDelay,omitzero"`
	// DryRun reports what would be removed (metrics, log, events) and removes nothing.
	DryRun bool `json:"dryRun,omitempty"`
}

// TLSOptions name the serving certificate.
type TLSOptions struct {
	// CertFile is the PEM certificate chain.
	CertFile string `json:"certFile,omitempty"`
	// KeyFile is the PEM private key.
	KeyFile string `json:"keyFile,omitempty"`
}

// StorageOptions select the storage driver. The typed fields cover the usual settings;
// Parameters passes any other distribution driver parameter through (and wins over them).
type StorageOptions struct {
	// Driver is filesystem, s3 or inmemory.
	Driver string `json:"driver,omitempty"`
	// RootDirectory is where the filesystem driver keeps data, or the key prefix in the S3
	// bucket.
	RootDirectory string `json:"rootDirectory,omitempty"`
	// S3 configures the s3 driver; credentials come from the usual AWS environment variables
	// or Parameters (accesskey, secretkey).
	S3 S3Options `json:"s3,omitzero"`
	// Redirect sends blob downloads to presigned storage URLs instead of streaming them
	// through the registry; only for storage that clients and kubelets can reach.
	Redirect bool `json:"redirect,omitempty"`
	// Parameters are extra distribution driver parameters.
	Parameters map[string]any `json:"parameters,omitempty"`
}

// S3Options configure the s3 driver for any S3-compatible store.
type S3Options struct {
	// Bucket is the bucket name.
	Bucket string `json:"bucket,omitempty"`
	// Region is the bucket's region.
	Region string `json:"region,omitempty"`
	// RegionEndpoint is the endpoint of a non-AWS store (MinIO, Ceph RGW…).
	RegionEndpoint string `json:"regionEndpoint,omitempty"`
	// ForcePathStyle uses path-style bucket URLs, which most non-AWS stores need.
	ForcePathStyle bool `json:"forcePathStyle,omitempty"`
}

// RedisOptions configure the optional redis blob-descriptor cache.
type RedisOptions struct {
	// Addrs are host:port addresses; several without a master name mean Redis Cluster.
	Addrs []string `json:"addrs,omitempty"`
	// MasterName selects Redis Sentinel.
	MasterName string `json:"masterName,omitempty"`
	// Username for Redis ACLs.
	Username string `json:"username,omitempty"`
	// Password (default $BERTH_REGISTRY_REDIS_PASSWORD).
	Password string `json:"password,omitempty"`
	// DB is the database number.
	DB int `json:"db,omitempty"`
}

// AuthOptions configure who may call the registry.
type AuthOptions struct {
	// Audiences are the token audiences the registry accepts; a site can add its OIDC
	// audience here.
	Audiences []string `json:"audiences,omitempty"`
	// Realm is the Basic realm of challenges.
	Realm string `json:"realm,omitempty"`
	// TokenCacheTTL is how long a TokenReview answer is reused (at most 60s, and never past
	// the token's expiry).
	TokenCacheTTL metav1.Duration `json:"tokenCacheTTL,omitzero"`
	// AccessCacheTTL is how long a SubjectAccessReview answer is reused.
	AccessCacheTTL metav1.Duration `json:"accessCacheTTL,omitzero"`
	// Tokens configures the registry's own authorization tokens (ECR's GetAuthorizationToken),
	// served as an aggregated API of the Kubernetes API server.
	Tokens TokenOptions `json:"tokens,omitzero"`
}

// TokenOptions configures authorization tokens for any Kubernetes identity: berth-registry
// serves AuthorizationToken (registry.berth.dev/v1alpha1) behind an APIService, signs tokens
// with keys kept in a Secret, and verifies them locally.
type TokenOptions struct {
	// APIAddr is the HTTPS address of the aggregated API ("": tokens are not issued, and
	// only Kubernetes tokens log in).
	APIAddr string `json:"apiAddr,omitempty"`
	// Namespace holds the key and serving Secrets (default $POD_NAMESPACE).
	Namespace string `json:"namespace,omitempty"`
	// KeySecret is the Secret of the signing keys, shared by the replicas.
	KeySecret string `json:"keySecret,omitempty"`
	// ServingSecret holds the aggregated API's self-made serving certificate and its CA,
	// shared by the replicas; the CA goes into APIService's caBundle.
	ServingSecret string `json:"servingSecret,omitempty"`
	// ServiceName is the Service the APIService points at (the certificate's DNS names).
	ServiceName string `json:"serviceName,omitempty"`
	// APIService is the APIService whose caBundle the registry keeps in step ("": leave it
	// to the installer, e.g. cert-manager's CA injector).
	APIService string `json:"apiService,omitempty"`
	// MaxLifetime caps a token's life (default 12h, ECR's).
	MaxLifetime metav1.Duration `json:"maxLifetime,omitzero"`
	// RotateAfter is how old the newest signing key gets before a new one replaces it.
	RotateAfter metav1.Duration `json:"rotateAfter,omitzero"`
}

// NotificationOptions configure distribution's notifications to berth-controller, which
// treats them as hints to refresh Repository status.
type NotificationOptions struct {
	// URL receives the events; empty disables notifications.
	URL string `json:"url,omitempty"`
	// Headers are added to every notification request (for example an Authorization header).
	Headers map[string]string `json:"headers,omitempty"`
	// Timeout bounds one delivery attempt.
	Timeout metav1.Duration `json:"timeout,omitzero"`
	// Threshold is the number of failures after which deliveries back off.
	Threshold int `json:"threshold,omitempty"`
	// Backoff is the wait between attempts once backing off.
	Backoff metav1.Duration `json:"backoff,omitzero"`
}

// KubeOptions configure the API server connection.
type KubeOptions struct {
	// Kubeconfig is a kubeconfig file; empty means $KUBECONFIG, in-cluster, then
	// ~/.kube/config.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	// QPS and Burst limit requests to the API server (reviews on cache misses).
	QPS   float64 `json:"qps,omitempty"`
	Burst int     `json:"burst,omitempty"`
}

// ID is this replica's name: InstanceID, else the host name.
func (o Options) ID() string {
	if o.InstanceID != "" {
		return o.InstanceID
	}
	h, _ := os.Hostname()
	return h
}

// DefaultOptions returns the defaults the flags show.
func DefaultOptions() Options {
	return Options{
		Addr:        ":5000",
		MetricsAddr: ":8080",
		Storage: StorageOptions{
			Driver:        DriverFilesystem,
			RootDirectory: "/var/lib/registry",
		},
		HTTPSecret:     os.Getenv(EnvHTTPSecret),
		LeaseNamespace: os.Getenv(EnvPodNamespace),
		Redis:          RedisOptions{Password: os.Getenv(EnvRedisPassword)},
		Auth: AuthOptions{
			Audiences:      []string{DefaultAudience},
			Realm:          "berth-registry",
			TokenCacheTTL:  metav1.Duration{Duration: MaxTokenCacheTTL},
			AccessCacheTTL: metav1.Duration{Duration: 5 * time.Second},
			Tokens: TokenOptions{
				Namespace:     os.Getenv(EnvPodNamespace),
				KeySecret:     "berth-registry-token-keys",
				ServingSecret: "berth-registry-api-tls",
				ServiceName:   "berth-registry-api",
				APIService:    "v1alpha1.registry.berth.dev",
				MaxLifetime:   metav1.Duration{Duration: 12 * time.Hour},
				RotateAfter:   metav1.Duration{Duration: 24 * time.Hour},
			},
		},
		Notifications: NotificationOptions{
			Timeout:   metav1.Duration{Duration: 2 * time.Second},
			Threshold: 5,
			Backoff:   metav1.Duration{Duration: 2 * time.Second},
		},
		Kube:         KubeOptions{QPS: 50, Burst: 100},
		DrainTimeout: metav1.Duration{Duration: 25 * time.Second},
		GC: GCOptions{
			Interval:     metav1.Duration{Duration: time.Hour},
			GracePeriod:  metav1.Duration{Duration: time.Hour},
			TriggerDelay: metav1.Duration{Duration: time.Minute},
		},
	}
}

// BindFlags registers the command-line flags on fs, writing into o.
func BindFlags(fs *flag.FlagSet, o *Options) {
	fs.StringVar(&o.ConfigFile, "config", o.ConfigFile, "YAML file with options (see registry.Options); flags given on the command line win over it.")
	fs.StringVar(&o.Addr, "listen-address", o.Addr, "Address the registry API, /healthz and /readyz listen on.")
	fs.StringVar(&o.TLS.CertFile, "tls-cert-file", o.TLS.CertFile, "PEM certificate to serve HTTPS with (reloaded when it changes).")
	fs.StringVar(&o.TLS.KeyFile, "tls-key-file", o.TLS.KeyFile, "PEM private key of --tls-cert-file.")
	fs.StringVar(&o.Host, "host", o.Host, "External URL of the registry, used in Location headers and notifications (default: the request's Host).")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", o.PprofAddr, "Address net/http/pprof's /debug/pprof endpoints bind to (CPU and heap profiles); empty or 0 disables them.")
	fs.StringVar(&o.Storage.Driver, "storage-driver", o.Storage.Driver, "Storage driver: filesystem, s3 or inmemory.")
	fs.StringVar(&o.Storage.RootDirectory, "storage-root", o.Storage.RootDirectory, "Directory of the filesystem driver, or key prefix in the S3 bucket.")
	fs.StringVar(&o.Storage.S3.Bucket, "storage-s3-bucket", o.Storage.S3.Bucket, "S3 bucket.")
	fs.StringVar(&o.Storage.S3.Region, "storage-s3-region", o.Storage.S3.Region, "S3 region.")
	fs.StringVar(&o.Storage.S3.RegionEndpoint, "storage-s3-endpoint", o.Storage.S3.RegionEndpoint, "S3 endpoint of a non-AWS store (MinIO, Ceph RGW).")
	fs.BoolVar(&o.Storage.S3.ForcePathStyle, "storage-s3-force-path-style", o.Storage.S3.ForcePathStyle, "Use path-style S3 URLs.")
	fs.BoolVar(&o.Storage.Redirect, "storage-redirect", o.Storage.Redirect, "Redirect blob downloads to presigned storage URLs (only if clients can reach the storage).")
	fs.StringVar(&o.HTTPSecret, "http-secret", o.HTTPSecret, "Secret that signs upload state, shared by all replicas (default $"+EnvHTTPSecret+").")
	fs.StringVar(&o.HTTPSecretFile, "http-secret-file", o.HTTPSecretFile, "File holding the HTTP secret.")
	fs.Var(commaList{&o.Redis.Addrs}, "redis-addrs", "Comma-separated redis addresses for the shared blob-descriptor cache (password from $"+EnvRedisPassword+").")
	fs.IntVar(&o.Redis.DB, "redis-db", o.Redis.DB, "Redis database number.")
	fs.Var(commaList{&o.Auth.Audiences}, "audiences", "Comma-separated token audiences the registry accepts.")
	fs.StringVar(&o.Auth.Realm, "realm", o.Auth.Realm, "Realm of the Basic authentication challenge.")
	fs.DurationVar(&o.Auth.TokenCacheTTL.Duration, "token-cache-ttl", o.Auth.TokenCacheTTL.Duration, "How long a TokenReview answer is reused (at most 60s, never past the token's expiry).")
	fs.DurationVar(&o.Auth.AccessCacheTTL.Duration, "access-cache-ttl", o.Auth.AccessCacheTTL.Duration, "How long a SubjectAccessReview answer is reused.")
	fs.StringVar(&o.Auth.Tokens.APIAddr, "token-api-address", o.Auth.Tokens.APIAddr, "HTTPS address of the AuthorizationToken API the Kubernetes API server proxies to (APIService v1alpha1.registry.berth.dev); empty: no authorization tokens.")
	fs.StringVar(&o.Auth.Tokens.Namespace, "token-namespace", o.Auth.Tokens.Namespace, "Namespace of the token key and serving Secrets (default $POD_NAMESPACE).")
	fs.StringVar(&o.Auth.Tokens.KeySecret, "token-key-secret", o.Auth.Tokens.KeySecret, "Secret holding the token signing keys, shared by the replicas.")
	fs.StringVar(&o.Auth.Tokens.ServingSecret, "token-api-serving-secret", o.Auth.Tokens.ServingSecret, "Secret holding the token API's serving certificate and CA (made when missing).")
	fs.StringVar(&o.Auth.Tokens.ServiceName, "token-api-service", o.Auth.Tokens.ServiceName, "Service the APIService points at: the serving certificate's DNS names.")
	fs.StringVar(&o.Auth.Tokens.APIService, "token-apiservice", o.Auth.Tokens.APIService, "APIService whose caBundle the registry keeps in step; empty: the installer manages it.")
	fs.DurationVar(&o.Auth.Tokens.MaxLifetime.Duration, "token-max-lifetime", o.Auth.Tokens.MaxLifetime.Duration, "Longest life of an authorization token (default 12h).")
	fs.DurationVar(&o.Auth.Tokens.RotateAfter.Duration, "token-key-rotation", o.Auth.Tokens.RotateAfter.Duration, "Age of the signing key at which a new one replaces it.")
	fs.StringVar(&o.Notifications.URL, "notification-url", o.Notifications.URL, "URL that receives registry events (berth-controller); empty disables notifications.")
	fs.StringVar(&o.Kube.Kubeconfig, "kubeconfig", o.Kube.Kubeconfig, "Kubeconfig file (default: $KUBECONFIG, in-cluster, then ~/.kube/config).")
	fs.Float64Var(&o.Kube.QPS, "kube-api-qps", o.Kube.QPS, "Queries per second the registry may send to the API server.")
	fs.IntVar(&o.Kube.Burst, "kube-api-burst", o.Kube.Burst, "Burst of queries the registry may send to the API server.")
	fs.DurationVar(&o.DrainTimeout.Duration, "drain-timeout", o.DrainTimeout.Duration, "How long shutdown waits for requests in flight.")
	fs.StringVar(&o.InstanceID, "instance-id", o.InstanceID, "Name of this replica in notifications and tag leases (default: the host name).")
	fs.StringVar(&o.LeaseNamespace, "lease-namespace", o.LeaseNamespace, "Namespace of the Leases that make IMMUTABLE tag writes atomic and keep one garbage collector running across replicas (default $POD_NAMESPACE; empty: a lock in this process only).")
	fs.BoolVar(&o.GC.Disabled, "gc-disabled", o.GC.Disabled, "Turn online garbage collection of unreferenced blobs off.")
	fs.DurationVar(&o.GC.Interval.Duration, "gc-interval", o.GC.Interval.Duration, "Time between scheduled garbage collections; 0 collects only after deletions.")
	fs.DurationVar(&o.GC.GracePeriod.Duration, "gc-grace-period", o.GC.GracePeriod.Duration, "Blobs and layer links written this recently are never collected: longer than any pause between pushing layers and their manifest.")
	fs.DurationVar(&o.GC.TriggerDelay.Duration, "gc-trigger-delay", o.GC.TriggerDelay.Duration, "Wait after a manifest deletion or a Repository's removal before collecting, gathering further deletions.")
	fs.BoolVar(&o.GC.DryRun, "gc-dry-run", o.GC.DryRun, "Report what garbage collection would remove (metrics, log, events) without removing anything.")
}

// LoadConfigFile reads o.ConfigFile, when set, over DefaultOptions, then re-applies the
// flags of fs that were given on the command line, so that they win over the file. fs must
// have been parsed, with BindFlags writing into o. Unknown keys in the file are errors.
func LoadConfigFile(fs *flag.FlagSet, o *Options) error {
	if o.ConfigFile == "" {
		return nil
	}
	data, err := os.ReadFile(o.ConfigFile)
	if err != nil {
		return fmt.Errorf("reading the registry configuration: %w", err)
	}
	fromFile := DefaultOptions()
	if err := yaml.UnmarshalStrict(data, &fromFile); err != nil {
		return fmt.Errorf("parsing %s: %w", o.ConfigFile, err)
	}
	fromFile.ConfigFile = o.ConfigFile
	reapply := flag.NewFlagSet("reapply", flag.ContinueOnError)
	BindFlags(reapply, &fromFile)
	fs.Visit(func(f *flag.Flag) {
		if reapply.Lookup(f.Name) != nil {
			err = errors.Join(err, reapply.Set(f.Name, f.Value.String()))
		}
	})
	if err != nil {
		return fmt.Errorf("applying command-line flags over %s: %w", o.ConfigFile, err)
	}
	*o = fromFile
	return nil
}

// Validate reports every option that cannot work.
func (o *Options) Validate() error {
	return errors.Join(append(append(o.validateServing(), o.validateStorage()...), o.validateAuth()...)...)
}

func (o *Options) validateServing() []error {
	var errs []error
	if o.Addr == "" {
		errs = append(errs, errors.New("the listen address is empty"))
	}
	if (o.TLS.CertFile == "") != (o.TLS.KeyFile == "") {
		errs = append(errs, errors.New("the TLS certificate and key must be given together"))
	}
	if o.Host != "" {
		if u, err := url.Parse(o.Host); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("host %q must be an absolute URL such as https://registry.example.com", o.Host))
		}
	}
	if o.Notifications.URL != "" {
		if u, err := url.Parse(o.Notifications.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("notification URL %q must be an http or https URL", o.Notifications.URL))
		}
	}
	if o.Kube.QPS <= 0 || o.Kube.Burst <= 0 {
		errs = append(errs, errors.New("the API server QPS and burst must be positive"))
	}
	if o.DrainTimeout.Duration < 0 {
		errs = append(errs, errors.New("the drain timeout is negative"))
	}
	if o.GC.Interval.Duration < 0 || o.GC.GracePeriod.Duration < 0 || o.GC.TriggerDelay.Duration < 0 {
		errs = append(errs, errors.New("the garbage collection interval, grace period and trigger delay must not be negative"))
	}
	return errs
}

func (o *Options) validateStorage() []error {
	var errs []error
	switch o.Storage.Driver {
	case DriverFilesystem:
		if o.Storage.RootDirectory == "" {
			errs = append(errs, errors.New("the filesystem driver needs a root directory"))
		}
	case DriverS3:
		if o.Storage.S3.Bucket == "" {
			errs = append(errs, errors.New("the s3 driver needs a bucket"))
		}
		if o.Storage.S3.Region == "" && o.Storage.Parameters["region"] == nil {
			errs = append(errs, errors.New("the s3 driver needs a region (any value for non-AWS stores)"))
		}
	case DriverInMemory:
	default:
		errs = append(errs, fmt.Errorf("unknown storage driver %q: use filesystem, s3 or inmemory", o.Storage.Driver))
	}
	if o.HTTPSecret != "" && o.HTTPSecretFile != "" {
		errs = append(errs, errors.New("give the HTTP secret or its file, not both"))
	}
	return errs
}

func (o *Options) validateAuth() []error {
	var errs []error
	if len(o.Auth.Audiences) == 0 {
		errs = append(errs, errors.New("at least one token audience is needed"))
	}
	if o.Auth.Realm == "" {
		errs = append(errs, errors.New("the authentication realm is empty"))
	}
	if d := o.Auth.TokenCacheTTL.Duration; d <= 0 || d > MaxTokenCacheTTL {
		errs = append(errs, fmt.Errorf("the token cache TTL %s must be positive and at most %s", d, MaxTokenCacheTTL))
	}
	if o.Auth.AccessCacheTTL.Duration <= 0 {
		errs = append(errs, errors.New("the access cache TTL must be positive"))
	}
	if t := o.Auth.Tokens; t.APIAddr != "" {
		if t.Namespace == "" || t.KeySecret == "" || t.ServingSecret == "" || t.ServiceName == "" {
			errs = append(errs, errors.New("the token API needs a namespace (--token-namespace or $POD_NAMESPACE), a key Secret, a serving Secret and a Service name"))
		}
		if t.MaxLifetime.Duration < 10*time.Minute || t.MaxLifetime.Duration > MaxAuthorizationTokenLifetime {
			errs = append(errs, fmt.Errorf("the token lifetime %s must be between 10m and %s", t.MaxLifetime.Duration, MaxAuthorizationTokenLifetime))
		}
		if t.RotateAfter.Duration < time.Hour {
			errs = append(errs, fmt.Errorf("the token key rotation %s must be at least 1h", t.RotateAfter.Duration))
		}
	}
	return errs
}

// MaxAuthorizationTokenLifetime is the cap on --token-max-lifetime: a leaked token must not
// outlive a working week.
const MaxAuthorizationTokenLifetime = 7 * 24 * time.Hour

// ResolveHTTPSecret reads the HTTP secret: the file HTTPSecretFile names, else HTTPSecret.
func (o *Options) ResolveHTTPSecret() (string, error) {
	if o.HTTPSecretFile == "" {
		return o.HTTPSecret, nil
	}
	b, err := os.ReadFile(o.HTTPSecretFile)
	if err != nil {
		return "", fmt.Errorf("reading the HTTP secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("the HTTP secret file %s is empty", o.HTTPSecretFile)
	}
	return s, nil
}

// RESTConfig loads the API server connection the options name: their kubeconfig, else
// $KUBECONFIG, the in-cluster configuration, then ~/.kube/config.
func RESTConfig(o Options) (*rest.Config, error) {
	var (
		cfg *rest.Config
		err error
	)
	if o.Kube.Kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", o.Kube.Kubeconfig)
	} else {
		cfg, err = crconfig.GetConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("loading the API server configuration: %w", err)
	}
	return cfg, nil
}

// WithLimits copies cfg with the options' rate limits and user agent.
func (o *Options) WithLimits(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS = float32(o.Kube.QPS)
	cfg.Burst = o.Kube.Burst
	cfg.UserAgent = "berth-registry"
	return cfg
}

// commaList is a flag.Value for a comma-separated list; String round-trips through Set.
type commaList struct {
	list *[]string
}

func (c commaList) String() string {
	if c.list == nil {
		return ""
	}
	return strings.Join(*c.list, ",")
}

func (c commaList) Set(s string) error {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	*c.list = out
	return nil
}
