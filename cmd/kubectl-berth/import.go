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
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/ecsimport"
)

func newImportCmd(f *factory) *cobra.Command {
	var files []string
	var registry, out, reportFile string
	var doApply, force bool
	cmd := &cobra.Command{
		Use:   "import -f FILE...",
		Short: "Convert ECS task definitions and services (aws ecs describe-… JSON) into Berth manifests",
		Long: "import reads the JSON of `aws ecs describe-task-definition` and `aws ecs describe-services`,\n" +
			"a bare task definition or service, or a list of any of these (an export), and prints\n" +
			"TaskDefinitions, Services and the ServiceAccounts standing for task roles. ARNs are\n" +
			"rewritten: Secrets Manager and SSM references become Secret references, IAM roles\n" +
			"ServiceAccounts, ECR images the bundled registry's (--registry). What needs your\n" +
			"attention — Secrets to create, images to copy, fields left out — is reported on stderr\n" +
			"(or --report FILE). With --apply the manifests are server-side applied. - reads stdin.",
		Example: "  aws ecs describe-task-definition --task-definition web --include TAGS > web.json\n" +
			"  aws ecs describe-services --cluster prod --services web worker > services.json\n" +
			"  kubectl berth import -f web.json -f services.json -n team-a --registry registry.berth.example > team-a.yaml\n" +
			"  kubectl berth import -f export.json -n team-a --registry $REGISTRY --apply",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(out, "", "yaml", "json"); err != nil {
				return err
			}
			if len(files) == 0 {
				return usageError{fmt.Errorf("give the JSON to import with -f (- for stdin)")}
			}
			ns, err := f.namespace()
			if err != nil {
				return err
			}
			var objs []client.Object
			var report []string
			for _, file := range files {
				var data []byte
				if file == "-" {
					data, err = io.ReadAll(f.streams.In)
				} else {
					data, err = os.ReadFile(file) //nolint:gosec // the user's own file
				}
				if err != nil {
					return fmt.Errorf("reading %s: %w", file, err)
				}
				res, err := ecsimport.Import(data, ecsimport.Options{Namespace: ns, Registry: registry})
				if err != nil {
					return fmt.Errorf("%s: %w", file, err)
				}
				objs = append(objs, res.Objects...)
				report = append(report, res.Report...)
			}
			rw := f.streams.ErrOut
			if reportFile != "" {
				file, err := os.Create(reportFile) //nolint:gosec // named by the user
				if err != nil {
					return fmt.Errorf("report: %w", err)
				}
				defer func() { _ = file.Close() }()
				rw = file
			}
			if len(report) > 0 {
				fmt.Fprintf(rw, "%s %d item(s) need attention:\n", f.paint(colorYellow, "import:"), len(report))
				for _, r := range report {
					fmt.Fprintln(rw, "  - "+r)
				}
			}
			if !doApply {
				return printObjects(f.streams.Out, out, objs)
			}
			c, err := f.newClient()
			if err != nil {
				return err
			}
			for _, o := range objs {
				if err := apply(cmd.Context(), c, o, force); err != nil {
					return err
				}
				fmt.Fprintf(f.streams.Out, "%s/%s applied\n", kindOf(o), o.GetName())
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "file", "f", nil, "JSON file to import (- for stdin); repeat for several.")
	cmd.Flags().StringVar(&registry, "registry", "", "The bundled registry's host: ECR images are rewritten to <registry>/<namespace>/<repository>.")
	cmd.Flags().StringVar(&reportFile, "report", "", "Write the report to this file instead of stderr.")
	cmd.Flags().BoolVar(&doApply, "apply", false, "Server-side apply the manifests instead of printing them.")
	cmd.Flags().BoolVar(&force, "force-conflicts", false, "With --apply: take over fields another field manager set.")
	_ = cmd.MarkFlagFilename("file", "json")
	addOutputFlag(cmd, &out, "yaml", "json")
	return cmd
}
