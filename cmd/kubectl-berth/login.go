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

package main

import (
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/utils/ptr"

	registryv1alpha1 "github.com/berth-dev/berth/api/registry/v1alpha1"
	"github.com/berth-dev/berth/internal/logintoken"
)

// tokenRequest asks the AuthorizationToken API for a token of the kubeconfig's identity in
// the namespace of the flags (or the context's).
func (f *factory) tokenRequest(cmd *cobra.Command, duration time.Duration) (*registryv1alpha1.AuthorizationToken, string, error) {
	cfg, err := f.flags.ToRESTConfig()
	if err != nil {
		return nil, "", err
	}
	ns, _, err := f.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", err
	}
	var seconds *int64
	if duration > 0 {
		seconds = ptr.To(int64(duration / time.Second))
	}
	tok, err := logintoken.Request(cmd.Context(), cfg, ns, seconds)
	return tok, ns, err
}

// newGetLoginPasswordCmd prints a registry password for the caller's own identity, as
// `aws ecr get-login-password` does.
func newGetLoginPasswordCmd(f *factory) *cobra.Command {
	var duration time.Duration
	cmd := &cobra.Command{
		Use:   "get-login-password",
		Short: "Print a registry password for your own identity (aws ecr get-login-password)",
		Long: "get-login-password asks berth-registry's AuthorizationToken API (through the Kubernetes API\n" +
			"server, as the current kubeconfig context's user) for a registry token of your own identity,\n" +
			"and prints it. It needs create on authorizationtokens.registry.berth.dev in the namespace\n" +
			"(ClusterRole berth-registry-login, or any of the registry roles).",
		Example: "  kubectl berth get-login-password -n team-a | docker login localhost:5001 -u berth --password-stdin\n" +
			"  kubectl berth get-login-password --duration 1h | skopeo login --password-stdin -u berth localhost:5001",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tok, _, err := f.tokenRequest(cmd, duration)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(f.streams.Out, tok.Status.Token)
			return err
		},
	}
	cmd.Flags().DurationVar(&duration, "duration", 0, "How long the password is valid (at least 10m; default and cap: the registry's, 12h unless configured).")
	return cmd
}

// newLoginCmd configures docker-credential-berth for a registry host, so docker, podman,
// skopeo, crane and helm get tokens through the kubeconfig with no login step.
func newLoginCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "login [REGISTRY]",
		Short: "Configure docker-credential-berth for a registry: no docker login needed after",
		Long: "login gets a registry token for your own identity (which checks you may), then writes\n" +
			"\"credHelpers\": {\"<registry>\": \"berth\"} into Docker's configuration ($DOCKER_CONFIG or\n" +
			"~/.docker/config.json, which docker, podman, skopeo, crane and helm read) and remembers the\n" +
			"kubeconfig context and namespace to get tokens with. docker-credential-berth (on your PATH)\n" +
			"then gets, caches and renews tokens as needed. REGISTRY defaults to the address the registry\n" +
			"names itself with (its --host).",
		Example: "  kubectl berth login localhost:5001 -n team-a\n" +
			"  docker push localhost:5001/team-a/web-app:v1",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, ns, err := f.tokenRequest(cmd, 0)
			if err != nil {
				return err
			}
			host := tok.Status.ProxyEndpoint
			if len(args) == 1 {
				host = args[0]
			}
			host = logintoken.Host(host)
			if host == "" {
				return usageError{errors.New("name the registry (the registry does not know its own address: it runs without --host)")}
			}
			raw, err := f.flags.ToRawKubeConfigLoader().RawConfig()
			if err != nil {
				return err
			}
			target := logintoken.Target{Context: raw.CurrentContext, Namespace: ns}
			if f.flags.Context != nil && *f.flags.Context != "" {
				target.Context = *f.flags.Context
			}
			if f.flags.KubeConfig != nil {
				target.Kubeconfig = *f.flags.KubeConfig
			}
			store, err := logintoken.DefaultStore()
			if err != nil {
				return err
			}
			dockerConfig, err := logintoken.DockerConfigPath()
			if err != nil {
				return err
			}
			if err := errors.Join(store.SetTarget(host, target), store.Put(host, target, tok), logintoken.ConfigureDocker(dockerConfig, host)); err != nil {
				return err
			}
			fmt.Fprintf(f.streams.Out, "Login Succeeded: %s now uses docker-credential-berth (context %q, namespace %s, user %s); %s updated\n",
				host, target.Context, ns, tok.Status.User.Username, dockerConfig)
			if _, err := exec.LookPath("docker-credential-" + logintoken.HelperName); err != nil {
				fmt.Fprintf(f.streams.ErrOut, "warning: docker-credential-%s is not on your PATH: docker and the other clients will not find it\n", logintoken.HelperName)
			}
			return nil
		},
	}
	return cmd
}
