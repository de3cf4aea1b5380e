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

package taskdef

import (
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// shmPath is where Docker mounts a container's shared memory.
const shmPath = "/dev/shm"

// taskVolumesToPod maps spec.volumes to Pod volumes of the same names: host.sourcePath is a
// hostPath; a Docker volume is an emptyDir (scope task) or a PersistentVolumeClaim named after
// the volume (scope shared); EFS is Approximated as such a claim; Kubernetes sources pass
// through; no source is an emptyDir that lives as long as the task.
func (t *translator) taskVolumesToPod() error {
	t.volumeNames = map[string]bool{}
	t.taskVolumes = map[string]bool{}
	for k := range t.spec.Volumes {
		v := &t.spec.Volumes[k]
		f := idx("volumes", k)
		if msgs := validation.IsDNS1123Label(v.Name); len(msgs) > 0 {
			return invalid("", f+".name", "%q is not a valid volume name: %s", v.Name, strings.Join(msgs, "; "))
		}
		f = key("volumes", v.Name)
		if t.volumeNames[v.Name] {
			return invalid("", f+".name", "volume %q is defined twice", v.Name)
		}
		vol, err := t.taskVolume(f, v)
		if err != nil {
			return err
		}
		t.volumeNames[v.Name] = true
		t.taskVolumes[v.Name] = true
		t.volumes = append(t.volumes, vol)
	}
	return nil
}

// taskVolume maps one task volume.
func (t *translator) taskVolume(f string, v *ecsv1alpha1.Volume) (corev1.Volume, error) {
	vol := corev1.Volume{Name: v.Name}
	sources := 0
	for _, set := range []bool{v.Host != nil, v.DockerVolumeConfiguration != nil, v.EFSVolumeConfiguration != nil,
		v.FSxWindowsFileServerVolumeConfiguration != nil, v.ConfigMap != nil, v.Secret != nil, v.PersistentVolumeClaim != nil} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return vol, invalid("", f, "a volume may have at most one source: host, dockerVolumeConfiguration, "+
			"efsVolumeConfiguration, fsxWindowsFileServerVolumeConfiguration, configMap, secret or persistentVolumeClaim")
	}
	if v.ConfiguredAtLaunch != nil && *v.ConfiguredAtLaunch {
		if sources == 0 {
			t.approximate(f+".configuredAtLaunch", "no EBS volume is attached at launch: the volume is an emptyDir that lives as long as the task")
		} else {
			t.approximate(f+".configuredAtLaunch", "ignored: the volume's own source is used")
		}
	}
	var err error
	switch {
	case v.Host != nil && v.Host.SourcePath != "":
		p := v.Host.SourcePath
		if !strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..") {
			return vol, invalid("", f+".host.sourcePath", "%q must be an absolute path without '..'", p)
		}
		vol.HostPath = &corev1.HostPathVolumeSource{Path: p}
	case v.DockerVolumeConfiguration != nil:
		vol.VolumeSource, err = t.dockerVolume(f+".dockerVolumeConfiguration", v)
	case v.EFSVolumeConfiguration != nil:
		vol.VolumeSource = t.efsVolume(f+".efsVolumeConfiguration", v)
	case v.FSxWindowsFileServerVolumeConfiguration != nil:
		vol.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v.Name}
		t.approximate(f+".fsxWindowsFileServerVolumeConfiguration", "FSx is not mounted directly: the volume refers to "+
			"a PersistentVolumeClaim named "+v.Name+" (provision it with the SMB CSI driver)")
	case v.ConfigMap != nil || v.Secret != nil || v.PersistentVolumeClaim != nil:
		vol.VolumeSource, err = kubernetesVolume(f, v)
	default:
		// No source, or host without sourcePath: Docker picks a directory that lives with
		// the task's containers, which is what an emptyDir is.
		vol.EmptyDir = &corev1.EmptyDirVolumeSource{}
	}
	return vol, err
}

