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
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/compose"
)

// fieldManager owns the fields kubectl-berth applies.
const fieldManager = "kubectl-berth"

// composeFlags are the flags every compose subcommand shares.
type composeFlags struct {
	files    []string
	project  string
	profiles []string
}

// defaultComposeFiles are looked for in the working directory, as docker compose does.
var defaultComposeFiles = []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"}

func (c *composeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&c.files, "file", "f", nil, "Compose file; repeat to merge several (default: compose.yaml, compose.yml, docker-compose.yml or docker-compose.yaml).")
	cmd.Flags().StringVarP(&c.project, "project-name", "p", "", "Project name (default: the file's name:, else its folder's name).")
	cmd.Flags().StringArrayVar(&c.profiles, "profile", nil, "Profile to enable; repeat for several.")
	_ = cmd.MarkFlagFilename("file", "yaml", "yml")
}

// load converts the project for namespace ns, printing the conversion's warnings.
func (c *composeFlags) load(ctx context.Context, f *factory) (*compose.Result, string, error) {
	return c.loadWarning(ctx, f, true)
}

// projectName is -p, else the name of the project the files define (read without warnings:
// ps and down only need the name).
func (c *composeFlags) projectName(ctx context.Context, f *factory) (string, error) {
	if c.project != "" {
		return c.project, nil
	}
	res, _, err := c.loadWarning(ctx, f, false)
	if err != nil {
		return "", err
	}
	return res.Project, nil
}

func (c *composeFlags) loadWarning(ctx context.Context, f *factory, warn bool) (*compose.Result, string, error) {
	ns, err := f.namespace()
	if err != nil {
		return nil, "", err
	}
	files := c.files
	if len(files) == 0 {
		for _, name := range defaultComposeFiles {
			if _, err := os.Stat(name); err == nil {
				files = []string{name}
				break
			}
		}
		if len(files) == 0 {
			return nil, "", usageError{fmt.Errorf("no compose file in the working directory (looked for %s); give one with -f", strings.Join(defaultComposeFiles, ", "))}
		}
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	res, err := compose.Load(ctx, compose.Options{Files: files, ProjectName: c.project, Profiles: c.profiles, Environment: env, Namespace: ns})
	if err != nil {
		return nil, "", err
	}
	for _, w := range res.Warnings {
		if warn {
			fmt.Fprintln(f.streams.ErrOut, f.paint(colorYellow, "warning:"), w)
		}
	}
	return res, ns, nil
}

func newComposeCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compose",
		Short: "Run a docker-compose.yml as Berth TaskDefinitions and Services",
		Long: "compose converts a Compose Specification project into one TaskDefinition and one\n" +
			"Service per compose service (services sharing an x-ecs-task name share a task), plus\n" +
			"core Services for their ports, a Secret and a ConfigMap for secrets and configs, and\n" +
			"PersistentVolumeClaims for named volumes. Keys Berth cannot honour are refused with the\n" +
			"file, line and key. docs/cli.md has the mapping.",
		Example: "  kubectl berth compose convert -f docker-compose.yml > manifests.yaml\n" +
			"  kubectl berth compose up -n shop\n" +
			"  kubectl berth compose ps -n shop\n" +
			"  kubectl berth compose scale web=3 -n shop\n" +
			"  kubectl berth compose down -n shop",
	}
	cmd.AddCommand(newComposeConvertCmd(f), newComposeUpCmd(f), newComposeDownCmd(f), newComposePsCmd(f), newComposeScaleCmd(f))
	return cmd
}

func newComposeConvertCmd(f *factory) *cobra.Command {
	var cf composeFlags
	var out string
	cmd := &cobra.Command{
		Use:     "convert",
		Short:   "Print the manifests of a compose project (for GitOps)",
		Example: "  kubectl berth compose convert -f docker-compose.yml -f docker-compose.prod.yml -n shop > shop.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(out, "", "yaml", "json"); err != nil {
				return err
			}
			res, _, err := cf.load(cmd.Context(), f)
			if err != nil {
				return err
			}
			return printObjects(f.streams.Out, out, res.Objects)
		},
	}
	cf.add(cmd)
	addOutputFlag(cmd, &out, "yaml", "json")
	return cmd
}

