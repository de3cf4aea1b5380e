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
	"maps"
	"math"
	"path"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// Compose's extension keys Berth reads.
const (
	extTask          = "x-ecs-task"
	extEssential     = "x-ecs-essential"
	extPublishedType = "x-ecs-published-type"
	extTaskRole      = "x-ecs-task-role"
	extSize          = "x-ecs-size"
	extStorageClass  = "x-ecs-storage-class"
	extAccessMode    = "x-ecs-access-mode"
	extScope         = "x-ecs-scope"
)

// Secret and config mount defaults, as Docker Compose places them.
const secretsDir = "/run/secrets"

type converter struct {
	project  *types.Project
	loc      *locator
	ns       string
	warnings []string
	errs     []error
}

func (c *converter) errorf(path []string, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", c.loc.at(path...), fmt.Sprintf(format, args...)))
}

func (c *converter) warnf(path []string, format string, args ...any) {
	c.warnings = append(c.warnings, fmt.Sprintf("%s: %s", c.loc.at(path...), fmt.Sprintf(format, args...)))
}

func (c *converter) meta(name, task string) metav1.ObjectMeta {
	labels := map[string]string{ProjectLabel: c.project.Name}
	if task != "" {
		labels[ServiceLabel] = task
	}
	return metav1.ObjectMeta{Name: name, Namespace: c.ns, Labels: labels}
}

// task is a group of compose services that become one TaskDefinition and one Service.
type task struct {
	name     string
	services []types.ServiceConfig
}

func (c *converter) convert() ([]client.Object, error) {
	if errs := validation.IsDNS1123Label(c.project.Name); len(errs) > 0 {
		c.errorf([]string{keyName}, "project name %q must be a DNS label (%s); give --project-name", c.project.Name, strings.Join(errs, "; "))
	}
	tasks := c.group()
	objs := c.secretsAndConfigs()
	objs = append(objs, c.volumeClaims()...)
	var tds, svcs []client.Object
	for _, t := range tasks {
		td, svc := c.task(t)
		if td != nil {
			tds = append(tds, td)
			svcs = append(svcs, svc)
		}
	}
	objs = append(objs, tds...)
	objs = append(objs, svcs...)
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	return objs, nil
}

// group puts every service in its task: its x-ecs-task, else its own name.
func (c *converter) group() []task {
	byName := map[string]*task{}
	for _, name := range slices.Sorted(maps.Keys(c.project.Services)) {
		s := c.project.Services[name]
		tn := name
		if v, ok := s.Extensions[extTask]; ok {
			str, ok := v.(string)
			if !ok || str == "" {
				c.errorf([]string{keyServices, name, extTask}, "must be a task name")
				continue
			}
			tn = str
		}
		if errs := validation.IsDNS1123Label(tn); len(errs) > 0 {
			c.errorf([]string{keyServices, name}, "task name %q must be a DNS label: %s", tn, strings.Join(errs, "; "))
			continue
		}
		if byName[tn] == nil {
			byName[tn] = &task{name: tn}
		}
		byName[tn].services = append(byName[tn].services, s)
	}
	out := make([]task, 0, len(byName))
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, *byName[n])
	}
	return out
}

// taskOf returns the task name of a compose service.
func (c *converter) taskOf(service string) string {
	if s, ok := c.project.Services[service]; ok {
		if v, ok := s.Extensions[extTask].(string); ok && v != "" {
			return v
		}
	}
	return service
}

func (c *converter) task(t task) (*ecsv1alpha1.TaskDefinition, *ecsv1alpha1.Service) {
	td := &ecsv1alpha1.TaskDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "TaskDefinition"},
		ObjectMeta: c.meta(t.name, t.name),
	}
	svc := &ecsv1alpha1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "Service"},
		ObjectMeta: c.meta(t.name, t.name),
		Spec:       ecsv1alpha1.ServiceSpec{TaskDefinition: t.name},
	}
	// A dependency that must complete is not essential, as ECS requires.
	mustComplete := map[string]bool{}
	for _, s := range t.services {
		for dep, d := range s.DependsOn {
			if d.Condition == types.ServiceConditionCompletedSuccessfully && c.taskOf(dep) == t.name {
				mustComplete[dep] = true
			}
		}
	}
	var taskCPU float64
	cpuLimited := true
	var deploy *types.DeployConfig
	deployFrom := ""
	for _, s := range t.services {
		cd := c.container(t, s, td, mustComplete[s.Name])
		td.Spec.ContainerDefinitions = append(td.Spec.ContainerDefinitions, cd)
		c.taskLevel(t, s, td)
		c.ports(s, svc, &td.Spec.ContainerDefinitions[len(td.Spec.ContainerDefinitions)-1])
		if lim := limits(s); lim != nil && lim.NanoCPUs > 0 {
			taskCPU += float64(lim.NanoCPUs)
		} else if s.CPUS > 0 {
			taskCPU += float64(s.CPUS)
		} else {
			cpuLimited = false
		}
		if d := deployOf(s); d != nil {
			if deploy != nil && !reflect.DeepEqual(deploy, d) {
				c.errorf([]string{keyServices, s.Name, keyDeploy}, "differs from the deploy of %s, in the same task %s: a task has one deploy", deployFrom, t.name)
			}
			deploy, deployFrom = d, s.Name
		}
	}
	if cpuLimited && taskCPU > 0 {
		td.Spec.CPU = strconv.Itoa(int(math.Ceil(taskCPU * 1024)))
	}
	if !slices.ContainsFunc(td.Spec.ContainerDefinitions, func(cd ecsv1alpha1.ContainerDefinition) bool { return cd.Essential == nil || *cd.Essential }) {
		c.errorf([]string{keyServices, t.services[0].Name}, "task %s has no essential container: at least one must be (%s)", t.name, extEssential)
	}
	c.service(t, deploy, deployFrom, svc)
	return td, svc
}