// dockerVolume maps a Docker volume: scope task is an emptyDir, scope shared the
// PersistentVolumeClaim named after the volume. Drivers have no Pod equivalent.
func (t *translator) dockerVolume(f string, v *ecsv1alpha1.Volume) (corev1.VolumeSource, error) {
	dv := v.DockerVolumeConfiguration
	var src corev1.VolumeSource
	autoprovision := dv.Autoprovision != nil && *dv.Autoprovision
	switch dv.Scope {
	case "", ecsv1alpha1.DockerVolumeScopeTask:
		if autoprovision {
			return src, invalid("", f+".autoprovision", "autoprovision is only allowed with scope shared")
		}
		src.EmptyDir = &corev1.EmptyDirVolumeSource{}
	case ecsv1alpha1.DockerVolumeScopeShared:
		src.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v.Name}
		if autoprovision {
			t.approximate(f+".autoprovision", "Berth does not create the claim: a PersistentVolumeClaim named "+v.Name+
				" must exist in the namespace")
		}
	default:
		return src, invalid("", f+".scope", "%q is neither task nor shared", dv.Scope)
	}
	if (dv.Driver != "" && dv.Driver != "local") || len(dv.DriverOpts) > 0 || len(dv.Labels) > 0 {
		t.approximate(f, "driver, driverOpts and labels are not applied: Kubernetes chooses storage through "+
			"StorageClasses (of the claim, for scope shared)")
	}
	return src, nil
}

// efsVolume maps an EFS volume to the PersistentVolumeClaim named after the volume, which
// must be bound to the file system (Approximated).
func (t *translator) efsVolume(f string, v *ecsv1alpha1.Volume) corev1.VolumeSource {
	efs := v.EFSVolumeConfiguration
	detail := "EFS file system " + efs.FileSystemID
	var where []string
	if efs.RootDirectory != "" {
		where = append(where, "directory "+efs.RootDirectory)
	}
	if a := efs.AuthorizationConfig; a != nil && a.AccessPointID != "" {
		where = append(where, "access point "+a.AccessPointID)
	}
	if len(where) > 0 {
		detail += " (" + strings.Join(where, ", ") + ")"
	}
	t.approximate(f, detail+" is not mounted directly: the volume is the PersistentVolumeClaim "+v.Name+", which must "+
		"exist and be bound to it (for example with the EFS CSI driver); transit encryption and IAM settings belong to "+
		"that PersistentVolume")
	return corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v.Name}}
}

// kubernetesVolume passes a ConfigMap, Secret or PersistentVolumeClaim source through, after
// checking what the API server would reject.
func kubernetesVolume(f string, v *ecsv1alpha1.Volume) (corev1.VolumeSource, error) {
	var src corev1.VolumeSource
	switch {
	case v.ConfigMap != nil:
		if err := checkObjectName("", f+".configMap.name", "ConfigMap", v.ConfigMap.Name); err != nil {
			return src, err
		}
		if err := checkKeyToPaths(f+".configMap", v.ConfigMap.Items, v.ConfigMap.DefaultMode); err != nil {
			return src, err
		}
		src.ConfigMap = v.ConfigMap.DeepCopy()
	case v.Secret != nil:
		if err := checkObjectName("", f+".secret.secretName", "Secret", v.Secret.SecretName); err != nil {
			return src, err
		}
		if err := checkKeyToPaths(f+".secret", v.Secret.Items, v.Secret.DefaultMode); err != nil {
			return src, err
		}
		src.Secret = v.Secret.DeepCopy()
	default:
		if err := checkObjectName("", f+".persistentVolumeClaim.claimName", "PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName); err != nil {
			return src, err
		}
		src.PersistentVolumeClaim = v.PersistentVolumeClaim.DeepCopy()
	}
	return src, nil
}

