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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/cliview"
)

// pollInterval is how often waits read the Services again.
const pollInterval = time.Second

// extractObjects returns a list's items as objects.
func extractObjects(l client.ObjectList) ([]client.Object, error) {
	items, err := apimeta.ExtractList(l)
	if err != nil {
		return nil, fmt.Errorf("reading list: %w", err)
	}
	out := make([]client.Object, 0, len(items))
	for _, it := range items {
		if o, ok := it.(client.Object); ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// serviceView is one Service's line of the progress display.
type serviceView struct {
	svc   *ecsv1alpha1.Service
	rows  []cliview.TaskRow
	phase cliview.Phase
	why   string
}

// observeServices reads the Services and their tasks.
func observeServices(ctx context.Context, c client.Client, ns string, names []string) ([]serviceView, error) {
	nodes := map[string]*corev1.Node{}
	var nl corev1.NodeList
	if err := c.List(ctx, &nl); err == nil { // zones are a nicety: no node access, no zones
		for i := range nl.Items {
			nodes[nl.Items[i].Name] = &nl.Items[i]
		}
	}
	out := make([]serviceView, 0, len(names))
	for _, name := range names {
		svc := &ecsv1alpha1.Service{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, svc); err != nil {
			return nil, fmt.Errorf("service %s: %w", name, err)
		}
		var pods corev1.PodList
		if err := c.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: name}); err != nil {
			return nil, fmt.Errorf("tasks of %s: %w", name, err)
		}
		phase, why := cliview.ServicePhase(svc)
		out = append(out, serviceView{svc: svc, rows: cliview.ServiceTaskRows(pods.Items, nodes, time.Now()), phase: phase, why: why})
	}
	return out, nil
}

// renderProgress writes the progress table.
func renderProgress(f *factory, w io.Writer, views []serviceView) int {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.StripEscape)
	fmt.Fprintln(tw, "SERVICE\tDESIRED\tRUNNING\tRUNNING PER ZONE\tROLLOUT\tSTATE")
	for _, v := range views {
		rollout := "-"
		for _, d := range v.svc.Status.Deployments {
			if d.Status == ecsv1alpha1.DeploymentPrimary {
				rollout = string(d.RolloutState)
			}
		}
		desired := "-"
		if v.svc.Spec.DesiredCount != nil {
			desired = fmt.Sprint(*v.svc.Spec.DesiredCount)
		}
		if v.svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon {
			desired = fmt.Sprint(v.svc.Status.DesiredCount)
		}
		running := 0
		for _, r := range v.rows {
			if r.LastStatus == "RUNNING" {
				running++
			}
		}
		state := string(v.phase)
		switch v.phase {
		case cliview.PhaseSteady:
			state = f.cell(colorGreen, state)
		case cliview.PhaseFailed:
			state = f.cell(colorRed, state)
		default:
			state = f.cell(colorYellow, state)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", v.svc.Name, desired, running, cliview.ZoneSummary(cliview.ZoneCounts(v.rows)), rollout, state)
	}
	_ = tw.Flush()
	return len(views) + 1
}

// waitServices shows the Services' progress until all are steady (nil), one failed or the
// timeout passed (a failedError, after printing the Services' events).
func waitServices(ctx context.Context, f *factory, c client.Client, ns string, names []string, timeout time.Duration) error {
	if len(names) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	lines, last := 0, ""
	for {
		views, err := observeServices(ctx, c, ns, names)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if err == nil {
			var b strings.Builder
			n := renderProgress(f, &b, views)
			switch {
			case f.color: // a terminal: redraw in place
				if lines > 0 {
					fmt.Fprintf(f.streams.Out, "\x1b[%dA\x1b[J", lines)
				}
				fmt.Fprint(f.streams.Out, b.String())
				lines = n
			case b.String() != last:
				fmt.Fprintf(f.streams.Out, "%s\n%s", time.Now().Format(time.TimeOnly), b.String())
			}
			last = b.String()
			steady, failed := true, false
			for _, v := range views {
				steady = steady && v.phase == cliview.PhaseSteady
				failed = failed || v.phase == cliview.PhaseFailed
			}
			if steady {
				fmt.Fprintln(f.streams.Out, f.paint(colorGreen, "all services reached a steady state"))
				return nil
			}
			if failed {
				printServiceProblems(f, views)
				return failedError{fmt.Errorf("a service failed to reach a steady state")}
			}
		}
		select {
		case <-ctx.Done():
			if views, err := observeServices(context.WithoutCancel(ctx), c, ns, names); err == nil {
				printServiceProblems(f, views)
			}
			return failedError{fmt.Errorf("services not at steady state after %s", timeout)}
		case <-time.After(pollInterval):
		}
	}
}

// printServiceProblems prints, for each Service not at steady state, why and its latest
// events.
func printServiceProblems(f *factory, views []serviceView) {
	for _, v := range views {
		if v.phase == cliview.PhaseSteady {
			continue
		}
		fmt.Fprintf(f.streams.ErrOut, "\n%s %s: %s\n", f.paint(colorBold, "service"), v.svc.Name, v.why)
		printServiceEvents(f.streams.ErrOut, v.svc, 10)
	}
}

// printServiceEvents prints the newest n ECS service events, oldest first.
func printServiceEvents(w io.Writer, svc *ecsv1alpha1.Service, n int) {
	evs := svc.Status.Events // newest first, as ECS lists them
	if len(evs) > n {
		evs = evs[:n]
	}
	for i := len(evs) - 1; i >= 0; i-- {
		fmt.Fprintf(w, "  %s  %s\n", evs[i].CreatedAt.UTC().Format(time.RFC3339), evs[i].Message)
	}
	if len(evs) == 0 {
		fmt.Fprintln(w, "  (no service events)")
	}
}