func deployOf(s types.ServiceConfig) *types.DeployConfig {
	if s.Deploy == nil {
		return nil
	}
	d := *s.Deploy
	d.Resources = types.Resources{} // per container
	d.RestartPolicy = nil           // per container
	if reflect.DeepEqual(d, types.DeployConfig{}) {
		return nil
	}
	return &d
}

func limits(s types.ServiceConfig) *types.Resource {
	if s.Deploy == nil {
		return nil
	}
	return s.Deploy.Resources.Limits
}

func reservations(s types.ServiceConfig) *types.Resource {
	if s.Deploy == nil {
		return nil
	}
	return s.Deploy.Resources.Reservations
}

func mib(b types.UnitBytes) *int32 {
	if b <= 0 {
		return nil
	}
	return ptr.To(int32(math.Ceil(float64(b) / (1 << 20))))
}

func seconds(d *types.Duration) *int32 {
	if d == nil {
		return nil
	}
	return ptr.To(int32(math.Ceil(float64(*d) / 1e9)))
}

func (c *converter) container(t task, s types.ServiceConfig, td *ecsv1alpha1.TaskDefinition, mustComplete bool) ecsv1alpha1.ContainerDefinition {
	at := func(k ...string) []string { return append([]string{keyServices, s.Name}, k...) }
	cd := ecsv1alpha1.ContainerDefinition{Name: s.Name, Image: s.Image}
	if errs := validation.IsDNS1123Label(s.Name); len(errs) > 0 {
		c.errorf(at(), "service name must be a DNS label to name a container: %s", strings.Join(errs, "; "))
	}
	if s.Image == "" {
		c.errorf(at(), "image is required (Berth does not build images)")
	}
	if v, ok := s.Extensions[extEssential]; ok {
		b, ok := v.(bool)
		if !ok {
			c.errorf(at(extEssential), "must be true or false")
		}
		cd.Essential = ptr.To(b)
	} else if mustComplete {
		cd.Essential = ptr.To(false)
	}
	if len(s.Entrypoint) > 0 {
		cd.EntryPoint = s.Entrypoint
	}
	if len(s.Command) > 0 {
		cd.Command = s.Command
	}
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		v := s.Environment[k]
		if v == nil {
			c.warnf(at("environment"), "%s has no value and is not set in the environment: left out", k)
			continue
		}
		cd.Environment = append(cd.Environment, ecsv1alpha1.KeyValuePair{Name: k, Value: *v})
	}
	c.basics(s, &cd)
	cd.StopTimeout = seconds(s.StopGracePeriod)
	c.resources(s, &cd)
	c.healthCheck(s, &cd)
	c.dependsOn(t, s, &cd)
	c.restart(s, &cd)
	c.volumes(s, &cd, td)
	c.files(s, &cd, td)
	return cd
}

