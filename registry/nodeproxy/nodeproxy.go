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

// Package nodeproxy owns the node-local registry address: a TCP forwarder, run by the chart's
// DaemonSet on every node's loopback (host network), from localhost:<port> to berth-registry's
// Service. Image references then name localhost:<port>, which containerd, CRI-O and Docker pull
// over plain HTTP with no per-node configuration (docs/decisions.md, "How nodes reach the
// registry"). It forwards bytes, not requests: TLS, tokens and policies are the registry's.
package nodeproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// Proxy forwards every connection it accepts to Upstream.
type Proxy struct {
	// Upstream is the registry's host:port (its Service name), resolved for each connection,
	// so a Service that changes address is followed.
	Upstream string
	// DialTimeout bounds the dial to Upstream (default 5s).
	DialTimeout time.Duration
	// DrainTimeout is how long open connections may go on once the context is done (default
	// 25s, the registry's own); then they are closed.
	DrainTimeout time.Duration
}

// Serve accepts connections on l until ctx is done, then waits for the open ones to finish,
// at most DrainTimeout. It closes l.
func (p *Proxy) Serve(ctx context.Context, l net.Listener) error {
	if p.Upstream == "" {
		return errors.New("nodeproxy: no upstream")
	}
	log := logr.FromContextOrDiscard(ctx)
	dialTimeout := p.DialTimeout
	if dialTimeout <= 0 {
		dialTimeout = 5 * time.Second
	}
	drain := p.DrainTimeout
	if drain <= 0 {
		drain = 25 * time.Second
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	stop := context.AfterFunc(ctx, func() { _ = l.Close() })
	defer stop()
	var err error
	for {
		var c net.Conn
		c, err = l.Accept()
		if err != nil {
			break
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Go(func() {
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			}()
			if err := p.forward(c, dialTimeout); err != nil {
				log.V(1).Info("connection ended with an error", "client", c.RemoteAddr().String(), "error", err.Error())
			}
		})
	}
	if ctx.Err() == nil {
		return fmt.Errorf("nodeproxy: accepting connections: %w", err)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drain):
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		<-done
	}
	return nil
}

// forward copies bytes both ways between the client and a new upstream connection, passing
// each side's end of stream on (half-close), until both directions are done. An error either
// way (a reset, or the client closed by the drain) closes both connections.
func (p *Proxy) forward(client net.Conn, dialTimeout time.Duration) error {
	defer client.Close()
	d := net.Dialer{Timeout: dialTimeout}
	up, err := d.Dial("tcp", p.Upstream)
	if err != nil {
		return fmt.Errorf("dialing %s: %w", p.Upstream, err)
	}
	defer up.Close()
	errs := make(chan error, 2)
	pipe := func(dst, src net.Conn) {
		_, err := io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok && err == nil {
			_ = cw.CloseWrite()
		} else {
			_ = client.Close()
			_ = up.Close()
		}
		errs <- err
	}
	go pipe(up, client)
	go pipe(client, up)
	return errors.Join(<-errs, <-errs)
}
