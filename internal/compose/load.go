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

package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/sirupsen/logrus"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Labels set on every object a project makes; `compose down` deletes by them.
const (
	// ProjectLabel holds the compose project's name.
	ProjectLabel = "compose.berth.dev/project"
	// ServiceLabel holds the task (compose service, or x-ecs-task group) an object belongs to.
	ServiceLabel = "compose.berth.dev/service"
)

// Options says what to load.
type Options struct {
	// Files are the compose files, merged in order (later files override earlier ones).
	Files []string
	// ProjectName overrides the project's name (default: `name:`, else the first file's folder).
	ProjectName string
	// Profiles are the active profiles; services of other profiles are left out.
	Profiles []string
	// Environment is what ${VAR} interpolation reads, beside the .env file of the first file's
	// folder. The command passes the process environment; tests give their own.
	Environment map[string]string
	// Namespace is set on the objects.
	Namespace string
}

// Result is a converted project.
type Result struct {
	// Project is the project's name.
	Project string
	// Objects are Secrets, ConfigMaps, PersistentVolumeClaims, TaskDefinitions and Services,
	// in that order (each sorted by name), with apiVersion and kind set.
	Objects []client.Object
	// Warnings say what was accepted but approximated or ignored, with file and line.
	Warnings []string
}

// Load reads, merges and interpolates the compose files with compose-go, refuses unsupported
// keys with their file and line, and converts the project.
func Load(ctx context.Context, o Options) (*Result, error) {
	if len(o.Files) == 0 {
		return nil, errors.New("no compose file given")
	}
	files := make([]string, len(o.Files))
	for i, f := range o.Files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		files[i] = abs
	}
	// compose-go logs its own warnings (obsolete version, unset variables) through logrus;
	// Berth reports what matters itself.
	logrus.SetOutput(io.Discard)
	warns, err := checkFiles(files)
	if err != nil {
		return nil, err
	}
	env := make([]string, 0, len(o.Environment))
	for k, v := range o.Environment {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	opts := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(filepath.Dir(files[0])),
		cli.WithEnv(env),
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithProfiles(o.Profiles),
		cli.WithResolvedPaths(true),
		// Consistency (images given, dependencies defined) is checked by the converter,
		// which names the file and line.
		cli.WithConsistency(false),
	}
	if o.ProjectName != "" {
		opts = append(opts, cli.WithName(o.ProjectName))
	}
	po, err := cli.NewProjectOptions(files, opts...)
	if err != nil {
		return nil, fmt.Errorf("compose options: %w", err)
	}
	project, err := po.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", o.Files[0], err)
	}
	c := &converter{project: project, loc: newLocator(files), ns: o.Namespace, warnings: warns}
	objs, err := c.convert()
	if err != nil {
		return nil, err
	}
	return &Result{Project: project.Name, Objects: objs, Warnings: c.warnings}, nil
}
