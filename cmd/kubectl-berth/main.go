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

// Command kubectl-berth is Berth's kubectl plugin: `kubectl berth compose up`, `import`, `ps`,
// `describe service`, `events`, `logs` and `wait`, with kubectl's --namespace, --context and
// --kubeconfig. Installed on the PATH as kubectl-berth, kubectl finds it as `kubectl berth`.
//
// Exit codes: 0 success; 1 an error (the API server, a file, a conversion); 2 a usage error
// (unknown flag or command, wrong arguments); 3 what was awaited (compose up, wait) failed or
// did not happen before --timeout.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
