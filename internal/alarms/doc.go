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

// Package alarms decides deployment alarms (ECS DeploymentAlarms on Prometheus): it reads
// the answers of a Prometheus-compatible HTTP API's instant queries, decides which samples
// breach an alarm's threshold, counts breaching evaluations in a row toward
// evaluationPeriods, and keeps the monitoring state that status carries across passes and
// restarts. It makes no requests: the Service controller sends the queries.
package alarms
