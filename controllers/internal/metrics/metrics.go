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

// Package metrics is Berth's Prometheus collector: the state of ECS services (tasks by ECS
// state, desired tasks, deployments), of standalone tasks (by last status and stop code), of
// scheduled tasks (last run, how overdue a run is) and of Repositories (image counts), read
// from the manager's cache at scrape time and served on the manager's metrics endpoint.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/tasks"
)

// namespaceLabel is the namespace label of every series.
const namespaceLabel = "namespace"

// Metric descriptions. Reconcile errors are controller-runtime's own
// controller_runtime_reconcile_errors_total{controller="service"|…}, on the same endpoint.
var (
	serviceTasksDesc = prometheus.NewDesc("berth_service_tasks",
		"Tasks of an ECS service by ECS task state, from its task Pods.",
		[]string{namespaceLabel, "service", "state"}, nil)
	serviceDesiredDesc = prometheus.NewDesc("berth_service_desired_tasks",
		"Desired task count of an ECS service (status.desiredCount).",
		[]string{namespaceLabel, "service"}, nil)
	serviceDeploymentsDesc = prometheus.NewDesc("berth_service_deployments",
		"Deployments of an ECS service by status (PRIMARY, ACTIVE) and rolloutState.",
		[]string{namespaceLabel, "service", "status", "rollout_state"}, nil)
	repositoryImagesDesc = prometheus.NewDesc("berth_repository_images",
		"Images in a Repository of the bundled registry (status.imageCount).",
		[]string{namespaceLabel, "repository"}, nil)
	tasksDesc = prometheus.NewDesc("berth_tasks",
		"Standalone tasks (Task objects, kept for their retention after they stop) by ECS last status and stop code (empty until stopped).",
		[]string{namespaceLabel, "last_status", "stop_code"}, nil)
	scheduleLastDesc = prometheus.NewDesc("berth_scheduled_task_last_schedule_timestamp_seconds",
		"Scheduled time of a ScheduledTask's last run (status.lastScheduleTime), Unix seconds.",
		[]string{namespaceLabel, "scheduled_task"}, nil)
	scheduleOverdueDesc = prometheus.NewDesc("berth_scheduled_task_overdue_seconds",
		"How long an ENABLED ScheduledTask's next run (status.nextScheduleTime) is past due: 0 when it is on time, growing while the controller is down or cannot start it.",
		[]string{namespaceLabel, "scheduled_task"}, nil)
)

// taskStates are reported for every service, zeros included, so a query sees the states a
// service has no task in.
var taskStates = []rollout.TaskState{rollout.TaskProvisioning, rollout.TaskPending, rollout.TaskRunning, rollout.TaskStopping, rollout.TaskStopped}

// stateCollector reports the state of Berth's objects at scrape time from the manager's
// cache: no bookkeeping in the reconcilers, nothing stale after a restart, and the cost is one
// pass over cached objects per scrape.
type stateCollector struct {
	reader client.Reader
	log    logr.Logger
}

// Register adds the state collector to controller-runtime's registry, which the
// manager serves on its metrics address. A second manager in one process (tests) keeps the
// first collector.
func Register(reader client.Reader, log logr.Logger) error {
	err := crmetrics.Registry.Register(&stateCollector{reader: reader, log: log})
	if err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
		return fmt.Errorf("registering Berth's metrics: %w", err)
	}
	return nil
}

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{serviceTasksDesc, serviceDesiredDesc, serviceDeploymentsDesc, repositoryImagesDesc, tasksDesc, scheduleLastDesc, scheduleOverdueDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.collectServices(ctx, ch); err != nil {
		c.log.Error(err, "collecting service metrics")
	}
	if err := c.collectRepositories(ctx, ch); err != nil {
		c.log.Error(err, "collecting repository metrics")
	}
	if err := c.collectTasks(ctx, ch); err != nil {
		c.log.Error(err, "collecting task metrics")
	}
	if err := c.collectScheduledTasks(ctx, ch, time.Now()); err != nil {
		c.log.Error(err, "collecting scheduled task metrics")
	}
}

