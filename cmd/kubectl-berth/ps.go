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
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/cliview"
)

// psOptions says which tasks ps lists.
type psOptions struct {
	// service limits the list to one Service's tasks.
	service string
	// selector limits the Services (compose ps: the project's); standalone Tasks are listed
	// only without one.
	selector client.MatchingLabels
	output   string
}

func newPsCmd(f *factory) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "ps [SERVICE]",
		Short: "List tasks: of one Service, or of every Service and standalone Task in the namespace",
		Long: "ps lists tasks the way ecs-cli ps does: each task's ECS last status, health, availability\n" +
			"zone, node, container ports, task definition revision and age. Service tasks are Pods;\n" +
			"standalone tasks are Tasks (kind Task, run-task). -o wide adds the Pod IP and why a task\n" +
			"stopped; -o yaml|json prints the Pods and Tasks.",
		Example: "  kubectl berth ps -n shop\n  kubectl berth ps web -n shop -o wide",
		Args:    cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			return completeServices(cmd.Context(), f, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			o := psOptions{output: out}
			if len(args) == 1 {
				o.service = args[0]
			}
			return runPs(cmd.Context(), f, o)
		},
	}
	addOutputFlag(cmd, &out)
	return cmd
}

// completeServices completes Service names of the namespace.
func completeServices(ctx context.Context, f *factory, args []string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ns, err := f.namespace()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	c, err := f.newClient()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var l ecsv1alpha1.ServiceList
	if err := c.List(ctx, &l, client.InNamespace(ns)); err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	names := make([]string, 0, len(l.Items))
	for _, s := range l.Items {
		names = append(names, s.Name)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

func runPs(ctx context.Context, f *factory, o psOptions) error {
	ns, err := f.namespace()
	if err != nil {
		return err
	}
	c, err := f.newClient()
	if err != nil {
		return err
	}
	var services []string
	switch {
	case o.service != "":
		var svc ecsv1alpha1.Service
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: o.service}, &svc); err != nil {
			return fmt.Errorf("service %s: %w", o.service, err)
		}
		services = []string{o.service}
	default:
		var l ecsv1alpha1.ServiceList
		opts := []client.ListOption{client.InNamespace(ns)}
		if o.selector != nil {
			opts = append(opts, o.selector)
		}
		if err := c.List(ctx, &l, opts...); err != nil {
			return fmt.Errorf("listing services: %w", err)
		}
		for _, s := range l.Items {
			services = append(services, s.Name)
		}
	}
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(ns), client.HasLabels{ecsv1alpha1.ServiceLabel}); err != nil {
		return fmt.Errorf("listing tasks: %w", err)
	}
	pods.Items = slices.DeleteFunc(pods.Items, func(p corev1.Pod) bool {
		return !slices.Contains(services, p.Labels[ecsv1alpha1.ServiceLabel])
	})
	var standalone ecsv1alpha1.TaskList
	if o.service == "" && o.selector == nil {
		if err := c.List(ctx, &standalone, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("listing standalone tasks: %w", err)
		}
	}
	if o.output == "yaml" || o.output == "json" {
		var objs []client.Object
		for i := range pods.Items {
			objs = append(objs, &pods.Items[i])
		}
		for i := range standalone.Items {
			objs = append(objs, &standalone.Items[i])
		}
		return printObjects(f.streams.Out, o.output, objs)
	}
	nodes := map[string]*corev1.Node{}
	var nl corev1.NodeList
	if err := c.List(ctx, &nl); err == nil {
		for i := range nl.Items {
			nodes[nl.Items[i].Name] = &nl.Items[i]
		}
	}
	taskPods := map[string]*corev1.Pod{}
	var tp corev1.PodList
	if len(standalone.Items) > 0 {
		if err := c.List(ctx, &tp, client.InNamespace(ns), client.HasLabels{ecsv1alpha1.TaskLabel}); err == nil {
			for i := range tp.Items {
				taskPods[tp.Items[i].Name] = &tp.Items[i]
			}
		}
	}
	now := time.Now()
	rows := append(cliview.ServiceTaskRows(pods.Items, nodes, now), cliview.StandaloneTaskRows(standalone.Items, taskPods, now)...)
	if len(rows) == 0 {
		fmt.Fprintf(f.streams.ErrOut, "No tasks found in %s namespace.\n", ns)
		return nil
	}
	tw := tabwriter.NewWriter(f.streams.Out, 0, 4, 2, ' ', tabwriter.StripEscape)
	header := "NAME\tOWNER\tREVISION\tLAST STATUS\tHEALTH\tZONE\tNODE\tPORTS\tAGE"
	if o.output == "wide" {
		header += "\tIP\tSTOP REASON"
	}
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", r.Name, r.Owner, dash(r.Revision), f.paintStatus(r.LastStatus), f.paintHealth(r.Health), dash(r.Zone), dash(r.Node), r.Ports, r.Age)
		if o.output == "wide" {
			line += fmt.Sprintf("\t%s\t%s", dash(r.IP), dash(r.StopReason))
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (f *factory) paintStatus(s string) string {
	switch s {
	case "RUNNING":
		return f.cell(colorGreen, s)
	case "STOPPED", "STOPPING":
		return f.cell(colorRed, s)
	}
	return f.cell(colorYellow, s)
}

func (f *factory) paintHealth(s string) string {
	switch s {
	case "HEALTHY":
		return f.cell(colorGreen, s)
	case "UNHEALTHY":
		return f.cell(colorRed, s)
	}
	return s
}