// basics copies the container fields that map one to one.
func (c *converter) basics(s types.ServiceConfig, cd *ecsv1alpha1.ContainerDefinition) {
	cd.WorkingDirectory = s.WorkingDir
	cd.User = s.User
	cd.Hostname = s.Hostname
	if s.Privileged {
		cd.Privileged = ptr.To(true)
	}
	if s.ReadOnly {
		cd.ReadonlyRootFilesystem = ptr.To(true)
	}
	if s.Tty {
		cd.PseudoTerminal = ptr.To(true)
	}
	if s.StdinOpen {
		cd.Interactive = ptr.To(true)
	}
	if len(s.Labels) > 0 {
		cd.DockerLabels = map[string]string(s.Labels)
	}
	cd.DNSServers = s.DNS
	cd.DNSSearchDomains = s.DNSSearch
	for _, h := range slices.Sorted(maps.Keys(s.ExtraHosts)) {
		for _, ip := range s.ExtraHosts[h] {
			cd.ExtraHosts = append(cd.ExtraHosts, ecsv1alpha1.HostEntry{Hostname: h, IPAddress: ip})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Sysctls)) {
		cd.SystemControls = append(cd.SystemControls, ecsv1alpha1.SystemControl{Namespace: k, Value: s.Sysctls[k]})
	}
	if len(s.CapAdd) > 0 || len(s.CapDrop) > 0 || s.ShmSize > 0 || (s.Init != nil && *s.Init) {
		lp := &ecsv1alpha1.LinuxParameters{}
		if len(s.CapAdd) > 0 || len(s.CapDrop) > 0 {
			lp.Capabilities = &ecsv1alpha1.KernelCapabilities{Add: s.CapAdd, Drop: s.CapDrop}
		}
		lp.SharedMemorySize = mib(s.ShmSize)
		if s.Init != nil && *s.Init {
			lp.InitProcessEnabled = ptr.To(true)
		}
		cd.LinuxParameters = lp
	}
	for _, name := range slices.Sorted(maps.Keys(s.Ulimits)) {
		u := s.Ulimits[name]
		soft, hard := u.Soft, u.Hard
		if u.Single != 0 {
			soft, hard = u.Single, u.Single
		}
		cd.Ulimits = append(cd.Ulimits, ecsv1alpha1.Ulimit{Name: ecsv1alpha1.UlimitName(name), SoftLimit: clamp32(soft), HardLimit: clamp32(hard)})
	}
	if s.Logging != nil && s.Logging.Driver != "" {
		cd.LogConfiguration = &ecsv1alpha1.LogConfiguration{LogDriver: s.Logging.Driver, Options: map[string]string(s.Logging.Options)}
	}
}

func clamp32(v int) int32 {
	if v > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(v) //nolint:gosec // clamped above
}

func (c *converter) resources(s types.ServiceConfig, cd *ecsv1alpha1.ContainerDefinition) {
	mem := s.MemLimit
	if l := limits(s); l != nil && l.MemoryBytes > 0 {
		mem = l.MemoryBytes
	}
	cd.Memory = mib(mem)
	res := s.MemReservation
	cpu := float32(0)
	if r := reservations(s); r != nil {
		if r.MemoryBytes > 0 {
			res = r.MemoryBytes
		}
		cpu = float32(r.NanoCPUs)
		for _, d := range r.Devices {
			if !slices.Contains(d.Capabilities, "gpu") {
				c.errorf([]string{keyServices, s.Name, keyDeploy, "resources", "reservations", "devices"}, "only gpu devices are supported, not %v", d.Capabilities)
				continue
			}
			n := int64(d.Count)
			if n <= 0 {
				c.errorf([]string{keyServices, s.Name, keyDeploy, "resources", "reservations", "devices"}, "give a GPU count (ECS reserves whole GPUs; \"all\" is not supported)")
				continue
			}
			cd.ResourceRequirements = append(cd.ResourceRequirements, ecsv1alpha1.ResourceRequirement{Type: "GPU", Value: strconv.FormatInt(n, 10)})
		}
	}
	cd.MemoryReservation = mib(res)
	if cpu > 0 {
		cd.CPU = ptr.To(int32(math.Ceil(float64(cpu) * 1024)))
	}
}

func (c *converter) healthCheck(s types.ServiceConfig, cd *ecsv1alpha1.ContainerDefinition) {
	h := s.HealthCheck
	if h == nil {
		return
	}
	if h.Disable || (len(h.Test) > 0 && h.Test[0] == "NONE") {
		cd.HealthCheck = &ecsv1alpha1.HealthCheck{Command: []string{"NONE"}}
		return
	}
	if len(h.Test) == 0 {
		return
	}
	hc := &ecsv1alpha1.HealthCheck{Command: h.Test}
	if h.Test[0] != "CMD" && h.Test[0] != "CMD-SHELL" {
		c.errorf([]string{keyServices, s.Name, "healthcheck", "test"}, "must start with CMD, CMD-SHELL or NONE, or be a string")
	}
	check := func(key string, v *int32, lo, hi int32) *int32 {
		if v == nil {
			return nil
		}
		if *v < lo || *v > hi {
			c.errorf([]string{keyServices, s.Name, "healthcheck", key}, "%ds is outside what ECS allows (%d–%ds)", *v, lo, hi)
		}
		return v
	}
	hc.Interval = check("interval", seconds(h.Interval), 5, 300)
	hc.Timeout = check("timeout", seconds(h.Timeout), 2, 60)
	if h.Retries != nil {
		hc.Retries = check("retries", ptr.To(int32(min(*h.Retries, 1000))), 1, 10) //nolint:gosec // bounded
	}
	hc.StartPeriod = check("start_period", seconds(h.StartPeriod), 0, 300)
	cd.HealthCheck = hc
}

// conditions maps depends_on conditions to ECS dependency conditions.
var conditions = map[string]ecsv1alpha1.DependencyCondition{
	types.ServiceConditionStarted:               "START",
	types.ServiceConditionHealthy:               "HEALTHY",
	types.ServiceConditionCompletedSuccessfully: "SUCCESS",
}

