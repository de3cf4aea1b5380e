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
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/scheme"
)

// Exit codes (the package comment documents them, and so does docs/cli.md).
const (
	exitOK     = 0
	exitError  = 1
	exitUsage  = 2
	exitFailed = 3
)

// commands are the subcommands of kubectl-berth, each built in its own file.
var commands = []func(*factory) *cobra.Command{
	newComposeCmd,
	newImportCmd,
	newPsCmd,
	newDescribeCmd,
	newEventsCmd,
	newLogsCmd,
	newWaitCmd,
	newLoginCmd,
	newGetLoginPasswordCmd,
	newVersionCmd,
}

// factory gives the subcommands what they share: the kubeconfig flags, the streams and
// clients built on demand.
type factory struct {
	flags   *genericclioptions.ConfigFlags
	streams genericiooptions.IOStreams
	// color is true when output goes to a terminal and NO_COLOR is unset.
	color bool
	// newClient builds the Berth client; tests replace it.
	newClient func() (client.WithWatch, error)
}

// testClient, when set (by tests), replaces the kubeconfig's client.
var testClient func() (client.WithWatch, error)

// usageError marks an error as wrong usage (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// failedError marks an error as "what was awaited failed or timed out" (exit code 3).
type failedError struct{ err error }

func (e failedError) Error() string { return e.err.Error() }
func (e failedError) Unwrap() error { return e.err }

// run executes kubectl-berth with args and returns the exit code.
func run(ctx context.Context, args []string, streams genericiooptions.IOStreams) int {
	root := newRootCmd(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(streams.ErrOut, "error:", err)
	var u usageError
	var f failedError
	switch {
	case errors.As(err, &u) || isCobraUsage(err):
		fmt.Fprintf(streams.ErrOut, "See '%s --help' for usage.\n", commandPath(root, args))
		return exitUsage
	case errors.As(err, &f):
		return exitFailed
	default:
		return exitError
	}
}

// isCobraUsage recognises cobra's own argument and flag errors, which it returns unwrapped.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "flag needs an argument", "invalid argument", "required flag"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, " "+p) {
			return true
		}
	}
	return false
}

// commandPath is the command line's subcommand path, for the usage hint.
func commandPath(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == nil {
		return root.CommandPath()
	}
	return c.CommandPath()
}

// newRootCmd builds the command tree.
func newRootCmd(streams genericiooptions.IOStreams) *cobra.Command {
	f := &factory{
		flags:   genericclioptions.NewConfigFlags(true),
		streams: streams,
		color:   isTerminal(streams.Out) && os.Getenv("NO_COLOR") == "",
	}
	f.newClient = f.defaultClient
	if testClient != nil {
		f.newClient = testClient
	}
	root := &cobra.Command{
		Use:   "kubectl-berth",
		Short: "ECS workflows on Berth: compose up, import task definitions, watch tasks",
		Long: "kubectl berth works with Berth's ECS kinds (TaskDefinition, Service, Task) the way the ECS\n" +
			"CLI works with ECS: run a docker-compose.yml, import task definitions exported from AWS,\n" +
			"and look at tasks, deployments and events.\n\n" +
			"Exit codes: 0 success, 1 error, 2 usage error, 3 awaited state failed or timed out.",
		Example: "  kubectl berth compose up -f docker-compose.yml -n shop\n" +
			"  kubectl berth import -f taskdef.json --registry registry.berth.example\n" +
			"  kubectl berth ps -n shop\n" +
			"  kubectl berth describe service web -n shop",
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations: map[string]string{
			// kubectl plugins are shown as "kubectl berth" in usage lines.
			cobra.CommandDisplayNameAnnotation: "kubectl berth",
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	f.flags.AddFlags(root.PersistentFlags())
	for _, newCmd := range commands {
		root.AddCommand(newCmd(f))
	}
	return root
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	return ok && term.IsTerminal(int(file.Fd())) //nolint:gosec // file descriptors fit in an int
}

// namespace is --namespace, else the kubeconfig context's namespace, else "default".
func (f *factory) namespace() (string, error) {
	ns, _, err := f.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("reading the namespace from the kubeconfig: %w", err)
	}
	return ns, nil
}

// defaultClient builds a controller-runtime client for the kubeconfig.
func (f *factory) defaultClient() (client.WithWatch, error) {
	cfg, err := f.flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	s, err := scheme.New()
	if err != nil {
		return nil, err
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, fmt.Errorf("connecting to the API server: %w", err)
	}
	return c, nil
}

// clientset builds a client-go clientset, for what the controller-runtime client lacks (logs).
func (f *factory) clientset() (kubernetes.Interface, error) {
	cfg, err := f.flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the API server: %w", err)
	}
	return cs, nil
}

// paint wraps s in an ANSI colour when output is a terminal.
func (f *factory) paint(color, s string) string {
	if !f.color || color == "" {
		return s
	}
	return color + s + "\x1b[0m"
}

// cell paints s for a tabwriter with the StripEscape flag: the escape sequences are wrapped
// in tabwriter.Escape so that they take no width and columns stay aligned.
func (f *factory) cell(color, s string) string {
	if !f.color || color == "" {
		return s
	}
	const esc = "\xff"
	return esc + color + esc + s + esc + "\x1b[0m" + esc
}

// ANSI colours.
const (
	colorRed    = "\x1b[31m"
	colorGreen  = "\x1b[32m"
	colorYellow = "\x1b[33m"
	colorBold   = "\x1b[1m"
)
