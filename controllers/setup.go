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

// Package controllers holds one reconciler per Berth kind. Reconcilers stay thin: they read
// state, call the pure planners in internal/, apply the result and write status once.
package controllers

import (
	"context"
	"flag"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Options configure the reconcilers; cmd/manager binds them to flags.
type Options struct{}

// BindFlags registers the reconcilers' flags.
func (o *Options) BindFlags(_ *flag.FlagSet) {}

// Events are written through the events.k8s.io API.
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// CacheOptions limits what the manager caches to Berth's own children: ControllerRevisions
// of task definition families, not every StatefulSet's and DaemonSet's.
func CacheOptions() (cache.Options, error) {
	family, err := labels.NewRequirement(FamilyLabel, selection.Exists, nil)
	if err != nil {
		return cache.Options{}, fmt.Errorf("building cache selector: %w", err)
	}
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&appsv1.ControllerRevision{}: {Label: labels.NewSelector().Add(*family)},
	}}, nil
}

// Setup registers the indexes and every reconciler with the manager.
func Setup(ctx context.Context, mgr ctrl.Manager, _ Options) error {
	if err := SetupIndexes(ctx, mgr); err != nil {
		return err
	}
	if err := (&TaskDefinitionReconciler{
		Client:   mgr.GetClient(),
		Scheme:   mgr.GetScheme(),
		Recorder: mgr.GetEventRecorder("berth-taskdefinition-controller"),
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the TaskDefinition controller: %w", err)
	}
	if err := (&RepositoryPolicyReconciler{Client: mgr.GetClient()}).SetupWithManager(ctx, mgr); err != nil {
		return fmt.Errorf("setting up the RepositoryPolicy controller: %w", err)
	}
	return nil
}
