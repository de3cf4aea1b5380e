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
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/internal/scheme"
)

// outputFormats are the values -o accepts: "" is the table.
var outputFormats = []string{"", "wide", "yaml", "json"}

// addOutputFlag adds -o/--output with completion of its values.
func addOutputFlag(cmd *cobra.Command, out *string, formats ...string) {
	if len(formats) == 0 {
		formats = outputFormats[1:]
	}
	cmd.Flags().StringVarP(out, "output", "o", "", "Output format: one of "+fmt.Sprint(formats)+".")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return formats, cobra.ShellCompDirectiveNoFileComp
	})
}

// checkOutput refuses an -o value the command does not know.
func checkOutput(out string, formats ...string) error {
	if len(formats) == 0 {
		formats = outputFormats
	}
	if !slices.Contains(formats, out) && out != "" {
		return usageError{fmt.Errorf("--output %q: must be one of %v", out, formats[1:])}
	}
	return nil
}

// withTypeMeta sets apiVersion and kind from the scheme, which typed objects read from the
// API server leave empty.
func withTypeMeta(objs []client.Object) ([]client.Object, error) {
	s, err := scheme.New()
	if err != nil {
		return nil, err
	}
	out := make([]client.Object, 0, len(objs))
	for _, o := range objs {
		o = o.DeepCopyObject().(client.Object)
		gvk, err := apiutil.GVKForObject(o, s)
		if err != nil {
			return nil, fmt.Errorf("type of %s: %w", o.GetName(), err)
		}
		o.GetObjectKind().SetGroupVersionKind(gvk)
		o.SetManagedFields(nil)
		out = append(out, o)
	}
	return out, nil
}

// printObjects writes objects as a YAML stream (documents separated by ---) or, for json, as
// one object or a v1 List, as kubectl does.
func printObjects(w io.Writer, format string, objs []client.Object) error {
	objs, err := withTypeMeta(objs)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		var v any
		if len(objs) == 1 {
			v = objs[0]
		} else {
			items := make([]runtime.RawExtension, 0, len(objs))
			for _, o := range objs {
				items = append(items, runtime.RawExtension{Object: o})
			}
			v = map[string]any{"apiVersion": "v1", "kind": "List", "items": objs}
			_ = items
		}
		b, err := json.MarshalIndent(v, "", "    ")
		if err != nil {
			return fmt.Errorf("encoding JSON: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	default:
		for i, o := range objs {
			b, err := yaml.Marshal(o)
			if err != nil {
				return fmt.Errorf("encoding %s as YAML: %w", o.GetName(), err)
			}
			if i > 0 {
				if _, err := io.WriteString(w, "---\n"); err != nil {
					return err
				}
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	}
}