func (c *converter) dependsOn(t task, s types.ServiceConfig, cd *ecsv1alpha1.ContainerDefinition) {
	for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
		d := s.DependsOn[dep]
		if _, ok := c.project.Services[dep]; !ok {
			if _, disabled := c.project.DisabledServices[dep]; disabled && !d.Required {
				continue
			}
			c.errorf([]string{keyServices, s.Name, keyDependsOn}, "%s is not a service of the project (or not of the active profiles)", dep)
			continue
		}
		cond, ok := conditions[d.Condition]
		if !ok {
			c.errorf([]string{keyServices, s.Name, keyDependsOn, dep, "condition"}, "unknown condition %q", d.Condition)
			continue
		}
		if c.taskOf(dep) != t.name {
			c.warnf([]string{keyServices, s.Name, keyDependsOn, dep}, "%s runs in another task (%s): ECS orders containers only within a task, so %s starts without waiting for it; give both the same %s to make it a container dependency", dep, c.taskOf(dep), s.Name, extTask)
			continue
		}
		if cond == "HEALTHY" {
			if other := c.project.Services[dep]; other.HealthCheck == nil || other.HealthCheck.Disable || len(other.HealthCheck.Test) == 0 {
				c.errorf([]string{keyServices, s.Name, keyDependsOn, dep}, "condition service_healthy needs a healthcheck on %s", dep)
			}
		}
		cd.DependsOn = append(cd.DependsOn, ecsv1alpha1.ContainerDependency{ContainerName: dep, Condition: cond})
	}
}

func (c *converter) restart(s types.ServiceConfig, cd *ecsv1alpha1.ContainerDefinition) {
	cond := s.Restart
	at := []string{keyServices, s.Name, "restart"}
	if s.Deploy != nil && s.Deploy.RestartPolicy != nil {
		rp := s.Deploy.RestartPolicy
		cond = rp.Condition
		at = []string{keyServices, s.Name, keyDeploy, "restart_policy"}
		if rp.MaxAttempts != nil || rp.Window != nil || rp.Delay != nil {
			c.warnf(at, "delay, max_attempts and window are approximated: Kubernetes restarts with its own back-off")
		}
	}
	switch cond {
	case "", types.RestartPolicyNo, "none":
	case types.RestartPolicyAlways, types.RestartPolicyUnlessStopped, "any":
		cd.RestartPolicy = &ecsv1alpha1.ContainerRestartPolicy{Enabled: true}
	case types.RestartPolicyOnFailure:
		cd.RestartPolicy = &ecsv1alpha1.ContainerRestartPolicy{Enabled: true, IgnoredExitCodes: []int32{0}}
	default:
		if strings.HasPrefix(cond, types.RestartPolicyOnFailure+":") {
			c.warnf(at, "the attempt count of %q is approximated: Kubernetes restarts with its own back-off", cond)
			cd.RestartPolicy = &ecsv1alpha1.ContainerRestartPolicy{Enabled: true, IgnoredExitCodes: []int32{0}}
			return
		}
		c.errorf(at, "unknown restart policy %q", cond)
	}
}

// volumes maps the service's volumes: named volumes to the project's claims, anonymous ones
// to task-scoped directories, tmpfs to linuxParameters.tmpfs; bind mounts are refused.
func (c *converter) volumes(s types.ServiceConfig, cd *ecsv1alpha1.ContainerDefinition, td *ecsv1alpha1.TaskDefinition) {
	at := []string{keyServices, s.Name, "volumes"}
	for i, v := range s.Volumes {
		switch v.Type {
		case types.VolumeTypeBind:
			c.errorf(at, "bind mount %s → %s: host paths are not supported, a task runs on any node; use a named volume, a config or a secret", display(v.Source), v.Target)
			continue
		case types.VolumeTypeTmpfs:
			if v.Tmpfs == nil || v.Tmpfs.Size <= 0 {
				c.errorf(at, "tmpfs %s needs tmpfs.size (ECS sizes every tmpfs)", v.Target)
				continue
			}
			if cd.LinuxParameters == nil {
				cd.LinuxParameters = &ecsv1alpha1.LinuxParameters{}
			}
			cd.LinuxParameters.Tmpfs = append(cd.LinuxParameters.Tmpfs, ecsv1alpha1.Tmpfs{ContainerPath: v.Target, Size: *mib(v.Tmpfs.Size)})
			continue
		case types.VolumeTypeVolume:
		default:
			c.errorf(at, "volume type %q is not supported", v.Type)
			continue
		}
		name := v.Source
		vol := ecsv1alpha1.Volume{}
		if name == "" { // anonymous: lives with the task
			name = fmt.Sprintf("%s-anon-%d", s.Name, i)
		} else if pv, ok := c.project.Volumes[name]; ok {
			if scope, _ := pv.Extensions[extScope].(string); scope != "task" {
				vol.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c.claimName(name, pv), ReadOnly: v.ReadOnly}
			}
		}
		vol.Name = name
		if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
			c.errorf(at, "volume name %q must be a DNS label: %s", name, strings.Join(errs, "; "))
		}
		if !slices.ContainsFunc(td.Spec.Volumes, func(x ecsv1alpha1.Volume) bool { return x.Name == name }) {
			td.Spec.Volumes = append(td.Spec.Volumes, vol)
		}
		mp := ecsv1alpha1.MountPoint{SourceVolume: name, ContainerPath: v.Target}
		if v.ReadOnly {
			mp.ReadOnly = ptr.To(true)
		}
		cd.MountPoints = append(cd.MountPoints, mp)
	}
}

