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

package nodeproxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// start serves a Proxy to upstream on a loopback port; it returns the address and a stop
// function that waits for Serve to return and reports how long that took.
func start(t *testing.T, p *Proxy) (string, func() (time.Duration, error)) {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, l) }()
	stopped := false
	stop := func() (time.Duration, error) {
		stopped = true
		t0 := time.Now()
		cancel()
		select {
		case err := <-done:
			return time.Since(t0), err
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return 10s after its context ended")
			return 0, nil
		}
	}
	t.Cleanup(func() {
		if !stopped {
			_, _ = stop()
		}
	})
	return l.Addr().String(), stop
}

func TestForwardsHTTPBothWays(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		_, _ = io.Copy(h, r.Body)
		w.Header().Set("X-Host", r.Host)
		_, _ = w.Write(h.Sum(nil))
		_, _ = io.CopyN(w, rand.Reader, 4<<20)
	}))
	defer upstream.Close()
	addr, stop := start(t, &Proxy{Upstream: upstream.Listener.Addr().String()})

	body := make([]byte, 3<<20)
	_, _ = rand.Read(body)
	hc := &http.Client{Transport: &http.Transport{}}
	for i := range 3 { // several requests on one kept-alive connection
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+addr+"/v2/", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := sha256.Sum256(body)
		if len(got) != 32+4<<20 || !bytes.Equal(got[:32], want[:]) {
			t.Fatalf("request %d: %d bytes back, sum %x; want %d bytes, sum %x", i, len(got), got[:min(32, len(got))], 32+4<<20, want)
		}
		// The Host header is the client's: the registry builds its token realm from it.
		if h := resp.Header.Get("X-Host"); h != addr {
			t.Errorf("upstream saw Host %q, want the proxy's address %q", h, addr)
		}
	}
	hc.CloseIdleConnections()
	if took, err := stop(); err != nil || took > 5*time.Second {
		t.Errorf("Serve: %v, returned %s after its context ended with no connection open", err, took)
	}
}

func TestHalfClose(t *testing.T) {
	// An upstream that answers only once the client has finished sending.
	var lc net.ListenConfig
	ul, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	go func() {
		c, err := ul.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		_, _ = c.Write([]byte(strings.ToUpper(string(b))))
	}()
	addr, _ := start(t, &Proxy{Upstream: ul.Addr().String()})
	var d net.Dialer
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "PING" {
		t.Fatalf("read %q, %v; want PING after the half-close", got, err)
	}
}

func TestUpstreamDown(t *testing.T) {
	var lc net.ListenConfig
	ul, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ul.Addr().String()
	_ = ul.Close()
	addr, _ := start(t, &Proxy{Upstream: down, DialTimeout: time.Second})
	for range 2 { // the proxy goes on accepting after a failed dial
		var d net.Dialer
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(make([]byte, 1))
		_ = c.Close()
		if n != 0 || err == nil || strings.Contains(err.Error(), "timeout") {
			t.Fatalf("read %d bytes, %v; want the connection closed at once", n, err)
		}
	}
}

func TestDrainClosesIdleConnections(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, _ *http.Request) {}))
	defer upstream.Close()
	addr, stop := start(t, &Proxy{Upstream: upstream.Listener.Addr().String(), DrainTimeout: 300 * time.Millisecond})
	var d net.Dialer
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A kept-alive connection that never sends another request.
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 512)); n == 0 || err != nil {
		t.Fatalf("no response: %v", err)
	}
	took, err := stop()
	if err != nil {
		t.Errorf("Serve: %v", err)
	}
	if took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("Serve returned %s after its context ended, want the drain timeout (300ms)", took)
	}
	// New connections are refused once draining began.
	if c2, err := d.Dial("tcp", addr); err == nil {
		_ = c2.Close()
		t.Error("the proxy still accepts connections after its context ended")
	}
}

func TestNoUpstream(t *testing.T) {
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := (&Proxy{}).Serve(context.Background(), l); err == nil {
		t.Fatal("Serve without an upstream returned no error")
	}
}
