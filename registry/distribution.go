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

package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/distribution/distribution/v3/configuration"
	distauth "github.com/distribution/distribution/v3/registry/auth"
	"github.com/distribution/distribution/v3/registry/handlers"
	regmw "github.com/distribution/distribution/v3/registry/middleware/registry"
	repomw "github.com/distribution/distribution/v3/registry/middleware/repository"
	"github.com/go-logr/logr"
	"github.com/sirupsen/logrus"

	"github.com/berth-dev/berth/registry/auth"
	"github.com/berth-dev/berth/registry/middleware"

	// Storage drivers register themselves with distribution's driver factory.
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/s3-aws"
)

// This file holds the process-global state distribution forces on its users, and nothing
// else: the registries of access controllers and middleware (global maps, written once here;
// per-server objects travel in each App's configuration), and logrus' standard logger, which
// distribution logs through and which is routed to the logr logger of the most recently
// started server.

var (
	registerOnce sync.Once
	errRegister  error
	// distributionLog receives distribution's log entries.
	distributionLog atomic.Pointer[logr.Logger]
)

// registerExtensions registers Berth's access controller and middleware with distribution
// and routes logrus to logr, once per process.
func registerExtensions() error {
	registerOnce.Do(func() {
		errRegister = errors.Join(
			distauth.Register(accessControllerName, auth.NewAccessController),
			regmw.Register(registryMiddlewareName, middleware.NewNamespace),
			repomw.Register(repositoryMiddlewareName, middleware.NewImmutableRepository),
		)
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.WarnLevel)
		logrus.AddHook(logrusBridge{})
	})
	return errRegister
}

// useDistributionLogger sends distribution's logs to log. Distribution logs every request at
// info level; those lines are only kept when log is verbose (V(2)).
func useDistributionLogger(log logr.Logger) {
	log = log.WithName("distribution")
	distributionLog.Store(&log)
	level := logrus.WarnLevel
	if log.V(2).Enabled() {
		level = logrus.InfoLevel
	}
	logrus.SetLevel(level)
}

// distributionApp is distribution's App.
type distributionApp = handlers.App

// newApp is handlers.NewApp, which panics on a bad configuration, returning an error instead.
func newApp(ctx context.Context, cfg *configuration.Configuration) (app *handlers.App, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("configuring distribution: %v", p)
		}
	}()
	return handlers.NewApp(ctx, cfg), nil
}

// logrusBridge forwards logrus entries to logr.
type logrusBridge struct{}

// Levels are all levels; logrus' own level decides what reaches Fire.
func (logrusBridge) Levels() []logrus.Level { return logrus.AllLevels }

// Fire logs one entry. Failures of a request that distribution reports to its client (an
// unknown blob, a refused tag) are the client's business and only logged at V(1); a request
// that failed for the server's own reasons (UNKNOWN, UNAVAILABLE: storage trouble) is an
// error, as is any error outside a request.
func (logrusBridge) Fire(e *logrus.Entry) error {
	lp := distributionLog.Load()
	if lp == nil {
		return nil
	}
	log := *lp
	kv := make([]any, 0, 2*len(e.Data))
	var entryErr error
	for k, v := range e.Data {
		switch k {
		case "go.version":
			continue
		case logrus.ErrorKey:
			if err, ok := v.(error); ok {
				entryErr = err
				continue
			}
		}
		kv = append(kv, k, v)
	}
	_, inRequest := e.Data["http.request.id"]
	serverFault := false
	if code, ok := e.Data["err.code"]; ok {
		c := fmt.Sprint(code)
		serverFault = c == "UNKNOWN" || c == "UNAVAILABLE"
	}
	switch {
	case e.Level <= logrus.ErrorLevel && (serverFault || !inRequest):
		log.Error(entryErr, e.Message, kv...)
	case e.Level <= logrus.WarnLevel && !inRequest:
		log.Info(e.Message, kv...)
	case e.Level <= logrus.WarnLevel:
		log.V(1).Info(e.Message, kv...)
	default:
		log.V(2).Info(e.Message, kv...)
	}
	return nil
}

// logWriter turns the http.Server's own log lines (TLS handshake failures, distribution's
// superfluous WriteHeader calls) into V(1) logr lines.
type logWriter struct {
	log logr.Logger
}

func (w logWriter) Write(p []byte) (int, error) {
	w.log.V(1).Info(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
