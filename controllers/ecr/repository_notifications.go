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

package ecr

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/policy"
)

// RegistryEventsPath is where the receiver accepts distribution's notifications.
const RegistryEventsPath = "/registry/events"

// maxEnvelopeBytes bounds one notification request; distribution sends one event per request.
const maxEnvelopeBytes = 1 << 20

// registryEnvelope is distribution's notification envelope, as much of it as the receiver reads
// (notifications.Envelope; Berth keeps its own type so the manager does not link distribution).
type registryEnvelope struct {
	Events []registryEvent `json:"events"`
}

type registryEvent struct {
	ID     string `json:"id"`
	Action string `json:"action"`
	Target struct {
		MediaType  string `json:"mediaType"`
		Digest     string `json:"digest"`
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
	} `json:"target"`
}

// registryEventReceiver turns registry notifications into reconcile requests for the
// Repository they name, so status shows a push within seconds. Events are hints: the
// reconciler re-reads the registry, and the periodic resync repairs anything lost.
//
// It answers every request it could read with 200 at once, because distribution retries a
// failed delivery for ever and holds every later event behind it. It runs on the leader only
// (a replica that does not listen makes distribution retry until the Service reaches the
// leader), and serves plain HTTP on the cluster network, optionally with a shared bearer
// token; the events carry no secrets.
type registryEventReceiver struct {
	addr  string
	token string
	out   chan<- event.TypedGenericEvent[*ecrv1alpha1.Repository]
	log   logr.Logger
}

// NeedLeaderElection keeps the receiver on the leader, where the reconciler runs.
func (*registryEventReceiver) NeedLeaderElection() bool { return true }

// Start serves until ctx ends.
func (rc *registryEventReceiver) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", rc.addr)
	if err != nil {
		return fmt.Errorf("listening for registry events on %s: %w", rc.addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle(RegistryEventsPath, rc)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	rc.log.Info("receiving registry events", "address", ln.Addr().String(), "path", RegistryEventsPath)
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serving registry events: %w", err)
	}
}

func (rc *registryEventReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST distribution notifications here", http.StatusMethodNotAllowed)
		return
	}
	if rc.token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+rc.token)) != 1 {
		// The registry's configuration is wrong: let its queue show it.
		http.Error(w, "wrong or missing bearer token", http.StatusUnauthorized)
		return
	}
	var env registryEnvelope
	if err := json.NewDecoder(io.LimitReader(r.Body, maxEnvelopeBytes)).Decode(&env); err != nil {
		// Refusing would block the registry's queue for ever on one bad request.
		rc.log.Error(err, "ignoring an unreadable registry notification")
		w.WriteHeader(http.StatusOK)
		return
	}
	for _, e := range env.Events {
		rc.enqueue(e)
	}
	w.WriteHeader(http.StatusOK)
}

// tagSettleDelay is when a push is looked at again: distribution sends a manifest's push
// event from the manifest store, before its handler links the tag, so the first listing can
// miss the tag of the push it was told about.
const tagSettleDelay = time.Second

// enqueue hands a push or delete of a Berth repository to the reconciler without waiting: when
// the queue is full the event is dropped, and the resync catches up. A push is handed on again
// after tagSettleDelay. Pulls are ignored: the registry records pull times itself, and the
// resync shows them.
func (rc *registryEventReceiver) enqueue(e registryEvent) {
	if e.Action != "push" && e.Action != "delete" {
		return
	}
	ns, name, err := policy.SplitRepository(e.Target.Repository)
	if err != nil {
		return
	}
	rc.send(e, ns, name)
	if e.Action == "push" {
		time.AfterFunc(tagSettleDelay, func() { rc.send(e, ns, name) })
	}
}

func (rc *registryEventReceiver) send(e registryEvent, ns, name string) {
	repo := &ecrv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	select {
	case rc.out <- event.TypedGenericEvent[*ecrv1alpha1.Repository]{Object: repo}:
	default:
		rc.log.V(1).Info("dropping a registry event: the queue is full", "repository", e.Target.Repository, "action", e.Action, "id", e.ID)
	}
}
