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

// Package ecsimport converts the JSON of `aws ecs describe-task-definition` and `aws ecs
// describe-services` (or a list of either, an export) into Berth manifests: TaskDefinitions,
// Services and the ServiceAccounts standing for task roles. ARNs are rewritten — Secrets
// Manager and SSM references to Kubernetes Secret references, IAM roles to ServiceAccounts,
// ECR image URIs to the bundled registry — and everything that needs the user's attention
// (Secrets to create, images to copy, fields dropped) is listed in a report.
package ecsimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// Options control the rewriting.
type Options struct {
	// Namespace is set on the objects and is the repository namespace of ECR images whose
	// repository name has no folder.
	Namespace string
	// Registry is the bundled registry's host (and port); ECR images are rewritten to it.
	// Empty keeps ECR images and reports them.
	Registry string
}

// Result is what an import produced.
type Result struct {
	// Objects are ServiceAccounts, TaskDefinitions and Services, in that order, each sorted
	// by name, with apiVersion and kind set.
	Objects []client.Object
	// Report lists what needs attention, one line each, grouped by the object it concerns.
	Report []string
}

// Fields AWS adds to a registered task definition; they describe the registration, not the
// task, and are dropped without a report.
var registrationFields = []string{
	"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
	"registeredAt", "registeredBy", "deregisteredAt",
}

// Service fields that are state or AWS plumbing. Each is reported when set, except pure
// state, dropped silently.
var serviceStateFields = []string{
	"serviceArn", "clusterArn", "status", "runningCount", "pendingCount", "deployments",
	"events", "createdAt", "createdBy", "roleArn", "taskSets", "deploymentController",
}

var serviceIgnoredFields = map[string]string{
	"launchType":                  "tasks run on the cluster's nodes; use node selectors and placement",
	"capacityProviderStrategy":    "tasks run on the cluster's nodes; use node selectors and placement",
	"platformVersion":             "no Fargate platform versions",
	"platformFamily":              "no Fargate platform versions",
	"networkConfiguration":        "Pods get the cluster network; use NetworkPolicies for security groups",
	"enableExecuteCommand":        "use kubectl exec",
	"serviceConnectConfiguration": "Service Connect is not supported; use the core Services",
	"volumeConfigurations":        "EBS volumes configured at launch are not attached",
	"loadBalancerConfiguration":   "",
}

// Import converts one JSON document: describe-task-definition or describe-services output,
// a bare task definition or service, a register-task-definition input, or a list of these.
func Import(data []byte, o Options) (*Result, error) {
	im := &importer{opts: o, tds: map[string]*ecsv1alpha1.TaskDefinition{}, revs: map[string]int64{}, svcs: map[string]*ecsv1alpha1.Service{}, sas: map[string]bool{}}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if err := im.walk(doc, "$"); err != nil {
		return nil, err
	}
	if len(im.tds) == 0 && len(im.svcs) == 0 {
		return nil, errors.New("no task definition or service found: give the output of aws ecs describe-task-definition or describe-services")
	}
	return im.result(), nil
}

type importer struct {
	opts   Options
	tds    map[string]*ecsv1alpha1.TaskDefinition
	revs   map[string]int64
	svcs   map[string]*ecsv1alpha1.Service
	sas    map[string]bool
	report []string
}

func (im *importer) notef(subject, format string, args ...any) {
	im.report = append(im.report, subject+": "+fmt.Sprintf(format, args...))
}

// walk finds task definitions and services wherever the document holds them.
func (im *importer) walk(v any, at string) error {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			if err := im.walk(e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		switch {
		case x["taskDefinition"] != nil && isObject(x["taskDefinition"]):
			td := x["taskDefinition"].(map[string]any)
			if tags, ok := x["tags"]; ok {
				td["tags"] = tags
			}
			return im.taskDefinition(td, at+".taskDefinition")
		case x["taskDefinitions"] != nil:
			return im.walk(x["taskDefinitions"], at+".taskDefinitions")
		case x["services"] != nil:
			return im.walk(x["services"], at+".services")
		case x["containerDefinitions"] != nil:
			return im.taskDefinition(x, at)
		case x["serviceName"] != nil:
			return im.service(x, at)
		default:
			return fmt.Errorf("%s: neither a task definition (containerDefinitions) nor a service (serviceName)", at)
		}
	default:
		return fmt.Errorf("%s: expected an object or a list", at)
	}
	return nil
}