// claimName is the PersistentVolumeClaim of a named volume: its `name:`, else
// <project>-<volume>.
func (c *converter) claimName(key string, v types.VolumeConfig) string {
	if v.Name != "" && v.Name != c.project.Name+"_"+key {
		return v.Name
	}
	return c.project.Name + "-" + key
}

// files mounts the service's secrets and configs: the project's Secret (or ConfigMap) holds
// one key per compose secret (config), and each directory a container reads them from is one
// volume listing the keys it needs. An external secret (config) is a Secret (ConfigMap) of
// that name whose key is the secret's (config's) name.
func (c *converter) files(s types.ServiceConfig, cd *ecsv1alpha1.ContainerDefinition, td *ecsv1alpha1.TaskDefinition) {
	type item struct{ key, file string }
	type group struct {
		source string
		secret bool
		items  []item
	}
	dirs := map[string]*group{}
	add := func(path []string, secret bool, name string, external bool, extName, target string) {
		source := c.project.Name + "-configs"
		if secret {
			source = c.project.Name + "-secrets"
		}
		if external {
			source = extName
		}
		dir, file := path0(target)
		if dir == "/" {
			c.errorf(path, "%s would mount at %s: a folder of its own is needed (Kubernetes mounts whole folders), give a target such as /etc/%s/%s", name, target, name, file)
			return
		}
		if dir != secretsDir && dirs[dir] == nil {
			c.warnf(path, "%s is mounted as the folder %s: files the image has in that folder are hidden (Kubernetes mounts folders, not single files)", name, dir)
		}
		g := dirs[dir]
		if g == nil {
			g = &group{source: source, secret: secret}
			dirs[dir] = g
		}
		if g.source != source || g.secret != secret {
			c.errorf(path, "%s mounts in %s beside files from another Secret or ConfigMap; give it a target in another folder", name, dir)
			return
		}
		g.items = append(g.items, item{key: name, file: file})
	}
	for _, ref := range s.Secrets {
		def, ok := c.project.Secrets[ref.Source]
		if !ok {
			c.errorf([]string{keyServices, s.Name, keySecrets}, "secret %q is not defined", ref.Source)
			continue
		}
		target := ref.Target
		if target == "" {
			target = ref.Source
		}
		if !strings.HasPrefix(target, "/") {
			target = secretsDir + "/" + target
		}
		add([]string{keyServices, s.Name, keySecrets}, true, ref.Source, bool(def.External), def.Name, target)
	}
	for _, ref := range s.Configs {
		def, ok := c.project.Configs[ref.Source]
		if !ok {
			c.errorf([]string{keyServices, s.Name, keyConfigs}, "config %q is not defined", ref.Source)
			continue
		}
		target := ref.Target
		if target == "" {
			target = "/" + ref.Source
		}
		add([]string{keyServices, s.Name, keyConfigs}, false, ref.Source, bool(def.External), def.Name, target)
	}
	for i, dir := range slices.Sorted(maps.Keys(dirs)) {
		g := dirs[dir]
		kind := keyConfigs
		if g.secret {
			kind = keySecrets
		}
		name := fmt.Sprintf("%s-%s-%d", s.Name, kind, i)
		vol := ecsv1alpha1.Volume{Name: name}
		items := make([]corev1.KeyToPath, 0, len(g.items))
		for _, it := range g.items {
			items = append(items, corev1.KeyToPath{Key: it.key, Path: it.file})
		}
		if g.secret {
			vol.Secret = &corev1.SecretVolumeSource{SecretName: g.source, Items: items}
		} else {
			vol.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: g.source}, Items: items}
		}
		td.Spec.Volumes = append(td.Spec.Volumes, vol)
		cd.MountPoints = append(cd.MountPoints, ecsv1alpha1.MountPoint{SourceVolume: name, ContainerPath: dir, ReadOnly: ptr.To(true)})
	}
}

func path0(target string) (string, string) {
	return path.Dir(target), path.Base(target)
}

