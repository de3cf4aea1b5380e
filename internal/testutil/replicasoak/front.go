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

package replicasoak

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Front is one address in front of several registry replicas, as a Kubernetes Service is:
// it forwards each TCP connection to the next ready replica in turn (round robin). A replica
// is ready while its /readyz answers 200 (checked every ReadinessPeriod, as a readiness
// probe) and until a connection to it is refused (as kube-proxy drops an endpoint whose
// Pod is gone). Connections already forwarded to a replica that dies break, as they do in a
// cluster; clients see the error and retry.
type Front struct {
	ln       net.Listener
	backends []*backend
	next     atomic.Uint64
	wg       sync.WaitGroup
	stop     chan struct{}
}

// ReadinessPeriod is how often Front asks each replica's /readyz.
const ReadinessPeriod = 100 * time.Millisecond

type backend struct {
	addr  string
	ready atomic.Bool
	conns atomic.Int64
}

// StartFront listens on a free loopback port and forwards to backends (host:port each).
func StartFront(backends ...string) (*Front, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &Front{ln: ln, stop: make(chan struct{})}
	for _, a := range backends {
		b := &backend{addr: a}
		f.backends = append(f.backends, b)
		f.wg.Go(func() { f.probe(b) })
	}
	f.wg.Go(f.accept)
	return f, nil
}

// Addr is the front's host:port.
func (f *Front) Addr() string { return f.ln.Addr().String() }

// Connections is how many connections each backend was given, in the order of StartFront.
func (f *Front) Connections() []int64 {
	out := make([]int64, len(f.backends))
	for i, b := range f.backends {
		out[i] = b.conns.Load()
	}
	return out
}

// Close stops accepting and waits for the probes; forwarded connections end on their own.
func (f *Front) Close() {
	close(f.stop)
	_ = f.ln.Close()
	f.wg.Wait()
}

func (f *Front) probe(b *backend) {
	hc := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(ReadinessPeriod)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+b.addr+"/readyz", nil)
		resp, err := hc.Do(req)
		ok := err == nil && resp.StatusCode == http.StatusOK
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		b.ready.Store(ok)
		select {
		case <-f.stop:
			hc.CloseIdleConnections()
			return
		case <-tick.C:
		}
	}
}

func (f *Front) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go f.forward(c)
	}
}

// forward connects c to the next ready backend that accepts a connection; c is closed when
// none does.
func (f *Front) forward(c net.Conn) {
	start := f.next.Add(1)
	d := net.Dialer{Timeout: time.Second}
	for i := range uint64(len(f.backends)) {
		b := f.backends[(start+i)%uint64(len(f.backends))]
		if !b.ready.Load() {
			continue
		}
		up, err := d.DialContext(context.Background(), "tcp", b.addr)
		if err != nil {
			b.ready.Store(false)
			continue
		}
		b.conns.Add(1)
		pipe(c, up)
		return
	}
	_ = c.Close()
}

// pipe copies both ways until either side ends, then closes both.
func pipe(a, b net.Conn) {
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(a, b); done <- struct{}{} }()
	go func() { _, _ = io.Copy(b, a); done <- struct{}{} }()
	<-done
	_ = a.Close()
	_ = b.Close()
	<-done
}