func isObject(v any) bool { _, ok := v.(map[string]any); return ok }

// name turns an ECS name (family, service, role, secret) into a DNS label.
func name(s string) string {
	s = strings.ToLower(s)
	s = regexp.MustCompile(`[^a-z0-9-]+`).ReplaceAllString(s, "-")
	s = strings.Trim(regexp.MustCompile(`-+`).ReplaceAllString(s, "-"), "-")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}

func (im *importer) meta(n string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: n, Namespace: im.opts.Namespace}
}

// strictDecode decodes m into out, returning the fields out does not have.
func strictDecode(m map[string]any, out any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

// unknownField extracts the field name of encoding/json's unknown-field error.
var unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

// decodeDropping decodes m into out; a field out lacks is removed (wherever it is) and
// reported, then decoding is retried.
func (im *importer) decodeDropping(subject string, m map[string]any, out any) error {
	for range 100 {
		err := strictDecode(m, out)
		if err == nil {
			return nil
		}
		match := unknownField.FindStringSubmatch(err.Error())
		if match == nil {
			return fmt.Errorf("%s: %w", subject, err)
		}
		if !dropField(m, match[1]) {
			return fmt.Errorf("%s: %w", subject, err)
		}
		im.notef(subject, "field %s is not supported by Berth and was left out", match[1])
	}
	return fmt.Errorf("%s: too many unsupported fields", subject)
}

// dropField deletes the first occurrence of key in the tree.
func dropField(v any, key string) bool {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x[key]; ok {
			delete(x, key)
			return true
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if dropField(x[k], key) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if dropField(e, key) {
				return true
			}
		}
	}
	return false
}

