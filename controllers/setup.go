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

// Package controllers wires Berth's reconcilers into a manager: Options and their flags
// (BindFlags), what the manager caches (CacheOptions), and Setup, which builds every reconciler
// from the Options, the registry client they share, the field indexes and the metrics
// collector. The reconcilers themselves live in one package per API group, ecs (TaskDefinition,
// Service, Task, PullCredentials) and ecr (Repository, RepositoryPolicy, the registry's notification
// receiver); they stay thin: they read state, call the pure planners in internal/, apply the
// result and write status once.
package controllers

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/berth-dev/berth/controllers/ecr"
	"github.com/berth-dev/berth/controllers/ecs"
	"github.com/berth-dev/berth/controllers/internal/metrics"
	regclient "github.com/berth-dev/berth/registry/client"
)

// Events are written through the events.k8s.io API.
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// CacheOptions limits what the manager caches to Berth's own children (ecs.CacheOptions):
// ControllerRevisions of task definition families, not every StatefulSet's and DaemonSet's;
// task Pods, core Services and NetworkPolicies of ECS services, not every workload's. Pods and
// Nodes are cached without managedFields (and Nodes without their image lists), which are most
// of their size and never read.
func CacheOptions() (cache.Options, error) {
	return ecs.CacheOptions()
}

// Setup registers the indexes and every reconciler with the manager.
func Setup(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if err := ecs.SetupIndexes(ctx, mgr); err != nil {
		return err
	}
	if err := ecr.SetupIndexes(ctx, mgr); err != nil {
		return err
	}
	if err := (&ecs.TaskDefinitionReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scheme:    mgr.GetScheme(),
		Recorder:  mgr.GetEventRecorder("berth-taskdefinition-controller"),
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the TaskDefinition controller: %w", err)
	}
	if err := (&ecr.RepositoryPolicyReconciler{
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("berth-repositorypolicy-controller"),
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the RepositoryPolicy controller: %w", err)
	}
	if err := (&ecr.PullThroughCacheRuleReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("berth-pullthroughcacherule-controller"),
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the PullThroughCacheRule controller: %w", err)
	}
	if opts.RegistryHost == "" {
		opts.RegistryHost = opts.Repository.RegistryHost
	}
	var reg *regclient.Client
	if opts.Repository.RegistryURL != "" {
		var err error
		if reg, err = regclient.NewForServiceAccount(mgr.GetClient(), regclient.Config{
			URL:            opts.Repository.RegistryURL,
			CAFile:         opts.Repository.RegistryCAFile,
			ServiceAccount: opts.Repository.ServiceAccount,
			Audience:       opts.Repository.TokenAudience,
			TokenLifetime:  opts.Repository.TokenLifetime,
		}); err != nil {
			return err
		}
		if opts.Digests == nil && opts.RegistryHost != "" {
			opts.Digests = &regclient.Digests{Client: reg, Host: opts.RegistryHost}
		}
	}
	if err := (&ecs.ServiceReconciler{
		Client:                mgr.GetClient(),
		APIReader:             mgr.GetAPIReader(),
		Scheme:                mgr.GetScheme(),
		Recorder:              mgr.GetEventRecorder("berth-service-controller"),
		Concurrency:           opts.ServiceConcurrency,
		TaskWorkers:           opts.TaskWorkers,
		BinpackSchedulerName:  opts.BinpackSchedulerName,
		ContainerRestartRules: opts.ContainerRestartRules,
		RegistryHost:          opts.RegistryHost,
		PullSecretName:        opts.PullSecretName,
		Digests:               opts.Digests,
		AlarmPrometheusURL:    opts.AlarmPrometheusURL,
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Service controller: %w", err)
	}
	if err := (&ecs.TaskReconciler{
		Client:                mgr.GetClient(),
		APIReader:             mgr.GetAPIReader(),
		Scheme:                mgr.GetScheme(),
		Recorder:              mgr.GetEventRecorder("berth-task-controller"),
		BinpackSchedulerName:  opts.BinpackSchedulerName,
		ContainerRestartRules: opts.ContainerRestartRules,
		RegistryHost:          opts.RegistryHost,
		PullSecretName:        opts.PullSecretName,
		Digests:               opts.Digests,
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Task controller: %w", err)
	}
	if err := (&ecs.ScheduledTaskReconciler{
		Client:   mgr.GetClient(),
		Scheme:   mgr.GetScheme(),
		Recorder: mgr.GetEventRecorder("berth-scheduledtask-controller"),
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the ScheduledTask controller: %w", err)
	}
	if opts.RegistryHost != "" && opts.PullSecretName != "" {
		if err := (&ecs.PullCredentialsReconciler{
			Client:       mgr.GetClient(),
			APIReader:    mgr.GetAPIReader(),
			RegistryHost: opts.RegistryHost,
			SecretName:   opts.PullSecretName,
			Audience:     opts.Repository.TokenAudience,
			Lifetime:     opts.PullTokenLifetime,
			ReaderRole:   opts.RegistryReaderRole,
			Recorder:     mgr.GetEventRecorder("berth-pullcredentials-controller"),
		}).SetupWithManager(mgr); err != nil {
			return err
		}
	}
	if reg != nil {
		if err := setupRepository(mgr, opts.Repository, reg); err != nil {
			return err
		}
	}
	return metrics.Register(mgr.GetCache(), mgr.GetLogger().WithName("metrics"))
}

// setupRepository registers the Repository controller and, when EventsAddr is set, its
// notification receiver.
func setupRepository(mgr ctrl.Manager, o RepositoryOptions, reg ecr.RegistryAPI) error {
	var token string
	if o.EventsAddr != "" && o.EventsAddr != "0" {
		var err error
		if token, err = readTokenFile(o.EventsTokenFile); err != nil {
			return err
		}
	}
	return (&ecr.RepositoryReconciler{
		Client:         mgr.GetClient(),
		Recorder:       mgr.GetEventRecorder("berth-repository-controller"),
		Registry:       reg,
		RegistryHost:   o.RegistryHost,
		ResyncInterval: o.ResyncInterval,
		Concurrency:    o.Concurrency,
		EventsAddr:     o.EventsAddr,
		EventsToken:    token,
	}).SetupWithManager(mgr)
}
