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
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/cliview"
)

func newDescribeCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "describe",
		Short: "Show a Service's deployments, events and zone balance",
	}
	svcCmd := &cobra.Command{
		Use:     "service NAME",
		Aliases: []string{"services", "svc", "ecssvc"},
		Short:   "Show a Service: desired and running counts, deployments, zone balance (a bar per zone) and events",
		Example: "  kubectl berth describe service web -n shop",
		Args:    cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			return completeServices(cmd.Context(), f, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ns, err := f.namespace()
			if err != nil {
				return err
			}
			c, err := f.newClient()
			if err != nil {
				return err
			}
			views, err := observeServices(cmd.Context(), c, ns, args)
			if err != nil {
				return err
			}
			describeService(f.streams.Out, views[0])
			return nil
		},
	}
	cmd.AddCommand(svcCmd)
	return cmd
}

// describeService writes the describe view of one Service.
func describeService(w io.Writer, v serviceView) {
	svc := v.svc
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.StripEscape)
	desired := "-"
	if svc.Spec.DesiredCount != nil {
		desired = fmt.Sprint(*svc.Spec.DesiredCount)
	}
	fmt.Fprintf(tw, "Name:\t%s\n", svc.Name)
	fmt.Fprintf(tw, "Namespace:\t%s\n", svc.Namespace)
	fmt.Fprintf(tw, "Task definition:\t%s\n", dash(svc.Status.TaskDefinition))
	fmt.Fprintf(tw, "Scheduling:\t%s\n", orDefault(string(svc.Spec.SchedulingStrategy), "REPLICA"))
	fmt.Fprintf(tw, "Desired:\t%s\n", desired)
	fmt.Fprintf(tw, "Running / pending:\t%d / %d\n", svc.Status.RunningCount, svc.Status.PendingCount)
	state := string(v.phase)
	if v.why != "" {
		state += " (" + v.why + ")"
	}
	fmt.Fprintf(tw, "State:\t%s\n", state)
	_ = tw.Flush()

	fmt.Fprintln(w, "\nDeployments:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.StripEscape)
	fmt.Fprintln(tw, "  ID\tSTATUS\tTASK DEFINITION\tDESIRED\tRUNNING\tPENDING\tFAILED\tROLLOUT\tUPDATED")
	for _, d := range svc.Status.Deployments {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", d.ID, d.Status, d.TaskDefinition, d.DesiredCount, d.RunningCount, d.PendingCount, d.FailedTasks, dash(string(d.RolloutState)), d.UpdatedAt.UTC().Format(time.RFC3339))
	}
	_ = tw.Flush()

	fmt.Fprintln(w, "\nRunning tasks per zone:")
	counts := cliview.ZoneCounts(v.rows)
	if len(counts) == 0 {
		fmt.Fprintln(w, "  (none running)")
	}
	for _, line := range cliview.ZoneBars(counts, 30) {
		fmt.Fprintln(w, "  "+line)
	}

	fmt.Fprintln(w, "\nEvents (oldest first):")
	printServiceEvents(w, svc, 20)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func newEventsCmd(f *factory) *cobra.Command {
	var limit int
	var watch bool
	cmd := &cobra.Command{
		Use:   "events [SERVICE]",
		Short: "Print ECS service events (of one Service, or of every Service in the namespace)",
		Long: "events prints the ECS service events Berth records in each Service's status — \"(service\n" +
			"web) has reached a steady state.\", placement failures, stopped tasks — oldest first,\n" +
			"with the time. --watch keeps printing new ones.",
		Example: "  kubectl berth events -n shop\n  kubectl berth events web --watch",
		Args:    cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			return completeServices(cmd.Context(), f, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ns, err := f.namespace()
			if err != nil {
				return err
			}
			c, err := f.newClient()
			if err != nil {
				return err
			}
			seen := map[string]bool{}
			for {
				if err := printEvents(cmd.Context(), f, c, ns, args, limit, seen); err != nil {
					return err
				}
				if !watch {
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-time.After(2 * time.Second):
				}
			}
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "How many of each Service's newest events to print.")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "Keep printing new events.")
	return cmd
}

// printEvents prints the events not yet in seen.
func printEvents(ctx context.Context, f *factory, c client.Client, ns string, names []string, limit int, seen map[string]bool) error {
	var svcs []ecsv1alpha1.Service
	if len(names) == 1 {
		var s ecsv1alpha1.Service
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: names[0]}, &s); err != nil {
			return fmt.Errorf("service %s: %w", names[0], err)
		}
		svcs = append(svcs, s)
	} else {
		var l ecsv1alpha1.ServiceList
		if err := c.List(ctx, &l, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("listing services: %w", err)
		}
		svcs = l.Items
	}
	type ev struct {
		at      time.Time
		svc, id string
		msg     string
	}
	var evs []ev
	for _, s := range svcs {
		list := s.Status.Events
		if len(list) > limit {
			list = list[:limit]
		}
		for _, e := range list {
			key := s.Name + "/" + e.ID
			if !seen[key] {
				seen[key] = true
				evs = append(evs, ev{at: e.CreatedAt.Time, svc: s.Name, id: e.ID, msg: e.Message})
			}
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	for _, e := range evs {
		fmt.Fprintf(f.streams.Out, "%s  %-20s %s\n", e.at.UTC().Format(time.RFC3339), e.svc, e.msg)
	}
	if len(evs) == 0 && len(seen) == 0 {
		fmt.Fprintf(f.streams.ErrOut, "No service events in %s namespace.\n", ns)
	}
	return nil
}