func newComposeUpCmd(f *factory) *cobra.Command {
	var cf composeFlags
	var force, noWait, removeOrphans bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Apply a compose project and wait until every Service is at steady state",
		Long: "up applies the project's objects with server-side apply (field manager kubectl-berth),\n" +
			"labelled compose.berth.dev/project=<project>, then shows each Service's tasks RUNNING per\n" +
			"zone and its deployment until all are at steady state (exit 0) or one fails or --timeout\n" +
			"passes (exit 3, with the failing Services' events).",
		Example: "  kubectl berth compose up -f docker-compose.yml -n shop\n" +
			"  kubectl berth compose up --profile debug --timeout 10m\n" +
			"  kubectl berth compose up --no-wait",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			res, ns, err := cf.load(ctx, f)
			if err != nil {
				return err
			}
			c, err := f.newClient()
			if err != nil {
				return err
			}
			for _, o := range res.Objects {
				if err := apply(ctx, c, o, force); err != nil {
					return err
				}
				fmt.Fprintf(f.streams.Out, "%s/%s applied\n", kindOf(o), o.GetName())
			}
			if removeOrphans {
				if err := deleteProject(ctx, c, f, ns, res.Project, res.Objects, true); err != nil {
					return err
				}
			}
			if noWait {
				return nil
			}
			var names, families []string
			for _, o := range res.Objects {
				switch o.(type) {
				case *ecsv1alpha1.Service:
					names = append(names, o.GetName())
				case *ecsv1alpha1.TaskDefinition:
					families = append(families, o.GetName())
				}
			}
			start := time.Now()
			// A task definition Berth cannot translate fails here, with its reason.
			if err := waitObjects(ctx, f, "taskdefinition.ecs.berth.dev", families, timeout, taskDefinitionReady(ctx, c, ns)); err != nil {
				return err
			}
			return waitServices(ctx, f, c, ns, names, timeout-time.Since(start))
		},
	}
	cf.add(cmd)
	cmd.Flags().BoolVar(&force, "force-conflicts", false, "Take over fields another field manager set (kubectl apply --force-conflicts).")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "Return once applied, without waiting for steady state.")
	cmd.Flags().BoolVar(&removeOrphans, "remove-orphans", false, "Delete the project's objects the files no longer define.")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "How long to wait for steady state.")
	return cmd
}

