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
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Compose keys named in several places.
const (
	keyServices  = "services"
	keyDeploy    = "deploy"
	keyDependsOn = "depends_on"
	keySecrets   = "secrets"
	keyConfigs   = "configs"
	keyName      = "name"
)

// spec describes the keys allowed under a mapping: nil allows any content below a key,
// anyKey allows every key name with the given spec for each value (maps keyed by user names,
// like services or depends_on), seq applies to every item of a list (items that are strings
// are the short syntax and pass).
type spec struct {
	keys   map[string]*spec
	anyKey *spec
	// warn holds keys accepted with a warning (they have no effect on Berth).
	warn map[string]string
}

var anything *spec // nil: any content

func keys(ks map[string]*spec) *spec { return &spec{keys: ks} }

var durationKeys = map[string]*spec{"condition": anything, "delay": anything, "max_attempts": anything, "window": anything}

var resourceKeys = keys(map[string]*spec{
	"cpus": anything, "memory": anything,
	"devices": {anyKey: nil, keys: map[string]*spec{"capabilities": anything, "count": anything, "driver": anything}},
})

// serviceSpec lists the service keys Berth converts (docs/cli.md says how).
var serviceSpec = &spec{
	keys: map[string]*spec{
		"image": anything, "command": anything, "entrypoint": anything,
		"environment": anything, "env_file": anything,
		"healthcheck": keys(map[string]*spec{"test": anything, "interval": anything, "timeout": anything, "retries": anything, "start_period": anything, "disable": anything}),
		keyDependsOn:  {anyKey: keys(map[string]*spec{"condition": anything, "required": anything})},
		keyDeploy: keys(map[string]*spec{
			"mode": anything, "replicas": anything,
			"resources":      keys(map[string]*spec{"limits": resourceKeys, "reservations": resourceKeys}),
			"restart_policy": keys(durationKeys),
			"placement":      keys(map[string]*spec{"constraints": anything, "preferences": anything, "max_replicas_per_node": anything}),
			"update_config":  keys(map[string]*spec{"order": anything, "failure_action": anything}),
			"labels":         anything,
		}),
		"restart": anything, "expose": anything,
		// Long forms: only the keys the converter reads (uid, gid, mode, app_protocol … would
		// otherwise be dropped).
		"ports":       keys(map[string]*spec{"target": anything, "published": anything, "protocol": anything, "host_ip": anything}),
		keySecrets:    keys(map[string]*spec{"source": anything, "target": anything}),
		keyConfigs:    keys(map[string]*spec{"source": anything, "target": anything}),
		"ulimits":     anything,
		"logging":     keys(map[string]*spec{"driver": anything, "options": anything}),
		"extra_hosts": anything, "dns": anything, "dns_search": anything,
		"read_only": anything, "privileged": anything, "cap_add": anything, "cap_drop": anything,
		"labels": anything, "hostname": anything, "user": anything,
		"volumes":     keys(map[string]*spec{"type": anything, "source": anything, "target": anything, "read_only": anything, "tmpfs": keys(map[string]*spec{"size": anything})}),
		"working_dir": anything, "stop_grace_period": anything, "tty": anything, "stdin_open": anything,
		"sysctls": anything, "shm_size": anything, "init": anything, "platform": anything,
		"network_mode": anything, "pid": anything, "profiles": anything, "extends": anything,
		"mem_limit": anything, "mem_reservation": anything, "cpus": anything,
		"x-ecs-task": anything, "x-ecs-essential": anything, "x-ecs-published-type": anything,
		"x-ecs-task-role": anything,
	},
	warn: map[string]string{
		"container_name": "ignored: task containers are named after the compose service",
		"networks":       "ignored: every task is on the cluster's one Pod network; reach other services by their name",
		"pull_policy":    "ignored: Berth pins bundled-registry images to a digest per deployment",
		"links":          "ignored: services reach each other by name through core Services",
		"stop_signal":    "ignored: Kubernetes stops containers with SIGTERM",
	},
}

var topSpec = &spec{
	keys: map[string]*spec{
		keyName:     anything,
		keyServices: {anyKey: serviceSpec},
		"volumes": {anyKey: keys(map[string]*spec{
			keyName: anything, "external": anything, "labels": anything,
			"x-ecs-size": anything, "x-ecs-storage-class": anything, "x-ecs-access-mode": anything, "x-ecs-scope": anything,
		})},
		keySecrets: {anyKey: keys(map[string]*spec{keyName: anything, "file": anything, "environment": anything, "external": anything})},
		keyConfigs: {anyKey: keys(map[string]*spec{keyName: anything, "file": anything, "content": anything, "environment": anything, "external": anything})},
	},
	warn: map[string]string{
		"version":  "ignored: the Compose Specification has no version",
		"networks": "ignored: every task is on the cluster's one Pod network",
	},
}

// KeyError is a key Berth refuses, located in its file.
type KeyError struct {
	File string
	Line int
	// Path is the key's path, dot-separated: services.web.build.
	Path   string
	Reason string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", display(e.File), e.Line, e.Path, e.Reason)
}

// unsupportedReasons says why well-known keys are refused and what to do instead.
var unsupportedReasons = map[string]string{
	"build":         "Berth does not build images: build and push the image (to the bundled registry), then give `image`",
	"devices":       "host devices are not supported: a task may run on any node",
	"cgroup_parent": "not supported on Kubernetes",
	"ipc":           "not supported by this converter; set ipcMode on the TaskDefinition",
	"userns_mode":   "user namespaces are not supported",
	"security_opt":  "not supported by this converter; set dockerSecurityOptions on the TaskDefinition",
	"tmpfs":         "use a volume of type tmpfs with tmpfs.size",
	"volumes_from":  "not supported across tasks; put the services in one task (x-ecs-task) and share a named volume",
	"scale":         "use deploy.replicas",
	"develop":       "compose watch is a local workflow",
}