func newWaitCmd(f *factory) *cobra.Command {
	var timeout time.Duration
	var forDeletion bool
	cmd := &cobra.Command{
		Use:   "wait (service|task|taskdefinition) NAME...",
		Short: "Wait until Services are steady, Tasks have stopped or are running, or TaskDefinitions are ready",
		Long: "wait blocks until each object reaches its goal: a Service its steady state (as ECS's\n" +
			"services-stable waiter), a Task RUNNING (or STOPPED with --stopped), a TaskDefinition\n" +
			"Ready. With --for-delete it waits until the objects are gone. Exit 3 when one fails\n" +
			"or --timeout passes.",
		Example: "  kubectl berth wait service web api -n shop --timeout 5m\n" +
			"  kubectl berth wait task migrate-1 --stopped\n" +
			"  kubectl berth wait taskdefinition web",
		Args: cobra.MinimumNArgs(2),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []string{"service", "task", "taskdefinition"}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ns, err := f.namespace()
			if err != nil {
				return err
			}
			c, err := f.newClient()
			if err != nil {
				return err
			}
			kind, names := args[0], args[1:]
			stopped, _ := cmd.Flags().GetBool("stopped")
			if forDeletion {
				return waitGone(ctx, c, ns, kind, names, timeout)
			}
			switch kind {
			case "service", "services", "svc", "ecssvc":
				return waitServices(ctx, f, c, ns, names, timeout)
			case "task", "tasks":
				return waitObjects(ctx, f, "task.ecs.berth.dev", names, timeout, func(name string) (bool, bool, string, error) {
					var t ecsv1alpha1.Task
					if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &t); err != nil {
						return false, false, "", err
					}
					st := t.Status.LastStatus
					if stopped {
						return st == ecsv1alpha1.TaskStopped, false, string(st), nil
					}
					return st == ecsv1alpha1.TaskRunning, st == ecsv1alpha1.TaskStopped, string(st) + " " + t.Status.StoppedReason, nil
				})
			case "taskdefinition", "taskdefinitions", "taskdef", "td":
				return waitObjects(ctx, f, "taskdefinition.ecs.berth.dev", names, timeout, taskDefinitionReady(ctx, c, ns))
			}
			return usageError{fmt.Errorf("cannot wait for %q: service, task or taskdefinition", kind)}
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "How long to wait.")
	cmd.Flags().Bool("stopped", false, "For tasks: wait until STOPPED instead of RUNNING.")
	cmd.Flags().BoolVar(&forDeletion, "for-delete", false, "Wait until the objects are deleted.")
	return cmd
}

// taskDefinitionReady checks that a TaskDefinition's latest spec is registered (Ready), and
// fails when Berth refuses it (Stalled, e.g. InvalidTaskDefinition).
func taskDefinitionReady(ctx context.Context, c client.Client, ns string) func(string) (bool, bool, string, error) {
	return func(name string) (bool, bool, string, error) {
		var td ecsv1alpha1.TaskDefinition
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &td); err != nil {
			return false, false, "", err
		}
		ready := apimeta.FindStatusCondition(td.Status.Conditions, ecsv1alpha1.ReadyCondition)
		current := td.Status.ObservedGeneration >= td.Generation
		stalled := current && apimeta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.StalledCondition)
		msg := ""
		if ready != nil {
			msg = ready.Reason + ": " + ready.Message
		}
		return current && ready != nil && ready.Status == metav1.ConditionTrue, stalled, msg, nil
	}
}

// waitObjects polls check for each name until all are done (nil), one failed or the timeout
// passes (failedError).
func waitObjects(ctx context.Context, f *factory, kind string, names []string, timeout time.Duration, check func(string) (done, failed bool, state string, err error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pending := append([]string(nil), names...)
	for {
		var still []string
		for _, n := range pending {
			done, failed, state, err := check(n)
			if err != nil && ctx.Err() == nil {
				return err
			}
			switch {
			case failed:
				return failedError{fmt.Errorf("%s/%s: %s", kind, n, state)}
			case done:
				fmt.Fprintf(f.streams.Out, "%s/%s %s\n", kind, n, f.paint(colorGreen, "condition met"))
			default:
				still = append(still, n)
			}
		}
		pending = still
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return failedError{fmt.Errorf("timed out after %s waiting for %s", timeout, strings.Join(pending, ", "))}
		case <-time.After(pollInterval):
		}
	}
}

// waitGone waits until the named objects no longer exist.
func waitGone(ctx context.Context, c client.Client, ns, kind string, names []string, timeout time.Duration) error {
	var newObj func() client.Object
	switch kind {
	case "service", "services", "svc", "ecssvc":
		newObj = func() client.Object { return &ecsv1alpha1.Service{} }
	case "task", "tasks":
		newObj = func() client.Object { return &ecsv1alpha1.Task{} }
	case "taskdefinition", "taskdefinitions", "taskdef", "td":
		newObj = func() client.Object { return &ecsv1alpha1.TaskDefinition{} }
	default:
		return usageError{fmt.Errorf("cannot wait for %q: service, task or taskdefinition", kind)}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, n := range names {
		for {
			err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: n}, newObj())
			if client.IgnoreNotFound(err) == nil && err != nil {
				break
			}
			select {
			case <-ctx.Done():
				return failedError{fmt.Errorf("timed out after %s waiting for %s to be deleted", timeout, n)}
			case <-time.After(pollInterval):
			}
		}
	}
	return nil
}