func (c *stateCollector) collectTasks(ctx context.Context, ch chan<- prometheus.Metric) error {
	var list ecsv1alpha1.TaskList
	if err := c.reader.List(ctx, &list); err != nil {
		return fmt.Errorf("listing Tasks: %w", err)
	}
	type key struct{ ns, status, code string }
	counts := map[key]int{}
	for i := range list.Items {
		t := &list.Items[i]
		counts[key{t.Namespace, string(t.Status.LastStatus), string(t.Status.StopCode)}]++
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(tasksDesc, prometheus.GaugeValue, float64(n), k.ns, k.status, k.code)
	}
	return nil
}

func (c *stateCollector) collectScheduledTasks(ctx context.Context, ch chan<- prometheus.Metric, now time.Time) error {
	var list ecsv1alpha1.ScheduledTaskList
	if err := c.reader.List(ctx, &list); err != nil {
		return fmt.Errorf("listing ScheduledTasks: %w", err)
	}
	for i := range list.Items {
		st := &list.Items[i]
		if last := st.Status.LastScheduleTime; last != nil {
			ch <- prometheus.MustNewConstMetric(scheduleLastDesc, prometheus.GaugeValue, float64(last.Unix()), st.Namespace, st.Name)
		}
		if st.Spec.State != ecsv1alpha1.ScheduleDisabled && st.Status.NextScheduleTime != nil {
			ch <- prometheus.MustNewConstMetric(scheduleOverdueDesc, prometheus.GaugeValue, Overdue(now, st.Status.NextScheduleTime.Time), st.Namespace, st.Name)
		}
	}
	return nil
}

// Overdue is how many seconds a run due at next is late at now: 0 when it is not due yet.
func Overdue(now, next time.Time) float64 {
	return max(0, now.Sub(next).Seconds())
}

func (c *stateCollector) collectServices(ctx context.Context, ch chan<- prometheus.Metric) error {
	var services ecsv1alpha1.ServiceList
	if err := c.reader.List(ctx, &services); err != nil {
		return fmt.Errorf("listing Services: %w", err)
	}
	// Every task Pod of the cluster, read only: the cache's own objects, not deep copies
	// (20,000 of them at P5's scale, on every scrape).
	var pods corev1.PodList
	if err := c.reader.List(ctx, &pods, client.HasLabels{ecsv1alpha1.ServiceLabel}, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing task Pods: %w", err)
	}
	type key struct{ ns, svc string }
	counts := map[key]map[rollout.TaskState]int{}
	for i := range pods.Items {
		p := &pods.Items[i]
		k := key{p.Namespace, p.Labels[ecsv1alpha1.ServiceLabel]}
		if counts[k] == nil {
			counts[k] = map[rollout.TaskState]int{}
		}
		counts[k][tasks.Observe(p).State]++
	}
	for i := range services.Items {
		s := &services.Items[i]
		k := key{s.Namespace, s.Name}
		for _, st := range taskStates {
			ch <- prometheus.MustNewConstMetric(serviceTasksDesc, prometheus.GaugeValue, float64(counts[k][st]), s.Namespace, s.Name, string(st))
		}
		ch <- prometheus.MustNewConstMetric(serviceDesiredDesc, prometheus.GaugeValue, float64(s.Status.DesiredCount), s.Namespace, s.Name)
		type dkey struct{ status, rollout string }
		deps := map[dkey]int{}
		for _, d := range s.Status.Deployments {
			deps[dkey{string(d.Status), string(d.RolloutState)}]++
		}
		for dk, n := range deps {
			ch <- prometheus.MustNewConstMetric(serviceDeploymentsDesc, prometheus.GaugeValue, float64(n), s.Namespace, s.Name, dk.status, dk.rollout)
		}
	}
	return nil
}

func (c *stateCollector) collectRepositories(ctx context.Context, ch chan<- prometheus.Metric) error {
	var repos ecrv1alpha1.RepositoryList
	if err := c.reader.List(ctx, &repos); err != nil {
		return fmt.Errorf("listing Repositories: %w", err)
	}
	for i := range repos.Items {
		r := &repos.Items[i]
		ch <- prometheus.MustNewConstMetric(repositoryImagesDesc, prometheus.GaugeValue, float64(r.Status.ImageCount), r.Namespace, r.Name)
	}
	return nil
}
