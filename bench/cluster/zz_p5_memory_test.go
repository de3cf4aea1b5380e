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
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

const (
	// memServicesPerNS Services share a namespace (20 namespaces at the full scale).
	memServicesPerNS = 20
	memSettle        = 10 * time.Second
	memSamples       = 10
)

// TestP5ControllerMemory runs 20,000 tasks in 400 Services (20 namespaces of 20; BENCH_SCALE
// scales the Services) with one controller process and reads its RSS once every task is
// RUNNING, every Service reports steady state and a further 10 s passed: the highest of 10
// samples a second apart is the figure. It also reads the controller's heap (net/http/pprof,
// after a GC) before the first Service and at the end: the difference per task is P5h, and
// the profile is kept when BERTH_BENCH_PROFILE_DIR names a folder (go tool pprof -top
// -sample_index=inuse_space reads where the bytes go). It leaves its 20,000 Pods for the
// sandbox's deletion, so it must run last: its file's name sorts after every other test file
// of the package (go test runs a package's tests in the order of their files' names).
func TestP5ControllerMemory(t *testing.T) {
	ctl := startController(t, "--pprof-bind-address="+pprofAddr)
	tr := trackPods(t, "", ecsv1alpha1.ServiceLabel, nil)
	nss := make([]string, 0, memServices/memServicesPerNS+1)
	for i := 0; i < memServices; i += memServicesPerNS {
		ns := newNamespace(t, "p5-")
		createTaskDef(t, ns, "web", oldImage)
		nss = append(nss, ns)
	}
	base := heapProfile(t, "p5-empty")

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
	for i := range memServices {
		createService(t, nss[i/memServicesPerNS], fmt.Sprintf("svc-%03d", i%memServicesPerNS), "web", memTasksPerService, nil)
	}
	running := tr.waitFor(t, 20*time.Minute, readyCount(memTasks)).Sub(start)
	t.Logf("%d tasks: %s", memTasks, tr.timeline(start))
	kubetest.Eventually(t, 5*time.Minute, func() error { return allSteady(nss) })
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
	full := heapProfile(t, fmt.Sprintf("p5-%d-tasks", memTasks))
	v := slices.Max(samples)
	report.Print(nil, report.Line{ID: "P5", Value: v, Unit: "MiB", Budget: "<=250MiB", Pass: v <= 250,
		Detail: fmt.Sprintf("VmRSS of the controller process, %d tasks in %d services; settled: %s (max); all RUNNING after %.0fs, all services steady after %.0fs; peak while starting %.1f MiB",
			memTasks, memServices, report.Spread(samples, "MiB samples"), running.Seconds(), steadyAt.Seconds(), peak)})
	perTask := float64(full.heapAlloc-base.heapAlloc) / float64(memTasks)
	report.Print(nil, report.Line{ID: "P5h", Value: perTask, Unit: "bytes/task", Budget: "report",
		Pass: true, Detail: fmt.Sprintf("live heap after a GC (pprof heap, HeapAlloc): %.1f MiB with the Services' namespaces and no task, %.1f MiB with %d tasks in %d services; HeapSys %.1f MiB; objects %d → %d",
			mib(base.heapAlloc), mib(full.heapAlloc), memTasks, memServices, mib(full.heapSys), base.objects, full.objects)})
}

// heapReading is what the heap profile's memory statistics say.
type heapReading struct {
	heapAlloc, heapSys, objects uint64
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// heapProfile reads the controller's heap profile after a GC (gc=1), keeps it under
// BERTH_BENCH_PROFILE_DIR as <name>.pb.gz when that is set, and returns its HeapAlloc,
// HeapSys and live objects from the text form's runtime.MemStats lines.
func heapProfile(t *testing.T, name string) heapReading {
	t.Helper()
	get := func(query string) []byte {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+pprofAddr+"/debug/pprof/heap?"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		var body []byte
		kubetest.Eventually(t, time.Minute, func() error {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("heap profile: %s", resp.Status)
			}
			body, err = io.ReadAll(resp.Body)
			return err
		})
		return body
	}
	if dir := os.Getenv("BERTH_BENCH_PROFILE_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".pb.gz"), get("gc=1"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var r heapReading
	for line := range strings.SplitSeq(string(get("gc=1&debug=1")), "\n") {
		for key, dst := range map[string]*uint64{"# HeapAlloc = ": &r.heapAlloc, "# HeapSys = ": &r.heapSys, "# HeapObjects = ": &r.objects} {
			if v, ok := strings.CutPrefix(line, key); ok {
				n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				if err != nil {
					t.Fatalf("parsing %q: %v", line, err)
				}
				*dst = n
			}
		}
	}
	if r.heapAlloc == 0 {
		t.Fatal("no HeapAlloc in the heap profile")
	}
	t.Logf("heap %s: HeapAlloc %.1f MiB, HeapSys %.1f MiB, %d objects", name, mib(r.heapAlloc), mib(r.heapSys), r.objects)
	return r
}

// allSteady says every Service in nss is steady with memTasksPerService tasks.
func allSteady(nss []string) error {
	total := 0
	for _, ns := range nss {
		list := &ecsv1alpha1.ServiceList{}
		if err := sb.c.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("listing services: %w", err)
		}
		for i := range list.Items {
			if err := steady(&list.Items[i], memTasksPerService); err != nil {
				return err
			}
		}
		total += len(list.Items)
	}
	if total != memServices {
		return fmt.Errorf("%d services, want %d", total, memServices)
	}
	return nil
}
