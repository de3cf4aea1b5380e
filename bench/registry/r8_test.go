//go:build soak

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
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/regproc"
	"github.com/berth-dev/berth/internal/testutil/replicasoak"
	"github.com/berth-dev/berth/internal/testutil/s3test"
)

// r8Duration is how long R8's clients push and pull (BERTH_R8_DURATION overrides it).
const r8Duration = time.Minute

// TestR8ReplicaKilled is R8 (docs/budgets.md): three berth-registry replicas on one
// SeaweedFS bucket behind one address (replicasoak.Front, a Service's round robin over ready
// replicas), 4 pushers and 4 pullers for a minute, a replica killed with SIGKILL every 10 s
// and started again a second later. Every push reported done must pull back byte for byte;
// an interrupted push or pull must succeed when retried (up to 5 attempts). The registry's
// tests run the same soak for 20 s (registry/replicas_test.go).
func TestR8ReplicaKilled(t *testing.T) {
	s := needSuite(t)
	d := r8Duration
	if v := os.Getenv("BERTH_R8_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("BERTH_R8_DURATION: %v", err)
		}
	}
	const ns = "r8"
	s.namespace(t, ns)
	token := s.serviceAccount(t, ns, "builder", "berth-registry-poweruser")
	s.repository(t, ns, "app")
	store := s3test.Start(t)
	flags, env := regproc.S3Flags(store, "/berth")
	replicas, procs := regproc.StartReplicas(t, regproc.Berth{Bin: s.berthBin, Kubeconfig: s.kubeconfig, Storage: flags, Env: env}, 3)
	front, err := replicasoak.StartFront(regproc.Addrs(replicas)...)
	if err != nil {
		t.Fatal(err)
	}
	defer front.Close()
	start := time.Now()
	res, err := replicasoak.Run(context.Background(), replicasoak.Config{
		Addr: front.Addr(), Repository: ns + "/app", Token: token,
		Duration: d, Pushers: 4, Pullers: 4, Layers: 3, LayerSize: 2 << 20, Attempts: 5,
		DisruptEvery: 10 * time.Second,
		Disrupt: func(_ context.Context, n int) error {
			i := n % len(procs)
			procs[i].Stop(syscall.SIGKILL, 0)
			time.Sleep(time.Second) // the kubelet restarts the container
			procs[i] = regproc.StartBerthUnready(t, replicas[i])
			return nil
		},
		Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	problems := res.Problems()
	for _, p := range problems {
		t.Error(p)
	}
	report.Print(nil, report.Line{
		ID: "R8", Value: float64(len(res.Lost) + len(res.Corrupt)), Unit: "lost+corrupt", Budget: "0-lost,0-corrupt",
		Pass: len(problems) == 0 && !t.Failed(),
		Detail: fmt.Sprintf("%s of 4 pushers (images of 3 × 2 MiB layers, every fourth 3 × 8 MiB) and 4 pullers through one front over 3 replicas on one SeaweedFS bucket, a replica SIGKILLed every 10 s and restarted 1 s later, in %s: %s; connections per replica %v",
			d, time.Since(start).Round(time.Second), res, front.Connections()),
	})
}