// taskLevel applies the service keys that set the task definition, refusing conflicting
// values within a task.
func (c *converter) taskLevel(t task, s types.ServiceConfig, td *ecsv1alpha1.TaskDefinition) {
	set := func(key string, dst *string, v string) {
		if v == "" {
			return
		}
		if *dst != "" && *dst != v {
			c.errorf([]string{keyServices, s.Name, key}, "%q differs from another service of task %s (%q): it applies to the whole task", v, t.name, *dst)
			return
		}
		*dst = v
	}
	switch s.NetworkMode {
	case "":
	case "host", "none":
		nm := string(td.Spec.NetworkMode)
		set("network_mode", &nm, s.NetworkMode)
		td.Spec.NetworkMode = ecsv1alpha1.NetworkMode(nm)
	default:
		c.errorf([]string{keyServices, s.Name, "network_mode"}, "%q is not supported: tasks share the Pod network (host and none are supported; services of one task share localhost)", s.NetworkMode)
	}
	switch s.Pid {
	case "":
	case "host":
		pm := string(td.Spec.PIDMode)
		set("pid", &pm, "host")
		td.Spec.PIDMode = ecsv1alpha1.PIDMode(pm)
	default:
		c.errorf([]string{keyServices, s.Name, "pid"}, "%q is not supported (only host)", s.Pid)
	}
	if role, ok := s.Extensions[extTaskRole]; ok {
		r, _ := role.(string)
		set(extTaskRole, &td.Spec.TaskRoleServiceAccountName, r)
	}
	if s.Platform != "" {
		os, arch, _ := strings.Cut(s.Platform, "/")
		arch, _, _ = strings.Cut(arch, "/")
		archs := map[string]ecsv1alpha1.CPUArchitecture{"amd64": "X86_64", "arm64": "ARM64"}
		a, ok := archs[arch]
		if os != "linux" || !ok {
			c.errorf([]string{keyServices, s.Name, "platform"}, "%q: only linux/amd64 and linux/arm64 are supported", s.Platform)
			return
		}
		rp := &ecsv1alpha1.RuntimePlatform{CPUArchitecture: a, OperatingSystemFamily: "LINUX"}
		if td.Spec.RuntimePlatform != nil && *td.Spec.RuntimePlatform != *rp {
			c.errorf([]string{keyServices, s.Name, "platform"}, "differs from another service of task %s: it applies to the whole task", t.name)
		}
		td.Spec.RuntimePlatform = rp
	}
}

// ports lists container ports and the core Services: every port (ports and expose) on a
// ClusterIP Service named after the compose service, so other services reach it by name as in
// Compose, and published ports on a Service <name>-published of type LoadBalancer (or
// x-ecs-published-type).
func (c *converter) ports(s types.ServiceConfig, svc *ecsv1alpha1.Service, cd *ecsv1alpha1.ContainerDefinition) {
	at := []string{keyServices, s.Name, "ports"}
	pubType := ecsv1alpha1.LoadBalancerServiceType("LoadBalancer")
	if v, ok := s.Extensions[extPublishedType]; ok {
		str, _ := v.(string)
		if !slices.Contains([]string{"ClusterIP", "NodePort", "LoadBalancer"}, str) {
			c.errorf([]string{keyServices, s.Name, extPublishedType}, "must be ClusterIP, NodePort or LoadBalancer")
		}
		pubType = ecsv1alpha1.LoadBalancerServiceType(str)
	}
	addInternal := func(port int32, protocol string) {
		proto := ecsv1alpha1.TransportProtocol("tcp")
		if protocol == "udp" {
			proto = "udp"
		}
		if !slices.ContainsFunc(cd.PortMappings, func(pm ecsv1alpha1.PortMapping) bool {
			return *pm.ContainerPort == port && pm.Protocol == proto
		}) {
			cd.PortMappings = append(cd.PortMappings, ecsv1alpha1.PortMapping{ContainerPort: ptr.To(port), Protocol: proto})
		}
		if !slices.ContainsFunc(svc.Spec.LoadBalancers, func(lb ecsv1alpha1.LoadBalancer) bool {
			return lb.Name == s.Name && lb.ContainerPort == port
		}) {
			svc.Spec.LoadBalancers = append(svc.Spec.LoadBalancers, ecsv1alpha1.LoadBalancer{Name: s.Name, ContainerName: s.Name, ContainerPort: port})
		}
	}
	for _, p := range s.Ports {
		if p.HostIP != "" {
			c.warnf(at, "host_ip %s is ignored: the core Service decides where the port listens", p.HostIP)
		}
		if p.Protocol != "" && p.Protocol != "tcp" && p.Protocol != "udp" {
			c.errorf(at, "protocol %q: only tcp and udp", p.Protocol)
		}
		target := int32(p.Target) //nolint:gosec // ports are 16 bits
		addInternal(target, p.Protocol)
		if p.Published == "" {
			continue
		}
		pub, err := strconv.ParseInt(p.Published, 10, 32)
		if err != nil || pub < 1 || pub > 65535 {
			c.errorf(at, "published port %q: port ranges are not supported, give one port", p.Published)
			continue
		}
		svc.Spec.LoadBalancers = append(svc.Spec.LoadBalancers, ecsv1alpha1.LoadBalancer{
			Name: s.Name + "-published", ContainerName: s.Name, ContainerPort: target, Port: ptr.To(int32(pub)), Type: pubType,
		})
	}
	for _, e := range s.Expose {
		num, proto, _ := strings.Cut(e, "/")
		n, err := strconv.ParseInt(num, 10, 32)
		if err != nil || n < 1 || n > 65535 {
			c.errorf([]string{keyServices, s.Name, "expose"}, "%q: give one port", e)
			continue
		}
		addInternal(int32(n), proto)
	}
}