// Reference patterns.
var (
	secretsManagerARN = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[^:]*:[0-9]*:secret:(.+?)(-[A-Za-z0-9]{6})?(?::([^:]*):([^:]*):([^:]*))?$`)
	ssmARN            = regexp.MustCompile(`^arn:aws[a-z-]*:ssm:[^:]*:[0-9]*:parameter/?(.+)$`)
	iamRoleARN        = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]*:role/(?:.*/)?([^/]+)$`)
	ecrImage          = regexp.MustCompile(`^[0-9]{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/(.+)$`)
	taskDefARN        = regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[^:]*:[0-9]*:task-definition/(.+)$`)
)

// secretRef rewrites a Secrets Manager or SSM reference into "secret-name[:key]", the Secret
// to create being reported.
func (im *importer) secretRef(subject, envName, ref string) string {
	if m := secretsManagerARN.FindStringSubmatch(ref); m != nil {
		secret := name(m[1])
		key := envName
		if m[3] != "" {
			key = m[3]
		}
		if m[4] != "" || m[5] != "" {
			im.notef(subject, "%s: the version stage/id of %s is not kept", envName, ref)
		}
		im.notef(subject, "%s: create Secret %s with key %s (the value of %s)", envName, secret, key, ref)
		if key == envName {
			return secret
		}
		return secret + ":" + key
	}
	param := ref
	if m := ssmARN.FindStringSubmatch(ref); m != nil {
		param = m[1]
	}
	if strings.HasPrefix(ref, "arn:") && param == ref {
		im.notef(subject, "%s: %s is not a Secrets Manager or SSM reference; set valueFrom to a Secret by hand", envName, ref)
		return ref
	}
	secret := name(param)
	im.notef(subject, "%s: create Secret %s with key %s (the value of SSM parameter %s)", envName, secret, envName, param)
	return secret
}

// image rewrites an ECR image to the bundled registry.
func (im *importer) image(subject, img string) string {
	m := ecrImage.FindStringSubmatch(img)
	if m == nil {
		return img
	}
	if im.opts.Registry == "" {
		im.notef(subject, "image %s is in ECR: copy it to the bundled registry (give --registry to rewrite it) or add repositoryCredentials", img)
		return img
	}
	repo := m[1]
	path, _, _ := strings.Cut(strings.SplitN(repo, "@", 2)[0], ":")
	if !strings.Contains(path, "/") {
		repo = im.opts.Namespace + "/" + repo
		path = im.opts.Namespace + "/" + path
	}
	out := im.opts.Registry + "/" + repo
	ns, repoName, _ := strings.Cut(path, "/")
	im.notef(subject, "image rewritten to %s: create Repository %s in namespace %s and copy the image (crane copy %s %s)", out, repoName, ns, img, out)
	return out
}

// role turns an IAM role ARN into a ServiceAccount name (and records the ServiceAccount).
func (im *importer) role(subject, field, arn string) string {
	m := iamRoleARN.FindStringSubmatch(arn)
	if m == nil {
		im.notef(subject, "%s %s is not an IAM role ARN and was left out", field, arn)
		return ""
	}
	sa := name(m[1])
	im.sas[sa] = true
	im.notef(subject, "%s %s: ServiceAccount %s stands for it; grant it what the role granted (IRSA, Workload Identity)", field, arn, sa)
	return sa
}

func (im *importer) taskDefinition(m map[string]any, at string) error {
	family, _ := m["family"].(string)
	if family == "" {
		return fmt.Errorf("%s: a task definition without family", at)
	}
	n := name(family)
	subject := "taskdefinition/" + n
	var rev int64
	if r, ok := m["revision"].(json.Number); ok {
		rev, _ = r.Int64()
	}
	if prev, ok := im.revs[n]; ok {
		if rev <= prev {
			im.notef(subject, "revision %d left out: revision %d of the family is imported (Berth counts revisions from 1 again)", rev, prev)
			return nil
		}
		im.notef(subject, "revision %d left out: revision %d of the family is imported (Berth counts revisions from 1 again)", prev, rev)
	}
	for _, f := range registrationFields {
		delete(m, f)
	}
	if n != family {
		im.notef(subject, "family %q renamed %s (a Kubernetes name)", family, n)
	}
	m["family"] = n
	// ARNs and images, before decoding.
	if arn, ok := m["taskRoleArn"].(string); ok {
		delete(m, "taskRoleArn")
		if sa := im.role(subject, "taskRoleArn", arn); sa != "" {
			m["taskRoleServiceAccountName"] = sa
		}
	}
	if arn, ok := m["executionRoleArn"].(string); ok {
		delete(m, "executionRoleArn")
		im.notef(subject, "executionRoleArn %s left out: the execution ServiceAccount berth-task-execution pulls bundled-registry images, and Secrets are read by the kubelet", arn)
	}
	containers, _ := m["containerDefinitions"].([]any)
	renamed := map[string]string{}
	for _, c := range containers {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		cn, _ := cm["name"].(string)
		if nn := name(cn); nn != cn {
			renamed[cn] = nn
			cm["name"] = nn
			im.notef(subject, "container %q renamed %s", cn, nn)
		}
	}
	for _, c := range containers {
		if cm, ok := c.(map[string]any); ok {
			cn, _ := cm["name"].(string)
			im.rewriteContainer(subject+" container "+cn, cm, renamed)
		}
	}
	im.reportTaskLevel(subject, m)
	td := &ecsv1alpha1.TaskDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "TaskDefinition"},
		ObjectMeta: im.meta(n),
	}
	if err := im.decodeDropping(subject, m, &td.Spec); err != nil {
		return err
	}
	for _, cd := range td.Spec.ContainerDefinitions {
		if errs := validation.IsDNS1123Label(cd.Name); len(errs) > 0 {
			im.notef(subject, "container name %q is not valid: %s", cd.Name, strings.Join(errs, "; "))
		}
	}
	im.tds[n], im.revs[n] = td, rev
	return nil
}

// rewriteContainer rewrites one container definition's image, secret references, log
// configuration, repository credentials and renamed references, reporting each.
func (im *importer) rewriteContainer(csub string, cm map[string]any, renamed map[string]string) {
	if img, ok := cm["image"].(string); ok {
		cm["image"] = im.image(csub, img)
	}
	for _, list := range []string{"secrets"} {
		items, _ := cm[list].([]any)
		for _, it := range items {
			if s, ok := it.(map[string]any); ok {
				env, _ := s["name"].(string)
				if ref, ok := s["valueFrom"].(string); ok {
					s["valueFrom"] = im.secretRef(csub, env, ref)
				}
			}
		}
	}
	if lc, ok := cm["logConfiguration"].(map[string]any); ok {
		if opts, ok := lc["secretOptions"].([]any); ok && len(opts) > 0 {
			im.notef(csub, "logConfiguration.secretOptions left out: log drivers do not run in Berth tasks")
			delete(lc, "secretOptions")
		}
		if d, _ := lc["logDriver"].(string); d != "" {
			im.notef(csub, "logConfiguration %s: logs go to the node's log pipeline; the driver and options are kept as annotations for log agents", d)
		}
	}
	if rc, ok := cm["repositoryCredentials"].(map[string]any); ok {
		if p, ok := rc["credentialsParameter"].(string); ok && strings.HasPrefix(p, "arn:") {
			secret := name(secretsManagerName(p))
			rc["credentialsParameter"] = secret
			im.notef(csub, "repositoryCredentials: create a kubernetes.io/dockerconfigjson Secret %s (from %s)", secret, p)
		}
	}
	if files, ok := cm["environmentFiles"].([]any); ok {
		for _, f := range files {
			if fm, ok := f.(map[string]any); ok && (fm["type"] == "s3" || fm["type"] == nil) {
				v, _ := fm["value"].(string)
				im.notef(csub, "environmentFiles %s: create a ConfigMap from the file (named after its file name, as Berth reads it)", v)
			}
		}
	}
	renameReferences(cm, renamed)
	if links, ok := cm["links"].([]any); ok && len(links) > 0 {
		im.notef(csub, "links: containers of a task share localhost in Berth")
	}
}

// renameReferences points dependsOn and volumesFrom at the renamed containers.
func renameReferences(cm map[string]any, renamed map[string]string) {
	for _, key := range []string{"dependsOn", "volumesFrom"} {
		items, _ := cm[key].([]any)
		for _, it := range items {
			if d, ok := it.(map[string]any); ok {
				for _, k := range []string{"containerName", "sourceContainer"} {
					if v, ok := d[k].(string); ok && renamed[v] != "" {
						d[k] = renamed[v]
					}
				}
			}
		}
	}
}

// reportTaskLevel reports the task definition's volumes, placement expressions and proxy that
// need the user.
func (im *importer) reportTaskLevel(subject string, m map[string]any) {
	if vols, ok := m["volumes"].([]any); ok {
		for _, v := range vols {
			vm, ok := v.(map[string]any)
			if !ok {
				continue
			}
			vn, _ := vm["name"].(string)
			if efs, ok := vm["efsVolumeConfiguration"].(map[string]any); ok {
				im.notef(subject, "volume %s: create a PersistentVolumeClaim %s bound to EFS file system %v (EFS CSI driver)", vn, vn, efs["fileSystemId"])
			}
			if _, ok := vm["fsxWindowsFileServerVolumeConfiguration"]; ok {
				im.notef(subject, "volume %s: create a PersistentVolumeClaim %s bound to the FSx file system (SMB CSI driver)", vn, vn)
			}
			if dv, ok := vm["dockerVolumeConfiguration"].(map[string]any); ok && dv["scope"] == "shared" {
				im.notef(subject, "volume %s: shared Docker volume → PersistentVolumeClaim %s, which you create", vn, vn)
			}
		}
	}
	if pcs, ok := m["placementConstraints"].([]any); ok {
		for _, pc := range pcs {
			if pm, ok := pc.(map[string]any); ok {
				if e, _ := pm["expression"].(string); strings.Contains(e, "=~") {
					im.notef(subject, "placement expression %q: the pattern operator =~ has no node-affinity equivalent; a Service using this task definition stalls (InvalidPlacement) until you list the values with in [...]", e)
				}
			}
		}
	}
	if _, ok := m["proxyConfiguration"]; ok {
		im.notef(subject, "proxyConfiguration: the proxy runs as an ordinary container and no traffic is redirected (Approximated)")
	}
}

// secretsManagerName is the secret's name in a Secrets Manager ARN, or the last part of
// another ARN.
func secretsManagerName(arn string) string {
	if m := secretsManagerARN.FindStringSubmatch(arn); m != nil {
		return m[1]
	}
	return arn[strings.LastIndexAny(arn, ":/")+1:]
}

func (im *importer) service(m map[string]any, at string) error {
	sn, _ := m["serviceName"].(string)
	n := name(sn)
	subject := "service/" + n
	if n != sn {
		im.notef(subject, "service %q renamed %s (a Kubernetes name)", sn, n)
	}
	for _, f := range serviceStateFields {
		delete(m, f)
	}
	delete(m, "serviceName")
	for _, f := range slices.Sorted(maps.Keys(serviceIgnoredFields)) {
		if v, ok := m[f]; ok {
			delete(m, f)
			if isEmpty(v) {
				continue
			}
			why := serviceIgnoredFields[f]
			if why == "" {
				why = "not supported"
			}
			im.notef(subject, "%s left out: %s", f, why)
		}
	}
	if td, ok := m["taskDefinition"].(string); ok {
		ref := td
		if mm := taskDefARN.FindStringSubmatch(td); mm != nil {
			ref = mm[1]
		}
		family, rev, pinned := strings.Cut(ref, ":")
		m["taskDefinition"] = name(family)
		if pinned {
			im.notef(subject, "taskDefinition %s: the Service follows the family's latest revision (%s); pin with %s:<Berth revision> if needed, revisions count from 1 again", td, name(family), name(family))
			_ = rev
		}
	}
	im.serviceTargets(subject, n, m)
	if tags, ok := m["tags"].([]any); ok && len(tags) == 0 {
		delete(m, "tags")
	}
	svc := &ecsv1alpha1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "Service"},
		ObjectMeta: im.meta(n),
	}
	im.deploymentConfiguration(subject, m)
	if err := im.decodeDropping(subject, m, &svc.Spec); err != nil {
		return err
	}
	if _, ok := im.svcs[n]; ok {
		im.notef(subject, "listed twice; the last one is imported")
	}
	im.svcs[n] = svc
	_ = at
	return nil
}

// advancedConfiguration turns a load balancer's blue/green target groups into Berth's: the
// alternate target group becomes the alternate (test) core Service, named after the target
// group; the listener rules and role have no equivalent (an HTTPRoute the user writes and
// names in httpRouteName plays the production listener rule).
func (im *importer) advancedConfiguration(subject, service string, l map[string]any) {
	ac, ok := l["advancedConfiguration"].(map[string]any)
	if !ok {
		return
	}
	out := map[string]any{}
	if arn, ok := ac["alternateTargetGroupArn"].(string); ok {
		alt := name(targetGroupName(arn))
		if alt == "" || alt == service {
			alt = service + "-test"
		}
		out["alternateServiceName"] = alt
		im.notef(subject, "alternate target group %s → core Service %s (test traffic during blue/green)", arn, alt)
	}
	if rule, ok := ac["productionListenerRule"].(string); ok {
		im.notef(subject, "production listener rule %s left out: write an HTTPRoute with backendRefs to both Services and name it in advancedConfiguration.httpRouteName for weighted CANARY and LINEAR traffic", rule)
	}
	if len(out) == 0 {
		delete(l, "advancedConfiguration")
		return
	}
	l["advancedConfiguration"] = out
}

// targetGroupName is the name in a target group ARN (…:targetgroup/<name>/<id>).
func targetGroupName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":targetgroup/")
	if !ok {
		return ""
	}
	n, _, _ := strings.Cut(rest, "/")
	return n
}

// serviceTargets rewrites load balancers and service registries, which lose their AWS ARNs.
func (im *importer) serviceTargets(subject, n string, m map[string]any) {
	if lbs, ok := m["loadBalancers"].([]any); ok {
		for _, lb := range lbs {
			if l, ok := lb.(map[string]any); ok {
				if tg, ok := l["targetGroupArn"].(string); ok {
					im.notef(subject, "load balancer target group %s → core Service (ClusterIP) on %v:%v; put an Ingress or Gateway in front, or set type LoadBalancer", tg, l["containerName"], l["containerPort"])
				}
				if lbn, ok := l["loadBalancerName"].(string); ok {
					im.notef(subject, "classic load balancer %s → core Service (ClusterIP)", lbn)
				}
				delete(l, "targetGroupArn")
				delete(l, "loadBalancerName")
				im.advancedConfiguration(subject, n, l)
				if c, ok := l["containerName"].(string); ok {
					l["containerName"] = name(c)
				}
			}
		}
	}
	if regs, ok := m["serviceRegistries"].([]any); ok {
		for _, r := range regs {
			if rm, ok := r.(map[string]any); ok {
				if arn, ok := rm["registryArn"].(string); ok {
					im.notef(subject, "Cloud Map registry %s → headless Service %s-discovery", arn, n)
				}
				delete(rm, "registryArn")
				delete(rm, "port")
			}
		}
	}
}

// deploymentConfiguration keeps ECS's deployment strategies (strategy, bakeTimeInMinutes,
// canaryConfiguration, linearConfiguration: same names and bounds in Berth) and drops what
// names AWS resources: lifecycle hooks (Lambda ARNs) and alarms (CloudWatch alarm names),
// each with a note saying what to write instead.
func (im *importer) deploymentConfiguration(subject string, m map[string]any) {
	dc, ok := m["deploymentConfiguration"].(map[string]any)
	if !ok {
		return
	}
	if v, ok := dc["alarms"]; ok {
		delete(dc, "alarms")
		if a, ok := v.(map[string]any); ok && a["enable"] != false && !isEmpty(a["alarmNames"]) {
			im.notef(subject, "deploymentConfiguration.alarms left out: CloudWatch alarms %v have no Kubernetes equivalent; write them as PromQL in alarms.queries", a["alarmNames"])
		}
	}
	if v, ok := dc["lifecycleHooks"]; ok {
		delete(dc, "lifecycleHooks")
		if !isEmpty(v) {
			im.notef(subject, "deploymentConfiguration.lifecycleHooks left out: they call Lambda functions; give each hook a url or a service instead")
		}
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	case bool:
		return !x
	}
	return false
}

func (im *importer) result() *Result {
	res := &Result{}
	for _, sa := range slices.Sorted(maps.Keys(im.sas)) {
		res.Objects = append(res.Objects, &corev1.ServiceAccount{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta: im.meta(sa),
		})
	}
	for _, n := range slices.Sorted(maps.Keys(im.tds)) {
		res.Objects = append(res.Objects, im.tds[n])
	}
	for _, n := range slices.Sorted(maps.Keys(im.svcs)) {
		svc := im.svcs[n]
		if _, ok := im.tds[svc.Spec.TaskDefinition]; !ok {
			im.notef("service/"+n, "task definition %s is not part of this import: import it too", svc.Spec.TaskDefinition)
		}
		res.Objects = append(res.Objects, svc)
	}
	res.Report = im.report
	return res
}
