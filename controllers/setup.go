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
	"flag"

	ctrl "sigs.k8s.io/controller-runtime"
)

// Options configure the reconcilers; cmd/manager binds them to flags.
type Options struct{}

// BindFlags registers the reconcilers' flags.
func (o *Options) BindFlags(_ *flag.FlagSet) {}

// The manager's own permissions on Berth's kinds; each reconciler adds the markers for the
// children it manages.
// +kubebuilder:rbac:groups=ecs.berth.dev;ecr.berth.dev,resources=taskdefinitions;services;repositories;repositorypolicies,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev;ecr.berth.dev,resources=taskdefinitions/status;services/status;repositories/status;repositorypolicies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev;ecr.berth.dev,resources=taskdefinitions/finalizers;services/finalizers;repositories/finalizers;repositorypolicies/finalizers,verbs=update
// +kubebuilder:rbac:groups=core;events.k8s.io,resources=events,verbs=create;patch

// Setup registers every reconciler with the manager. Reconcilers are added here as their
// kinds gain controllers.
func Setup(_ ctrl.Manager, _ Options) error {
	return nil
}
