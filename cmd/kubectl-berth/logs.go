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
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

func newLogsCmd(f *factory) *cobra.Command {
	var container string
	var follow, timestamps bool
	var tail int64
	cmd := &cobra.Command{
		Use:   "logs SERVICE",
		Short: "Print the logs of every task of a Service, each line prefixed with its task and container",
		Example: "  kubectl berth logs web -n shop\n" +
			"  kubectl berth logs web -c envoy --follow --tail 20",
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			return completeServices(cmd.Context(), f, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ns, err := f.namespace()
			if err != nil {
				return err
			}
			cs, err := f.clientset()
			if err != nil {
				return err
			}
			pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: ecsv1alpha1.ServiceLabel + "=" + args[0]})
			if err != nil {
				return fmt.Errorf("listing the tasks of %s: %w", args[0], err)
			}
			if len(pods.Items) == 0 {
				return fmt.Errorf("service %s has no tasks in %s namespace", args[0], ns)
			}
			var mu sync.Mutex // one line at a time
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for _, p := range pods.Items {
				for _, c := range append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...) {
					if container != "" && c.Name != container {
						continue
					}
					opts := &corev1.PodLogOptions{Container: c.Name, Follow: follow, Timestamps: timestamps}
					if tail >= 0 {
						opts.TailLines = &tail
					}
					prefix := fmt.Sprintf("[%s/%s] ", p.Name, c.Name)
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := streamLog(ctx, func() (io.ReadCloser, error) { return cs.CoreV1().Pods(ns).GetLogs(p.Name, opts).Stream(ctx) }, prefix, f, &mu); err != nil {
							select {
							case errs <- fmt.Errorf("%s%w", prefix, err):
							default:
							}
						}
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				fmt.Fprintln(f.streams.ErrOut, "warning:", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&container, "container", "c", "", "Only this container's logs.")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "Keep streaming the logs.")
	cmd.Flags().BoolVar(&timestamps, "timestamps", false, "Prefix each line with its time.")
	cmd.Flags().Int64Var(&tail, "tail", -1, "Lines of recent log to show per container (-1: all).")
	return cmd
}

// streamLog copies one container's log to the output, each line prefixed.
func streamLog(_ context.Context, open func() (io.ReadCloser, error), prefix string, f *factory, mu *sync.Mutex) error {
	r, err := open()
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		mu.Lock()
		fmt.Fprintln(f.streams.Out, f.paint(colorBold, prefix)+sc.Text())
		mu.Unlock()
	}
	return sc.Err()
}