// apply server-side applies one object.
func apply(ctx context.Context, c client.Client, o client.Object, force bool) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return fmt.Errorf("%s: %w", o.GetName(), err)
	}
	u := &unstructured.Unstructured{Object: m}
	delete(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	opts := []client.ApplyOption{client.FieldOwner(fieldManager)}
	if force {
		opts = append(opts, client.ForceOwnership)
	}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), opts...); err != nil {
		return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

// projectKinds are the kinds compose creates, in the order down deletes them: Services
// first (their tasks and core Services go with them), TaskDefinitions once no Service uses
// them, then the Secret, ConfigMap and claims.
func projectLists() []client.ObjectList {
	return []client.ObjectList{
		&ecsv1alpha1.ServiceList{}, &ecsv1alpha1.TaskDefinitionList{},
		&corev1.SecretList{}, &corev1.ConfigMapList{}, &corev1.PersistentVolumeClaimList{},
	}
}

// projectObjects lists the objects labelled with the project.
func projectObjects(ctx context.Context, c client.Client, ns, project string, volumes bool) ([]client.Object, error) {
	var out []client.Object
	for _, l := range projectLists() {
		if _, ok := l.(*corev1.PersistentVolumeClaimList); ok && !volumes {
			continue
		}
		if err := c.List(ctx, l, client.InNamespace(ns), client.MatchingLabels{compose.ProjectLabel: project}); err != nil {
			return nil, fmt.Errorf("listing the project's objects: %w", err)
		}
		items, err := extractObjects(l)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// deleteProject deletes the project's objects, except keep (orphansOnly), and waits until
// they are gone.
func deleteProject(ctx context.Context, c client.Client, f *factory, ns, project string, keep []client.Object, volumes bool) error {
	objs, err := projectObjects(ctx, c, ns, project, volumes)
	if err != nil {
		return err
	}
	kept := func(o client.Object) bool {
		return slices.ContainsFunc(keep, func(k client.Object) bool {
			return k.GetName() == o.GetName() && fmt.Sprintf("%T", k) == fmt.Sprintf("%T", o)
		})
	}
	var deleted []client.Object
	for _, o := range objs {
		if kept(o) {
			continue
		}
		if err := c.Delete(ctx, o, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s %s: %w", kindOf(o), o.GetName(), err)
		}
		fmt.Fprintf(f.streams.Out, "%s/%s deleted\n", kindOf(o), o.GetName())
		deleted = append(deleted, o)
	}
	// Wait for the deletions, so that a following up does not meet half-deleted objects.
	deadline := time.Now().Add(2 * time.Minute)
	for _, o := range deleted {
		for {
			err := c.Get(ctx, client.ObjectKeyFromObject(o), o)
			if apierrors.IsNotFound(err) {
				break
			}
			if time.Now().After(deadline) {
				return failedError{fmt.Errorf("%s %s is still being deleted", kindOf(o), o.GetName())}
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	return nil
}

func kindOf(o client.Object) string {
	switch o.(type) {
	case *ecsv1alpha1.Service:
		return "service.ecs.berth.dev"
	case *ecsv1alpha1.TaskDefinition:
		return "taskdefinition.ecs.berth.dev"
	case *corev1.Secret:
		return "secret"
	case *corev1.ConfigMap:
		return "configmap"
	case *corev1.PersistentVolumeClaim:
		return "persistentvolumeclaim"
	case *corev1.ServiceAccount:
		return "serviceaccount"
	}
	return fmt.Sprintf("%T", o)
}

func newComposeDownCmd(f *factory) *cobra.Command {
	var cf composeFlags
	var volumes bool
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Delete what compose up made for the project",
		Long: "down deletes the project's Services (and with them their tasks and core Services),\n" +
			"TaskDefinitions, Secret and ConfigMap, found by the label compose.berth.dev/project,\n" +
			"and waits until they are gone. Claims of named volumes are kept unless --volumes, as\n" +
			"docker compose keeps volumes. Without a compose file, give the project with -p.",
		Example: "  kubectl berth compose down -n shop\n  kubectl berth compose down -p shop --volumes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			ns, err := f.namespace()
			if err != nil {
				return err
			}
			project, err := cf.projectName(ctx, f)
			if err != nil {
				return err
			}
			c, err := f.newClient()
			if err != nil {
				return err
			}
			return deleteProject(ctx, c, f, ns, project, nil, volumes)
		},
	}
	cf.add(cmd)
	cmd.Flags().BoolVarP(&volumes, "volumes", "v", false, "Also delete the PersistentVolumeClaims of named volumes.")
	return cmd
}

func newComposePsCmd(f *factory) *cobra.Command {
	var cf composeFlags
	var out string
	cmd := &cobra.Command{
		Use:     "ps",
		Short:   "List the tasks of the project's Services",
		Example: "  kubectl berth compose ps -n shop\n  kubectl berth compose ps -p shop -o wide",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			ctx := cmd.Context()
			project, err := cf.projectName(ctx, f)
			if err != nil {
				return err
			}
			return runPs(ctx, f, psOptions{selector: client.MatchingLabels{compose.ProjectLabel: project}, output: out})
		},
	}
	cf.add(cmd)
	addOutputFlag(cmd, &out)
	return cmd
}

func newComposeScaleCmd(f *factory) *cobra.Command {
	var cf composeFlags
	cmd := &cobra.Command{
		Use:     "scale SERVICE=REPLICAS...",
		Short:   "Set the desired count of the project's Services",
		Example: "  kubectl berth compose scale web=3 worker=5 -n shop",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ns, err := f.namespace()
			if err != nil {
				return err
			}
			want := map[string]int32{}
			for _, a := range args {
				name, n, ok := strings.Cut(a, "=")
				count, err := strconv.ParseInt(n, 10, 32)
				if !ok || err != nil || count < 0 {
					return usageError{fmt.Errorf("%q: give SERVICE=REPLICAS, e.g. web=3", a)}
				}
				want[name] = int32(count)
			}
			c, err := f.newClient()
			if err != nil {
				return err
			}
			for name, count := range want {
				var svc ecsv1alpha1.Service
				if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &svc); err != nil {
					return fmt.Errorf("service %s: %w", name, err)
				}
				if cf.project != "" && svc.Labels[compose.ProjectLabel] != cf.project {
					return fmt.Errorf("service %s is not part of project %s", name, cf.project)
				}
				patch := client.MergeFrom(svc.DeepCopy())
				svc.Spec.DesiredCount = &count
				if err := c.Patch(ctx, &svc, patch, client.FieldOwner(fieldManager)); err != nil {
					return fmt.Errorf("scaling %s: %w", name, err)
				}
				fmt.Fprintf(f.streams.Out, "service.ecs.berth.dev/%s scaled to %d\n", name, count)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&cf.project, "project-name", "p", "", "Only scale Services of this project.")
	return cmd
}
