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

package ecr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/controllers/internal/finalizers"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/lifecycle"
	regclient "github.com/berth-dev/berth/registry/client"
	"github.com/berth-dev/berth/registry/imageapi"
)

// DefaultResyncInterval is how often a Repository is read again without a notification when
// RepositoryReconciler.ResyncInterval is not set.
const DefaultResyncInterval = 10 * time.Minute

// eventQueueSize bounds notifications waiting for the reconciler; beyond it they are dropped
// and the resync catches up.
const eventQueueSize = 1024

// RegistryAPI is what the Repository reconciler needs from the bundled registry
// (registry/client.Client); tests may substitute it.
type RegistryAPI interface {
	// ImageList lists every manifest of repository namespace/name, with what they occupy in
	// the store.
	ImageList(ctx context.Context, namespace, name string) (imageapi.ImageList, error)
	// DeleteManifest deletes manifest digest (and so its tags); a manifest already gone is no
	// error.
	DeleteManifest(ctx context.Context, namespace, name, digest string) error
}

// Bounds of unknownRepositoryDelay: a Repository the registry's informer has not seen yet is
// read again after a second at first (the informer catches up within a second or so).
const (
	unknownRepositoryRetry    = time.Second
	unknownRepositoryMaxRetry = time.Minute
)

// registryRetryMax bounds the back-off after a failed pass (the registry unavailable, most
// often): controller-runtime's default doubles from 5 ms to 1,000 s, so a registry that came
// up 30 s after a Repository was created left it not Ready for another 30–60 s, and one down
// for ten minutes for up to twenty more. Thirty seconds keeps a thousand Repositories to about
// 33 retries a second against a registry that is down.
const registryRetryMax = 30 * time.Second

// registryRateLimiter is the Repository controller's workqueue rate limiter: per Repository,
// exponential from 5 ms to registryRetryMax; over all, controller-runtime's 10 a second with
// a burst of 100.
func registryRateLimiter() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](5*time.Millisecond, registryRetryMax),
		&workqueue.TypedBucketRateLimiter[reconcile.Request]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}