// checkKeyToPaths checks the items and modes of a passed-through ConfigMap or Secret volume.
func checkKeyToPaths(f string, items []corev1.KeyToPath, defaultMode *int32) error {
	const maxMode = 0o777
	if defaultMode != nil && (*defaultMode < 0 || *defaultMode > maxMode) {
		return invalid("", f+".defaultMode", "%d is not a file mode (0 to 0777)", *defaultMode)
	}
	for j, it := range items {
		fi := idx(f+".items", j)
		if msgs := validation.IsConfigMapKey(it.Key); len(msgs) > 0 {
			return invalid("", fi+".key", "%q is not a valid key: %s", it.Key, strings.Join(msgs, "; "))
		}
		if it.Path == "" || strings.HasPrefix(it.Path, "/") || slices.Contains(strings.Split(it.Path, "/"), "..") {
			return invalid("", fi+".path", "%q must be a relative path without '..'", it.Path)
		}
		if it.Mode != nil && (*it.Mode < 0 || *it.Mode > maxMode) {
			return invalid("", fi+".mode", "%d is not a file mode (0 to 0777)", *it.Mode)
		}
	}
	return nil
}

// ownMounts maps the container's own mounts: mountPoints, then /dev/shm, then tmpfs.
func (t *translator) ownMounts(d *ecsv1alpha1.ContainerDefinition) ([]corev1.VolumeMount, error) {
	mounts, err := t.mountPoints(d)
	if err != nil {
		return nil, err
	}
	paths := map[string]bool{}
	for _, m := range mounts {
		paths[m.MountPath] = true
	}
	lp := d.LinuxParameters
	if lp == nil {
		return mounts, nil
	}
	if lp.SharedMemorySize != nil {
		f := cfield(d.Name, "linuxParameters", "sharedMemorySize")
		if *lp.SharedMemorySize <= 0 {
			return nil, invalid(d.Name, f, "%d MiB must be positive", *lp.SharedMemorySize)
		}
		if paths[shmPath] {
			return nil, invalid(d.Name, f, "a mountPoint already uses %s", shmPath)
		}
		paths[shmPath] = true
		name := t.memoryVolume(d.Name, "-shm", int64(*lp.SharedMemorySize))
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: shmPath})
	}
	for j, tf := range lp.Tmpfs {
		f := cfield(d.Name, "linuxParameters", idx("tmpfs", j))
		if tf.ContainerPath == "" {
			return nil, invalid(d.Name, f+".containerPath", "is empty")
		}
		if paths[tf.ContainerPath] {
			return nil, invalid(d.Name, f+".containerPath", "%s is already mounted", tf.ContainerPath)
		}
		if tf.Size <= 0 {
			return nil, invalid(d.Name, f+".size", "%d MiB must be positive", tf.Size)
		}
		paths[tf.ContainerPath] = true
		name := t.memoryVolume(d.Name, "-tmpfs-"+strconv.Itoa(j), int64(tf.Size))
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: tf.ContainerPath})
		if len(tf.MountOptions) > 0 {
			t.approximate(f+".mountOptions", "not applied ("+strings.Join(tf.MountOptions, ",")+"): Kubernetes mounts "+
				"memory-backed emptyDir volumes with its own options")
		}
	}
	return mounts, nil
}

// mountPoints maps mountPoints to volume mounts of the task volumes.
func (t *translator) mountPoints(d *ecsv1alpha1.ContainerDefinition) ([]corev1.VolumeMount, error) {
	var mounts []corev1.VolumeMount
	paths := map[string]bool{}
	for j, mp := range d.MountPoints {
		f := cfield(d.Name, idx("mountPoints", j))
		if !t.taskVolumes[mp.SourceVolume] {
			return nil, unknown(d.Name, f+".sourceVolume", "volume %q is not in spec.volumes", mp.SourceVolume)
		}
		if mp.ContainerPath == "" {
			return nil, invalid(d.Name, f+".containerPath", "is empty")
		}
		if paths[mp.ContainerPath] {
			return nil, invalid(d.Name, f+".containerPath", "%s is mounted twice", mp.ContainerPath)
		}
		paths[mp.ContainerPath] = true
		mounts = append(mounts, corev1.VolumeMount{
			Name: mp.SourceVolume, MountPath: mp.ContainerPath, ReadOnly: mp.ReadOnly != nil && *mp.ReadOnly,
		})
	}
	return mounts, nil
}

// memoryVolume adds a memory-backed emptyDir of sizeMiB to the Pod, named after the
// container and suffix, and returns its name.
func (t *translator) memoryVolume(container, suffix string, sizeMiB int64) string {
	name := t.uniqueVolumeName(container, suffix)
	size := mibQuantity(sizeMiB)
	t.volumes = append(t.volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &size},
	}})
	return name
}

