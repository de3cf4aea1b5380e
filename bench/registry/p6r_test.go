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

package registrybench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/bench/internal/procstat"
	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/regproc"
	"github.com/berth-dev/berth/internal/testutil/replicasoak"
	"github.com/berth-dev/berth/internal/testutil/s3test"
)

// P6r's shape: 32 clients pull 64 images of 16 MiB (4 layers of 4 MiB) per round, from a
// set of 8 images; three rounds through each front, alternating which goes first.
const (
	p6rClients, p6rPullsPerClient, p6rImages = 32, 2, 8
	p6rLayers, p6rLayerSize                  = 4, 4 << 20
	p6rReps                                  = 3
)

// TestP6rReplicaThroughput is P6r (docs/budgets.md): aggregate pull throughput of 32
// concurrent clients through three berth-registry replicas on one SeaweedFS bucket,
// against the same clients through one of them, each behind the same kind of front (a
// Service's round robin). The figure is bound by the machine: it reports its cores and how
// busy they were, and where the CPU time went (the registries, SeaweedFS, the rest: clients
// and front).
func TestP6rReplicaThroughput(t *testing.T) {
	s := needSuite(t)
	const ns = "p6r"
	s.namespace(t, ns)
	token := s.serviceAccount(t, ns, "builder", "berth-registry-poweruser")
	s.repository(t, ns, "app")
	store := s3test.Start(t)
	flags, env := regproc.S3Flags(store, "/berth")
	replicas, procs := regproc.StartReplicas(t, regproc.Berth{Bin: s.berthBin, Kubeconfig: s.kubeconfig, Storage: flags, Env: env}, 3)
	one, err := replicasoak.StartFront(replicas[0].Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	three, err := replicasoak.StartFront(regproc.Addrs(replicas)...)
	if err != nil {
		t.Fatal(err)
	}
	defer three.Close()

	ctx := context.Background()
	pusher := newClient(token)
	defer pusher.close()
	for i := range p6rImages {
		img, err := randomImage(uint64(6000+i), p6rLayers, p6rLayerSize)
		if err != nil {
			t.Fatal(err)
		}
		if err := pusher.push(ctx, fmt.Sprintf("%s/%s/app:v%d", replicas[0].Addr, ns, i), img); err != nil {
			t.Fatal(err)
		}
	}
	seaweed := seaweedPIDs(t, store)
	var pids []int
	for _, p := range procs {
		pids = append(pids, p.Cmd.Process.Pid)
	}
	type round struct {
		mibps              float64
		busy               float64 // share of all cores in use
		registry, weedfs   float64 // core-seconds
		wall               time.Duration
		machineCoreSeconds float64
	}
	measure := func(front *replicasoak.Front) round {
		regBefore, weedBefore := cpuSeconds(pids), cpuSeconds(seaweed)
		busyBefore, totalBefore := machineCPU(t)
		start := time.Now()
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			bytes int64
		)
		for c := range p6rClients {
			wg.Go(func() {
				cl := newClient(token)
				defer cl.close()
				for k := range p6rPullsPerClient {
					ref := fmt.Sprintf("%s/%s/app:v%d", front.Addr(), ns, (c+k*p6rClients/p6rPullsPerClient)%p6rImages)
					_, n, err := cl.pull(ctx, ref)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					bytes += n
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		wall := time.Since(start)
		busyAfter, totalAfter := machineCPU(t)
		return round{
			mibps: float64(bytes) / (1 << 20) / wall.Seconds(), wall: wall,
			busy:     (busyAfter - busyBefore) / max(totalAfter-totalBefore, 1e-9),
			registry: cpuSeconds(pids) - regBefore, weedfs: cpuSeconds(seaweed) - weedBefore,
			machineCoreSeconds: busyAfter - busyBefore,
		}
	}
	var ones, threes []round
	for rep := range p6rReps {
		if rep%2 == 0 {
			ones = append(ones, measure(one))
			threes = append(threes, measure(three))
		} else {
			threes = append(threes, measure(three))
			ones = append(ones, measure(one))
		}
		if t.Failed() {
			t.FailNow()
		}
		t.Logf("rep %d: one replica %.1f MiB/s (%.0f%% of the cores busy), three %.1f MiB/s (%.0f%%)", rep,
			ones[rep].mibps, 100*ones[rep].busy, threes[rep].mibps, 100*threes[rep].busy)
	}
	pick := func(rs []round, f func(round) float64) []float64 {
		out := make([]float64, len(rs))
		for i, r := range rs {
			out[i] = f(r)
		}
		return out
	}
	oneV, threeV := report.Median(pick(ones, func(r round) float64 { return r.mibps })), report.Median(pick(threes, func(r round) float64 { return r.mibps }))
	ratio := threeV / oneV
	share := func(rs []round, f func(round) float64) float64 {
		var part, all float64
		for _, r := range rs {
			part, all = part+f(r), all+r.machineCoreSeconds
		}
		return 100 * part / max(all, 1e-9)
	}
	cores := runtime.NumCPU()
	busy3 := report.Median(pick(threes, func(r round) float64 { return r.busy }))
	detail := fmt.Sprintf("%d clients pulling %d × %d MiB images each (of %d), %d reps; %d cores, %.0f%% busy with three replicas, %.0f%% with one; CPU time with three replicas: registries %.0f%%, SeaweedFS %.0f%%, clients and front %.0f%%; with one: registry %.0f%%, SeaweedFS %.0f%%",
		p6rClients, p6rPullsPerClient, p6rLayers*p6rLayerSize>>20, p6rImages, p6rReps, cores, 100*busy3,
		100*report.Median(pick(ones, func(r round) float64 { return r.busy })),
		share(threes, func(r round) float64 { return r.registry }), share(threes, func(r round) float64 { return r.weedfs }),
		100-share(threes, func(r round) float64 { return r.registry })-share(threes, func(r round) float64 { return r.weedfs }),
		share(ones, func(r round) float64 { return r.registry }), share(ones, func(r round) float64 { return r.weedfs }))
	pass := ratio >= 1.8
	report.Print(nil, report.Line{ID: "P6r", Value: threeV, Unit: "MiB/s", Reference: oneV, HasReference: true, Ratio: ratio, HasRatio: true,
		Budget: ">=1.8x", Pass: pass, Detail: detail})
	if !pass {
		if cores < 4 && busy3 > 0.9 {
			t.Logf("P6r is bound by this machine's %d cores (%.0f%% busy): three replicas cannot pull more than the cores one already keeps busy", cores, 100*busy3)
		} else {
			t.Errorf("three replicas pull %.2f× what one does, want ≥ 1.8×", ratio)
		}
	}
}

// seaweedPIDs are the processes hack/seaweedfs.sh started for store.
func seaweedPIDs(t *testing.T, store *s3test.Store) []int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(store.Dir, "pids"))
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for f := range strings.FieldsSeq(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cpuSeconds is the user and system CPU time the processes used so far (0 for one gone).
func cpuSeconds(pids []int) float64 {
	var sum time.Duration
	for _, pid := range pids {
		if d, err := procstat.Process(pid); err == nil {
			sum += d
		}
	}
	return sum.Seconds()
}

// machineCPU is the machine's busy and total CPU time so far, in core-seconds; time waiting
// for I/O is not busy.
func machineCPU(t *testing.T) (busy, total float64) {
	t.Helper()
	c, err := procstat.Machine()
	if err != nil {
		t.Fatal(err)
	}
	return c.Busy().Seconds(), c.Total.Seconds()
}
