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

// Package compose converts a Compose Specification project (docker-compose.yml, parsed with
// compose-go, the library Docker Compose uses) into Berth objects: one TaskDefinition and one
// Service per task, a task being one compose service or the services sharing an x-ecs-task
// name, plus the Secret, ConfigMap and PersistentVolumeClaims the project's secrets, configs
// and named volumes need. Keys Berth cannot honour are refused with the file, line and key;
// what it approximates is returned as warnings. docs/cli.md has the mapping table.
package compose