// service fills the Service from the task's deploy section.
func (c *converter) service(_ task, d *types.DeployConfig, from string, svc *ecsv1alpha1.Service) {
	svc.Spec.DesiredCount = ptr.To(int32(1))
	if d == nil {
		return
	}
	at := func(k ...string) []string { return append([]string{keyServices, from, keyDeploy}, k...) }
	switch d.Mode {
	case "", "replicated":
		if d.Replicas != nil {
			svc.Spec.DesiredCount = ptr.To(clamp32(*d.Replicas))
		}
	case "global":
		svc.Spec.SchedulingStrategy = ecsv1alpha1.SchedulingStrategyDaemon
		svc.Spec.DesiredCount = nil
	default:
		c.errorf(at("mode"), "%q is not supported (replicated or global)", d.Mode)
	}
	if u := d.UpdateConfig; u != nil {
		switch u.Order {
		case "":
		case "start-first":
			svc.Spec.DeploymentConfiguration.MinimumHealthyPercent = ptr.To(int32(100))
			svc.Spec.DeploymentConfiguration.MaximumPercent = ptr.To(int32(200))
		case "stop-first":
			svc.Spec.DeploymentConfiguration.MinimumHealthyPercent = ptr.To(int32(0))
			svc.Spec.DeploymentConfiguration.MaximumPercent = ptr.To(int32(100))
		default:
			c.errorf(at("update_config", "order"), "%q: start-first or stop-first", u.Order)
		}
		switch u.FailureAction {
		case "", "continue":
		case "rollback":
			svc.Spec.DeploymentConfiguration.DeploymentCircuitBreaker = &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true}
		case "pause":
			svc.Spec.DeploymentConfiguration.DeploymentCircuitBreaker = &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true}
			c.warnf(at("update_config", "failure_action"), "pause is approximated by the circuit breaker without rollback: the deployment is marked FAILED")
		default:
			c.errorf(at("update_config", "failure_action"), "%q: rollback, pause or continue", u.FailureAction)
		}
	}
	for _, con := range d.Placement.Constraints {
		expr, err := memberOf(con)
		if err != nil {
			c.errorf(at("placement", "constraints"), "%s", err)
			continue
		}
		svc.Spec.PlacementConstraints = append(svc.Spec.PlacementConstraints, ecsv1alpha1.PlacementConstraint{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: expr})
	}
	for _, p := range d.Placement.Preferences {
		attr, ok := nodeAttribute(p.Spread)
		if !ok {
			c.errorf(at("placement", "preferences"), "spread %q: only node.labels.<label>, node.hostname, node.platform.os and node.platform.arch", p.Spread)
			continue
		}
		svc.Spec.PlacementStrategy = append(svc.Spec.PlacementStrategy, ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategySpread, Field: attr})
	}
	switch d.Placement.MaxReplicas {
	case 0:
	case 1:
		svc.Spec.PlacementConstraints = append(svc.Spec.PlacementConstraints, ecsv1alpha1.PlacementConstraint{Type: ecsv1alpha1.PlacementConstraintDistinctInstance})
	default:
		c.errorf(at("placement", "max_replicas_per_node"), "%d: only 1 (distinctInstance) is supported", d.Placement.MaxReplicas)
	}
	if len(d.Labels) > 0 {
		for _, k := range slices.Sorted(maps.Keys(d.Labels)) {
			svc.Spec.Tags = append(svc.Spec.Tags, ecsv1alpha1.Tag{Key: k, Value: d.Labels[k]})
		}
	}
}

// nodeAttribute maps a swarm node attribute to an ECS placement attribute.
func nodeAttribute(a string) (string, bool) {
	switch {
	case strings.HasPrefix(a, "node.labels."):
		return "attribute:" + strings.TrimPrefix(a, "node.labels."), true
	case a == "node.hostname":
		return "attribute:" + corev1.LabelHostname, true
	case a == "node.platform.os":
		return "attribute:ecs.os-type", true
	case a == "node.platform.arch":
		return "attribute:ecs.cpu-architecture", true
	}
	return "", false
}

