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

// Package scheme builds the runtime.Scheme every Berth binary and test uses: the core
// Kubernetes kinds plus Berth's own, so clients and caches agree on types.
package scheme

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// New returns a scheme with the core kinds, the ecr and ecs groups, and Gateway API v1 (the
// HTTPRoutes staged deployments shift traffic with) registered.
func New() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, ecrv1alpha1.AddToScheme, ecsv1alpha1.AddToScheme, gatewayv1.Install} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("building scheme: %w", err)
		}
	}
	return s, nil
}
