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

package api_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// The schema must not default minimumHealthyPercent and maximumPercent: ECS's defaults depend
// on the scheduling strategy (REPLICA 100 / 200, DAEMON 0 / 100), which the controller
// applies (internal/rollout.DeploymentPercents). A schema default would give DAEMON services
// REPLICA's surge.
func TestServicePercentsHaveNoSchemaDefaults(t *testing.T) {
	ns := newNamespace(t)
	for _, strategy := range []ecsv1alpha1.SchedulingStrategy{ecsv1alpha1.SchedulingStrategyReplica, ecsv1alpha1.SchedulingStrategyDaemon} {
		svc := &ecsv1alpha1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "svc-" + strings.ToLower(string(strategy))},
			Spec:       ecsv1alpha1.ServiceSpec{TaskDefinition: "web", SchedulingStrategy: strategy, DesiredCount: ptr.To[int32](2)},
		}
		if err := env.Client.Create(context.Background(), svc, strict); err != nil {
			t.Fatalf("%s: %v", strategy, err)
		}
		dc := svc.Spec.DeploymentConfiguration
		if dc.MinimumHealthyPercent != nil || dc.MaximumPercent != nil {
			t.Errorf("%s: stored deploymentConfiguration %+v, want the percents left unset for the controller's per-strategy defaults", strategy, dc)
		}
	}
}
