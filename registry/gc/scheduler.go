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

package gc

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// Scheduler runs a Collector every Interval and soon after a trigger (a manifest deleted —
// lifecycle expiry, forceDelete, BatchDeleteImage — or a Repository removed), one run at a
// time in the process; the Lease keeps it to one across replicas.
type Scheduler struct {
	// Collector does the work.
	Collector *Collector
	// Interval is the time between scheduled runs; 0 schedules none (triggers still run).
	Interval time.Duration
	// TriggerDelay is how long a trigger waits, gathering further triggers, before a run.
	TriggerDelay time.Duration
	// OnReport receives every run's report (metrics, events), also after a failure.
	OnReport func(ctx context.Context, rep Report, err error)

	once    sync.Once
	trigger chan struct{}
	mu      sync.Mutex
}

func (s *Scheduler) init() {
	s.once.Do(func() { s.trigger = make(chan struct{}, 1) })
}

// Trigger asks for a run after TriggerDelay; triggers during the wait join that run.
func (s *Scheduler) Trigger() {
	if s == nil {
		return
	}
	s.init()
	select {
	case s.trigger <- struct{}{}:
	default:
	}
}

// Start runs the schedule until ctx ends. The logger comes from ctx.
func (s *Scheduler) Start(ctx context.Context) {
	s.init()
	var tick <-chan time.Time
	if s.Interval > 0 {
		t := time.NewTicker(s.Interval)
		defer t.Stop()
		tick = t.C
	}
	var pending <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.trigger:
			if pending == nil {
				pending = time.After(s.TriggerDelay)
			}
			continue
		case <-pending:
			pending = nil
		case <-tick:
		}
		_, _ = s.RunNow(ctx)
	}
}

// RunNow runs the collector at once (after any run in progress in this process) and reports.
func (s *Scheduler) RunNow(ctx context.Context) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	log := logr.FromContextOrDiscard(ctx).WithName("gc")
	rep, err := s.Collector.Run(logr.NewContext(ctx, log))
	switch {
	case errors.Is(err, ErrLeaseHeld):
		log.V(1).Info("garbage collection skipped: another replica is collecting")
	case err != nil:
		log.Error(err, "garbage collection failed", "blobsRemoved", rep.BlobsRemoved, "bytesFreed", rep.BytesFreed)
	default:
		log.Info("garbage collection done", "dryRun", rep.DryRun, "blobs", rep.Blobs, "blobsRemoved", rep.BlobsRemoved,
			"bytesFreed", rep.BytesFreed, "linksRemoved", rep.LinksRemoved, "keptRecent", rep.KeptRecent,
			"keptJournaled", rep.KeptJournaled, "duration", rep.Duration)
	}
	if s.OnReport != nil {
		s.OnReport(ctx, rep, err)
	}
	return rep, err
}
