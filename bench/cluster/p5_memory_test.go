//go:build bench

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

package clusterbench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

const (
	memNamespaces      = 10
	memServicesPerNS   = 10
	memTasksPerService = 50
	memTasks           = memNamespaces * memServicesPerNS * memTasksPerService
	memSettle          = 10 * time.Second
	memSamples         = 10
)

// TestP5ControllerMemory runs 5,000 tasks in 100 Services (10 namespaces of 10) with one
// controller process and reads its RSS once every task is RUNNING, every Service reports
// steady state and a further 10 s passed: the highest of 10 samples a second apart is the
// figure. It runs last: it leaves its 5,000 Pods for the sandbox's deletion.
func TestP5ControllerMemory(t *testing.T) {
	ctl := startController(t)
	tr := trackPods(t, "", ecsv1alpha1.ServiceLabel, nil)
	nss := make([]string, 0, memNamespaces)
	for range memNamespaces {
		ns := newNamespace(t, "p5-")
		createTaskDef(t, ns, "web", oldImage)
		nss = append(nss, ns)
	}

	var mu sync.Mutex
	peak := 0.0
	ctx, stopSampling := context.WithCancel(context.Background())
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if rss, err := ctl.rssMiB(); err == nil {
				mu.Lock()
				peak = max(peak, rss)
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()

	start := time.Now()
	for _, ns := range nss {
		for j := range memServicesPerNS {
			createService(t, ns, fmt.Sprintf("svc-%02d", j), "web", memTasksPerService, nil)
		}
	}
	running := tr.waitFor(t, 12*time.Minute, readyCount(memTasks)).Sub(start)
	t.Logf("%d tasks: %s", memTasks, tr.timeline(start))
	kubetest.Eventually(t, 5*time.Minute, func() error { return allSteady(nss, memTasksPerService) })
	steadyAt := time.Since(start)
	time.Sleep(memSettle)
	stopSampling()
	<-sampled

	samples := make([]float64, 0, memSamples)
	for range memSamples {
		rss, err := ctl.rssMiB()
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, rss)
		time.Sleep(time.Second)
	}
	v := slices.Max(samples)
	report.Print(nil, report.Line{ID: "P5", Value: v, Unit: "MiB", Budget: "<=150MiB", Pass: v <= 150,
		Detail: fmt.Sprintf("VmRSS of the controller process, %d tasks in %d services; settled: %s (max); all RUNNING after %.0fs, all services steady after %.0fs; peak while starting %.1f MiB",
			memTasks, memNamespaces*memServicesPerNS, report.Spread(samples, "MiB samples"), running.Seconds(), steadyAt.Seconds(), peak)})
}

// allSteady says every Service in nss is steady with n tasks.
func allSteady(nss []string, n int32) error {
	for _, ns := range nss {
		list := &ecsv1alpha1.ServiceList{}
		if err := sb.c.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("listing services: %w", err)
		}
		if len(list.Items) != memServicesPerNS {
			return fmt.Errorf("%d services in %s", len(list.Items), ns)
		}
		for i := range list.Items {
			if err := steady(&list.Items[i], n); err != nil {
				return err
			}
		}
	}
	return nil
}
