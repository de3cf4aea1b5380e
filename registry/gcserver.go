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
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/redis/go-redis/v9"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/registry/gc"
	"github.com/berth-dev/berth/registry/metrics"
)

// startGC starts the garbage collection schedule and its triggers: a manifest deleted (wired
// in handler) and a Repository removed (its informer). stop ends it and waits for a run in
// progress to stop.
func (s *Server) startGC(ctx context.Context, log logr.Logger) (stop func(), err error) {
	inf, err := s.cache.GetInformer(ctx, &ecrv1alpha1.Repository{})
	if err != nil {
		return nil, fmt.Errorf("watching Repositories for garbage collection: %w", err)
	}
	reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{DeleteFunc: func(any) { s.gc.Trigger() }})
	if err != nil {
		return nil, fmt.Errorf("watching Repositories for garbage collection: %w", err)
	}
	var cacheClient redis.UniversalClient
	if r := s.opts.Redis; len(r.Addrs) > 0 {
		// distribution's blob-descriptor cache, on its own connections: what the collector
		// removes must leave the cache too.
		cacheClient = redis.NewUniversalClient(&redis.UniversalOptions{Addrs: r.Addrs, MasterName: r.MasterName,
			Username: r.Username, Password: r.Password, DB: r.DB, DialTimeout: 5 * time.Second})
		s.gc.Collector.Cache = gc.RedisDescriptorCache{Client: cacheClient}
	}
	gcCtx, cancel := context.WithCancel(logr.NewContext(ctx, log))
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.gc.Start(gcCtx)
	}()
	log.Info("garbage collection scheduled", "interval", s.opts.GC.Interval.Duration, "gracePeriod", s.opts.GC.GracePeriod.Duration,
		"triggerDelay", s.opts.GC.TriggerDelay.Duration, "dryRun", s.opts.GC.DryRun, "lease", s.gc.Collector.Lease != nil,
		"redisCache", cacheClient != nil)
	return func() {
		cancel()
		<-done
		_ = inf.RemoveEventHandler(reg)
		if cacheClient != nil {
			_ = cacheClient.Close()
		}
	}, nil
}

// CollectGarbage runs garbage collection at once (after a run in progress) and returns its
// report; an error when the server collects no garbage.
func (s *Server) CollectGarbage(ctx context.Context) (gc.Report, error) {
	if s.gc == nil || s.gc.Collector.Driver == nil {
		return gc.Report{}, errors.New("garbage collection is disabled or the server is not serving")
	}
	return s.gc.RunNow(ctx)
}

// garbageCollected reports a run: metrics, and an Event on every Repository the run freed
// something of.
func (s *Server) garbageCollected(ctx context.Context, rep gc.Report, err error) {
	run := metrics.GCRun{Result: metrics.GCSuccess, DryRun: rep.DryRun, Duration: rep.Duration, BlobsRemoved: rep.BlobsRemoved,
		BytesFreed: rep.BytesFreed, LinksRemoved: rep.LinksRemoved, KeptRecent: rep.KeptRecent, StoreBytes: rep.Bytes - rep.BytesFreed}
	switch {
	case errors.Is(err, gc.ErrLeaseHeld):
		run.Result = metrics.GCSkipped
	case err != nil:
		run.Result = metrics.GCError
	default:
		run.RepositoryStorageBytes = make(map[string]int64, len(rep.Repositories))
		for repo, r := range rep.Repositories {
			run.RepositoryStorageBytes[repo] = r.StorageBytes
		}
	}
	s.metrics.GarbageCollected(run)
	if run.Result == metrics.GCSkipped {
		return
	}
	for repo, r := range rep.Repositories {
		if r.LinksRemoved == 0 {
			continue
		}
		s.repositoryEvent(ctx, repo, rep.DryRun, r)
	}
}

// repositoryEvent writes the Event of what a run freed of one repository (the Repository
// resource may be gone: then there is nothing to write it on).
func (s *Server) repositoryEvent(ctx context.Context, repo string, dryRun bool, r gc.RepositoryReport) {
	ns, name, err := policy.SplitRepository(repo)
	if err != nil {
		return
	}
	obj, err := s.store.Repository(ctx, ns, name)
	if err != nil || obj == nil {
		return
	}
	reason, note := "GarbageCollected", fmt.Sprintf("garbage collection removed %d layers of deleted images (%s freed in blobs no image references any more); the repository's images hold %s",
		r.LinksRemoved, humanBytes(r.BytesFreed), humanBytes(r.StorageBytes))
	if dryRun {
		reason, note = "GarbageCollectionDryRun", fmt.Sprintf("garbage collection (dry run) would remove %d layers of deleted images (%s of blobs no image references); the repository's images hold %s",
			r.LinksRemoved, humanBytes(r.BytesFreed), humanBytes(r.StorageBytes))
	}
	now := metav1.NewMicroTime(time.Now())
	ev := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{GenerateName: name + ".gc-", Namespace: ns},
		EventTime:           now,
		ReportingController: "berth.dev/registry",
		ReportingInstance:   s.opts.ID(),
		Action:              "CollectGarbage",
		Reason:              reason,
		Note:                note,
		Type:                corev1.EventTypeNormal,
		Regarding: corev1.ObjectReference{APIVersion: ecrv1alpha1.GroupVersion.String(), Kind: "Repository",
			Namespace: ns, Name: name, UID: obj.UID, ResourceVersion: obj.ResourceVersion},
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := s.kube.EventsV1().Events(ns).Create(ectx, ev, metav1.CreateOptions{}); err != nil {
		logr.FromContextOrDiscard(ctx).V(1).Info("could not write the garbage collection event", "repository", repo, "error", err.Error())
	}
}

// humanBytes writes n as a Kubernetes quantity in binary units (12Mi).
func humanBytes(n int64) string {
	return resource.NewQuantity(n, resource.BinarySI).String()
}