// RepositoryReconciler keeps Repository status in step with the bundled registry: it reads
// the image list through the registry's API (as the controller's ServiceAccount, an admin of
// every repository), expires what the lifecycle policy selects, and guards deletion: a
// Repository that holds images goes only with forceDelete, and never while the registry
// cannot tell whether it is empty.
type RepositoryReconciler struct {
	client.Client
	Recorder recorder.EventRecorder
	// Registry is the registry's API.
	Registry RegistryAPI
	// RegistryHost is the host[:port] of status.repositoryUri.
	RegistryHost string
	// ResyncInterval is how often a Repository is read again without a notification, which
	// repairs lost notifications and lets age-based rules fire (DefaultResyncInterval when
	// not set).
	ResyncInterval time.Duration
	// Concurrency is how many Repositories are reconciled at once (at least 1).
	Concurrency int
	// EventsAddr is where the registry's notifications are received (RegistryEventsPath);
	// empty or "0" runs no receiver, and status follows the resync only.
	EventsAddr string
	// EventsToken is the bearer token the registry must send with notifications; empty
	// accepts any caller.
	EventsToken string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// repositoryScope is what one reconcile pass read and decided.
type repositoryScope struct {
	repo *ecrv1alpha1.Repository
	now  time.Time
	// images are the repository's manifests, once read (after any expiry).
	images []imageapi.Image
	listed bool
	// storageBytes is what the images occupy in the store (each blob once), as listed.
	storageBytes int64
	// expired counts the manifests this pass expired.
	expired int
	// registryErr is why the registry could not be used, when it could not.
	registryErr error
	// notEmpty is set when a delete waits for forceDelete.
	notEmpty bool
	// unknown is the registry's answer when it does not know the Repository yet.
	unknown error
}

// +kubebuilder:rbac:groups=ecr.berth.dev,resources=repositories,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ecr.berth.dev,resources=repositories/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecr.berth.dev,resources=repositories/finalizers,verbs=update

// Reconcile reads the repository's images, applies the lifecycle policy or the deletion, and
// writes status once.
func (r *RepositoryReconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, retErr error) {
	repo := &ecrv1alpha1.Repository{}
	if err := r.Get(ctx, req.NamespacedName, repo); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if err := finalizers.Ensure(ctx, r.Client, repo, ecrv1alpha1.Finalizer); err != nil {
		return ctrl.Result{}, err
	}

	orig := repo.DeepCopy()
	s := &repositoryScope{repo: repo, now: r.now()}
	defer func() {
		computeRepositoryStatus(s, r.RegistryHost)
		if !equality.Semantic.DeepEqual(orig.Status, repo.Status) {
			if err := r.Status().Patch(ctx, repo, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
				retErr = errors.Join(retErr, fmt.Errorf("writing status: %w", err))
			}
		}
	}()

	var err error
	if !repo.DeletionTimestamp.IsZero() {
		err = r.reconcileDelete(ctx, s)
	} else {
		err = r.reconcileNormal(ctx, s)
	}
	switch {
	case errors.Is(err, regclient.ErrRepositoryUnknown):
		s.unknown = err
		return ctrl.Result{RequeueAfter: unknownRepositoryDelay(repo, s.now)}, nil
	case err != nil:
		// regclient.ErrUnavailable among them: the workqueue's backoff retries.
		return ctrl.Result{}, err
	case !repo.DeletionTimestamp.IsZero():
		return ctrl.Result{}, nil
	}
	return ctrl.Result{RequeueAfter: r.ResyncInterval}, nil
}

// reconcileNormal runs the steps in order.
func (r *RepositoryReconciler) reconcileNormal(ctx context.Context, s *repositoryScope) error {
	for _, step := range []func(context.Context, *repositoryScope) error{
		r.reconcileImages,
		r.reconcileLifecycle,
	} {
		if err := step(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// reconcileImages reads the image list from the registry.
func (r *RepositoryReconciler) reconcileImages(ctx context.Context, s *repositoryScope) error {
	l, err := r.Registry.ImageList(ctx, s.repo.Namespace, s.repo.Name)
	if err != nil {
		if errors.Is(err, regclient.ErrUnavailable) {
			s.registryErr = err
		}
		return err
	}
	s.images, s.storageBytes, s.listed = l.Images, l.StorageBytes, true
	return nil
}

// reconcileLifecycle expires what the lifecycle policy selects, in Evaluate's order (every
// index before the images it references, oldest first), and stops at the first failure, so
// that an index never points at a deleted image.
func (r *RepositoryReconciler) reconcileLifecycle(ctx context.Context, s *repositoryScope) error {
	p := s.repo.Spec.LifecyclePolicy
	if p == nil || len(s.images) == 0 {
		return nil
	}
	expiries := lifecycle.Evaluate(p, lifecycleImages(s.images), s.now)
	if len(expiries) == 0 {
		return nil
	}
	log := ctrl.LoggerFrom(ctx)
	gone := make(map[string]bool, len(expiries))
	var err error
	for _, e := range expiries {
		if err = r.Registry.DeleteManifest(ctx, s.repo.Namespace, s.repo.Name, e.Digest); err != nil {
			break
		}
		gone[e.Digest] = true
		log.V(1).Info("expired an image", "repository", klog.KObj(s.repo), "digest", e.Digest, "tags", e.Tags, "rulePriority", e.RulePriority)
	}
	s.expired = len(gone)
	if len(gone) > 0 {
		kept := s.images[:0:0]
		for _, img := range s.images {
			if !gone[img.Digest] {
				kept = append(kept, img)
			}
		}
		s.images = kept
		s.storageBytes = -1 // unknown until the next listing
		r.Recorder.Eventf(s.repo, nil, corev1.EventTypeNormal, "ImagesExpired", "Expire",
			"lifecycle policy expired %d images: %s", len(gone), conditions.Truncate(strings.Join(expiredDigests(expiries, gone), ", "), 512))
	}
	if err != nil {
		s.registryErr = err
		return err
	}
	return nil
}

// reconcileDelete keeps the Repository while it holds images, unless forceDelete, in which
// case the images are deleted first; the finalizer goes only once the registry has said the
// repository is empty.
func (r *RepositoryReconciler) reconcileDelete(ctx context.Context, s *repositoryScope) error {
	if !controllerutil.ContainsFinalizer(s.repo, ecrv1alpha1.Finalizer) {
		return nil
	}
	if err := r.reconcileImages(ctx, s); err != nil {
		return err
	}
	if len(s.images) > 0 && !s.repo.Spec.ForceDelete {
		if !s.notEmptyReported() {
			r.Recorder.Eventf(s.repo, nil, corev1.EventTypeWarning, ecrv1alpha1.RepositoryNotEmptyReason, "Delete",
				"kept: the repository holds %d images; set spec.forceDelete to delete them with it", len(s.images))
		}
		s.notEmpty = true
		return nil
	}
	if len(s.images) > 0 {
		for _, d := range deletionOrder(s.images) {
			if err := r.Registry.DeleteManifest(ctx, s.repo.Namespace, s.repo.Name, d); err != nil {
				s.registryErr = err
				return err
			}
		}
		r.Recorder.Eventf(s.repo, nil, corev1.EventTypeNormal, "ImagesDeleted", "Delete", "forceDelete: deleted %d images", len(s.images))
		// Read again: a push may have raced the deletion.
		if err := r.reconcileImages(ctx, s); err != nil {
			return err
		}
		if len(s.images) > 0 {
			return fmt.Errorf("%d images were pushed during the deletion of the repository; deleting again", len(s.images))
		}
	}
	return finalizers.Release(ctx, r.Client, s.repo, ecrv1alpha1.Finalizer)
}

// notEmptyReported reports whether the status already says the delete waits, so the warning
// event is written once per state change.
func (s *repositoryScope) notEmptyReported() bool {
	for _, c := range s.repo.Status.Conditions {
		if c.Type == ecrv1alpha1.ReadyCondition && c.Reason == ecrv1alpha1.RepositoryNotEmptyReason {
			return true
		}
	}
	return false
}

// unknownRepositoryDelay is how long to wait before asking the registry again about a
// Repository it does not know: a second at first (its informer lags by a moment), growing
// with the Repository's age to a minute (a registry that never learns of it is misconfigured,
// and hammering it helps nobody). Derived from the object, so a restart keeps the back-off.
func unknownRepositoryDelay(repo *ecrv1alpha1.Repository, now time.Time) time.Duration {
	return min(max(now.Sub(repo.CreationTimestamp.Time)/4, unknownRepositoryRetry), unknownRepositoryMaxRetry)
}

// SetupWithManager watches Repositories (spec changes only: status writes must not bring
// another pass) and, when EventsAddr is set, adds the notification receiver to mgr and
// reconciles the Repositories its notifications name.
func (r *RepositoryReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.ResyncInterval <= 0 {
		r.ResyncInterval = DefaultResyncInterval
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("repository").
		// Status writes (lastEvaluatedAt moves every pass) must not bring another pass.
		For(&ecrv1alpha1.Repository{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, r.Concurrency), RateLimiter: registryRateLimiter()})
	if r.EventsAddr != "" && r.EventsAddr != "0" {
		events := make(chan event.TypedGenericEvent[*ecrv1alpha1.Repository], eventQueueSize)
		if err := mgr.Add(&registryEventReceiver{addr: r.EventsAddr, token: r.EventsToken, out: events, log: mgr.GetLogger().WithName("registry-events")}); err != nil {
			return fmt.Errorf("adding the registry event receiver: %w", err)
		}
		b = b.WatchesRawSource(source.Channel(events, &handler.TypedEnqueueRequestForObject[*ecrv1alpha1.Repository]{}))
	}
	if err := b.Complete(r); err != nil {
		return fmt.Errorf("setting up the Repository controller: %w", err)
	}
	return nil
}

func (r *RepositoryReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// lifecycleImages converts the registry's listing for internal/lifecycle.
func lifecycleImages(images []imageapi.Image) []lifecycle.Image {
	out := make([]lifecycle.Image, 0, len(images))
	for _, img := range images {
		if img.Subject != "" {
			// Attached artifacts go with their subject (the registry deletes them with it),
			// as ECR's lifecycle rules treat them: never selected, never counted.
			continue
		}
		out = append(out, lifecycle.Image{
			Digest:       img.Digest,
			Tags:         img.Tags,
			PushedAt:     img.PushedAt,
			LastPulledAt: img.LastPulledAt,
			SizeBytes:    img.SizeBytes,
			ReferencedBy: img.ReferencedBy,
		})
	}
	return out
}

// deletionOrder lists every manifest so that indexes come before the images they reference
// (the registry does not mind either order, but a reader never sees a dangling index).
func deletionOrder(images []imageapi.Image) []string {
	var indexes, others []string
	for _, img := range images {
		if len(img.Children) > 0 {
			indexes = append(indexes, img.Digest)
		} else {
			others = append(others, img.Digest)
		}
	}
	return append(indexes, others...)
}

// expiredDigests are the digests of expiries that were deleted, in order.
func expiredDigests(expiries []lifecycle.Expiry, gone map[string]bool) []string {
	out := make([]string, 0, len(gone))
	for _, e := range expiries {
		if gone[e.Digest] {
			out = append(out, e.Digest)
		}
	}
	return out
}