// checkKeys walks a compose file's YAML and returns every key that is neither converted nor
// an extension (x-…) other than the x-ecs-… ones Berth knows, with its line. Warnings are
// returned for keys accepted without effect.
func checkKeys(file string, data []byte) ([]error, []string) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []error{fmt.Errorf("%s: %w", display(file), err)}, nil
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	var errs []error
	var warns []string
	var walk func(n *yaml.Node, s *spec, path string)
	walk = func(n *yaml.Node, s *spec, path string) {
		if s == nil || n == nil {
			return
		}
		n = resolveAlias(n)
		if n.Kind == yaml.SequenceNode {
			for _, item := range n.Content {
				walk(item, s, path)
			}
			return
		}
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			name := k.Value
			p := name
			if path != "" {
				p = path + "." + name
			}
			if name == "<<" { // a YAML merge key: check what it merges
				walk(v, s, path)
				continue
			}
			if s.anyKey != nil || (s.keys == nil && s.warn == nil) {
				if strings.HasPrefix(name, "x-") && path == "" {
					continue
				}
				walk(v, s.anyKey, p)
				continue
			}
			if sub, ok := s.keys[name]; ok {
				walk(v, sub, p)
				continue
			}
			if w, ok := s.warn[name]; ok {
				warns = append(warns, fmt.Sprintf("%s:%d: %s: %s", display(file), k.Line, p, w))
				continue
			}
			if strings.HasPrefix(name, "x-") && !strings.HasPrefix(name, "x-ecs-") {
				continue // extensions are for other tools, by the specification
			}
			reason := "not supported by kubectl berth compose (docs/cli.md lists the supported keys)"
			if r, ok := unsupportedReasons[name]; ok {
				reason = r
			}
			if strings.HasPrefix(name, "x-ecs-") {
				reason = "unknown Berth extension (docs/cli.md lists the x-ecs-… keys)"
			}
			errs = append(errs, &KeyError{File: file, Line: k.Line, Path: p, Reason: reason})
		}
	}
	walk(doc.Content[0], topSpec, "")
	return errs, warns
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// locator finds where a key is written, for errors about values: the last file (later files
// override earlier ones) holding the path.
type locator struct {
	files []string
	docs  []*yaml.Node
}

func newLocator(files []string) *locator {
	l := &locator{}
	for _, f := range files {
		data, err := os.ReadFile(f) //nolint:gosec // the user's own compose files
		if err != nil {
			continue
		}
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
			continue
		}
		l.files = append(l.files, f)
		l.docs = append(l.docs, doc.Content[0])
	}
	return l
}

// at returns "file:line: a.b.c" for the deepest existing prefix of path, or just the path.
func (l *locator) at(path ...string) string {
	for i := len(l.docs) - 1; i >= 0; i-- {
		n := l.docs[i]
		line := 0
		for _, k := range path {
			n = resolveAlias(n)
			if n == nil || n.Kind != yaml.MappingNode {
				break
			}
			var next *yaml.Node
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == k {
					line, next = n.Content[j].Line, n.Content[j+1]
					break
				}
			}
			if next == nil {
				break
			}
			n = next
		}
		if line > 0 {
			return fmt.Sprintf("%s:%d: %s", display(l.files[i]), line, strings.Join(path, "."))
		}
	}
	return strings.Join(path, ".")
}

// extendsFiles returns the files a compose file's services extend, relative to it.
func extendsFiles(file string, data []byte) []string {
	var doc struct {
		Services map[string]struct {
			Extends any `yaml:"extends"`
		} `yaml:"services"`
	}
	if yaml.Unmarshal(data, &doc) != nil {
		return nil
	}
	var out []string
	for _, s := range doc.Services {
		if m, ok := s.Extends.(map[string]any); ok {
			if f, ok := m["file"].(string); ok && f != "" {
				if !filepath.IsAbs(f) {
					f = filepath.Join(filepath.Dir(file), f)
				}
				out = append(out, f)
			}
		}
	}
	return out
}

// checkFiles checks the keys of the files and of the files they extend.
func checkFiles(files []string) ([]string, error) {
	seen := map[string]bool{}
	var errs []error
	var warns []string
	queue := append([]string(nil), files...)
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		if seen[f] {
			continue
		}
		seen[f] = true
		data, err := os.ReadFile(f) //nolint:gosec // the user's own compose files
		if err != nil {
			return nil, fmt.Errorf("reading compose file: %w", err)
		}
		e, w := checkKeys(f, data)
		errs = append(errs, e...)
		warns = append(warns, w...)
		queue = append(queue, extendsFiles(f, data)...)
	}
	return warns, errors.Join(errs...)
}

// display shows a file relative to the working directory when it is below it.
func display(file string) string {
	wd, err := os.Getwd()
	if err != nil {
		return file
	}
	rel, err := filepath.Rel(wd, file)
	if err != nil || strings.HasPrefix(rel, "..") {
		return file
	}
	return rel
}

// readFile reads a secret's or config's file.
func readFile(name string) ([]byte, error) {
	data, err := os.ReadFile(name) //nolint:gosec // named by the user's compose file
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", display(name), err)
	}
	return data, nil
}
