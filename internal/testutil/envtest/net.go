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

package envtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"testing"
)

// FreeLoopbackAddr is a loopback address with a port nothing listened on a moment ago: for a
// server a test starts, or an address where nothing answers.
func FreeLoopbackAddr(t testing.TB) string {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// FreePorts finds n consecutive free loopback ports and returns the first. They are taken
// below Linux's ephemeral range (32768 and up), where a sandbox's own components (etcd,
// kube-apiserver, kwok, started after this check) and every outgoing connection get their
// ports, so nothing else takes them between the check and the components' start.
func FreePorts(n int) (int, error) {
	for range 50 {
		var lc net.ListenConfig
		base := 20000 + rand.IntN(12000-n) //nolint:gosec // a port to try, not a secret
		ok := true
		for p := base; ok && p < base+n; p++ {
			l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			_ = l.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free ports", n)
}