// memberOf turns a swarm constraint (node.labels.zone==a) into a memberOf expression.
func memberOf(con string) (string, error) {
	for _, op := range []string{"==", "!="} {
		l, r, ok := strings.Cut(con, op)
		if !ok {
			continue
		}
		attr, ok := nodeAttribute(strings.TrimSpace(l))
		if !ok {
			return "", fmt.Errorf("constraint %q: only node.labels.<label>, node.hostname, node.platform.os and node.platform.arch (swarm roles and ids have no meaning here)", con)
		}
		return fmt.Sprintf("%s %s %s", attr, op, strings.TrimSpace(r)), nil
	}
	return "", fmt.Errorf("constraint %q: use == or !=", con)
}

// secretsAndConfigs builds the project's Secret and ConfigMap from the secrets and configs
// some service uses (external ones are not made).
func (c *converter) secretsAndConfigs() []client.Object {
	used := func(secret bool, name string) bool {
		for _, s := range c.project.Services {
			refs := s.Configs
			if secret {
				refs = nil
				for _, r := range s.Secrets {
					refs = append(refs, types.ServiceConfigObjConfig(r))
				}
			}
			if slices.ContainsFunc(refs, func(r types.ServiceConfigObjConfig) bool { return r.Source == name }) {
				return true
			}
		}
		return false
	}
	content := func(kind, name string, f types.FileObjectConfig) ([]byte, bool) {
		switch {
		case f.Content != "":
			return []byte(f.Content), true
		case f.Environment != "":
			v, ok := c.project.Environment[f.Environment]
			if !ok {
				c.errorf([]string{kind, name, "environment"}, "%s is not set in the environment", f.Environment)
			}
			return []byte(v), ok
		case f.File != "":
			data, err := readFile(f.File)
			if err != nil {
				c.errorf([]string{kind, name, "file"}, "%v", err)
				return nil, false
			}
			return data, true
		}
		c.errorf([]string{kind, name}, "give file, environment or content")
		return nil, false
	}
	var objs []client.Object
	secret := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: c.meta(c.project.Name+"-secrets", ""),
		Type:       corev1.SecretTypeOpaque,
	}
	for _, name := range slices.Sorted(maps.Keys(c.project.Secrets)) {
		def := c.project.Secrets[name]
		if bool(def.External) || !used(true, name) {
			continue
		}
		if data, ok := content(keySecrets, name, types.FileObjectConfig(def)); ok {
			if secret.Data == nil {
				secret.Data = map[string][]byte{}
			}
			secret.Data[name] = data
		}
	}
	if len(secret.Data) > 0 {
		objs = append(objs, secret)
	}
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: c.meta(c.project.Name+"-configs", ""),
	}
	for _, name := range slices.Sorted(maps.Keys(c.project.Configs)) {
		def := c.project.Configs[name]
		if bool(def.External) || !used(false, name) {
			continue
		}
		if data, ok := content(keyConfigs, name, types.FileObjectConfig(def)); ok {
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			cm.Data[name] = string(data)
		}
	}
	if len(cm.Data) > 0 {
		objs = append(objs, cm)
	}
	return objs
}

// volumeClaims makes a PersistentVolumeClaim for each named volume a service mounts, unless
// it is external or task-scoped.
func (c *converter) volumeClaims() []client.Object {
	var objs []client.Object
	for _, name := range slices.Sorted(maps.Keys(c.project.Volumes)) {
		v := c.project.Volumes[name]
		at := []string{"volumes", name}
		if v.External {
			continue
		}
		if scope, _ := v.Extensions[extScope].(string); scope == "task" {
			continue
		} else if scope != "" && scope != "shared" {
			c.errorf(append(at, extScope), "%q: task or shared", scope)
		}
		size := resource.MustParse("1Gi")
		if s, ok := v.Extensions[extSize]; ok {
			q, err := resource.ParseQuantity(fmt.Sprint(s))
			if err != nil {
				c.errorf(append(at, extSize), "%v is not a quantity (e.g. 10Gi)", s)
			}
			size = q
		}
		mode := corev1.ReadWriteMany
		if m, ok := v.Extensions[extAccessMode].(string); ok {
			mode = corev1.PersistentVolumeAccessMode(m)
			if !slices.Contains([]corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce, corev1.ReadWriteMany, corev1.ReadWriteOncePod, corev1.ReadOnlyMany}, mode) {
				c.errorf(append(at, extAccessMode), "%q: ReadWriteOnce, ReadWriteMany, ReadWriteOncePod or ReadOnlyMany", m)
			}
		}
		pvc := &corev1.PersistentVolumeClaim{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
			ObjectMeta: c.meta(c.claimName(name, v), ""),
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{mode},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
			},
		}
		if sc, ok := v.Extensions[extStorageClass].(string); ok {
			pvc.Spec.StorageClassName = ptr.To(sc)
		}
		objs = append(objs, pvc)
	}
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].GetName() < objs[j].GetName() })
	return objs
}
