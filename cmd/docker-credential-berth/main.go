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

// Command docker-credential-berth is a Docker credential helper for berth-registry, as
// amazon-ecr-credential-helper is for ECR: configured once in ~/.docker/config.json
// ("credHelpers": {"<registry host>": "berth"}, which `kubectl berth login` writes), it gets a
// registry token for the identity of the current kubeconfig (client certificate, OIDC,
// ServiceAccount token) from the AuthorizationToken API, caches it and renews it before it
// expires, so docker, podman, skopeo, crane and helm push and pull with no login step.
//
// It speaks the docker-credential-helpers protocol: the action is the first argument, the
// input comes on standard input.
//
//	get      server URL in; {"ServerURL","Username","Secret"} out
//	erase    server URL in; drops the cached token (a new one is fetched on the next get)
//	list     {"<server>": "berth", ...} out: the configured registries and cached tokens
//	store    refused: credentials come from the kubeconfig, `docker login` is not needed
//	version  prints the version
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	registryv1alpha1 "github.com/berth-dev/berth/api/registry/v1alpha1"
	"github.com/berth-dev/berth/internal/logintoken"
)

// version is set at build time (-ldflags -X main.version=...).
var version = "dev"

// errNotFound is the protocol's "credentials not found in native keychain", which docker
// treats as "no credentials" rather than a failure.
const errNotFound = "credentials not found in native keychain"

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stdout, err)
		os.Exit(1)
	}
}

func run(args []string, in io.Reader, out io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: docker-credential-berth get|store|erase|list|version")
	}
	if args[0] == "version" {
		_, err := fmt.Fprintln(out, "docker-credential-berth", version)
		return err
	}
	store, err := logintoken.DefaultStore()
	if err != nil {
		return err
	}
	switch args[0] {
	case "get":
		server, err := readServer(in)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		token, err := store.Get(ctx, server)
		if err != nil {
			return fmt.Errorf("docker-credential-berth: %w", err)
		}
		return json.NewEncoder(out).Encode(map[string]string{"ServerURL": server, "Username": registryv1alpha1.BasicUsername, "Secret": token})
	case "erase":
		server, err := readServer(in)
		if err != nil {
			return err
		}
		return store.Erase(server)
	case "list":
		hosts, err := store.List()
		if err != nil {
			return err
		}
		m := make(map[string]string, len(hosts))
		for _, h := range hosts {
			m[h] = registryv1alpha1.BasicUsername
		}
		return json.NewEncoder(out).Encode(m)
	case "store":
		_, _ = io.Copy(io.Discard, in)
		return errors.New("docker-credential-berth takes credentials from your kubeconfig: no docker login is needed (kubectl berth login configures it)")
	default:
		return fmt.Errorf("unknown action %q: want get, store, erase, list or version", args[0])
	}
}

// readServer reads the server URL the protocol passes on standard input.
func readServer(in io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(in, 4096))
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", errors.New(errNotFound)
	}
	return s, nil
}