// uniqueVolumeName returns prefix+suffix, with prefix shortened to keep a DNS label and a
// counter added when a volume already has the name, and takes it.
func (t *translator) uniqueVolumeName(prefix, suffix string) string {
	for n := 1; ; n++ {
		s := suffix
		if n > 1 {
			s += "-" + strconv.Itoa(n)
		}
		p := prefix
		if room := validation.DNS1123LabelMaxLength - len(s); len(p) > room {
			p = strings.TrimRight(p[:room], "-")
		}
		if name := p + s; !t.volumeNames[name] {
			t.volumeNames[name] = true
			return name
		}
	}
}

// applyVolumesFrom adds to each container the mounts of its volumesFrom sources, resolved
// transitively as Docker does (a source's own volumesFrom count too; tmpfs and /dev/shm do
// not). readOnly true makes the copies read-only; otherwise each keeps the source's mode. A
// container's own mounts win over copies at the same path, and earlier sources over later.
func (t *translator) applyVolumesFrom(ctrs []corev1.Container) error {
	defs := t.spec.ContainerDefinitions
	const (
		unvisited = iota
		visiting
		done
	)
	state := make([]int, len(defs))
	exported := make([][]corev1.VolumeMount, len(defs))
	var stack []string
	var resolve func(i int) error
	resolve = func(i int) error {
		d := &defs[i]
		switch state[i] {
		case done:
			return nil
		case visiting:
			chain := append(slices.Clone(stack[slices.Index(stack, d.Name):]), d.Name)
			first := chain[0]
			return cycle(first, cfield(first, "volumesFrom"), "volumesFrom cycle: %s", strings.Join(chain, " -> "))
		}
		state[i] = visiting
		stack = append(stack, d.Name)
		mounts, err := t.mountPoints(d)
		if err != nil {
			return err
		}
		paths := map[string]bool{}
		for _, m := range mounts {
			paths[m.MountPath] = true
		}
		for j, vf := range d.VolumesFrom {
			f := cfield(d.Name, idx("volumesFrom", j), "sourceContainer")
			src, ok := t.index[vf.SourceContainer]
			if !ok {
				return unknown(d.Name, f, "there is no container %q in this task definition", vf.SourceContainer)
			}
			if err := resolve(src); err != nil {
				return err
			}
			for _, m := range exported[src] {
				if paths[m.MountPath] {
					continue
				}
				paths[m.MountPath] = true
				if vf.ReadOnly != nil && *vf.ReadOnly {
					m.ReadOnly = true
				}
				mounts = append(mounts, m)
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
		exported[i] = mounts
		return nil
	}
	for i := range defs {
		if err := resolve(i); err != nil {
			return err
		}
		own := map[string]bool{}
		for _, m := range ctrs[i].VolumeMounts {
			own[m.MountPath] = true
		}
		for _, m := range exported[i][len(defs[i].MountPoints):] {
			if !own[m.MountPath] {
				ctrs[i].VolumeMounts = append(ctrs[i].VolumeMounts, m)
			}
		}
	}
	return nil
}

// checkPodSpec asserts what Translate promises of every Pod it returns, as a last guard:
// containers exist, container names are unique, and every mount names a Pod volume.
func checkPodSpec(pod *corev1.PodSpec) error {
	if len(pod.Containers) == 0 {
		return invalid("", "containerDefinitions", "no container is left to run once dependencies are placed")
	}
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		if volumes[v.Name] {
			return invalid("", "volumes", "volume name %q is used twice", v.Name)
		}
		volumes[v.Name] = true
	}
	names := map[string]bool{}
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		if names[c.Name] {
			return invalid(c.Name, cfield(c.Name, "name"), "container name %q is used twice", c.Name)
		}
		names[c.Name] = true
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				return unknown(c.Name, cfield(c.Name, "mountPoints"), "volume %q is not a volume of the Pod", m.Name)
			}
		}
	}
	return nil
}
