{{/*
Names. With the release named "berth" (or any name containing "berth") every object gets the
name config/ gives it: berth-controller, berth-registry, berth-registry-reader, ...
The base is kept at 40 characters so that "<base>-controller-events" is a valid Service name.
*/}}
{{- define "berth.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" }}
{{- end }}

{{- define "berth.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "berth.controller.fullname" -}}
{{- printf "%s-controller" (include "berth.fullname" .) }}
{{- end }}

{{- define "berth.registry.fullname" -}}
{{- printf "%s-registry" (include "berth.fullname" .) }}
{{- end }}

{{- define "berth.nodeProxy.fullname" -}}
{{- printf "%s-node-proxy" (include "berth.fullname" .) }}
{{- end }}

{{- define "berth.controller.serviceAccountName" -}}
{{- if .Values.controller.serviceAccount.create }}
{{- default (include "berth.controller.fullname" .) .Values.controller.serviceAccount.name }}
{{- else }}
{{- required "controller.serviceAccount.name is required when controller.serviceAccount.create is false" .Values.controller.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "berth.registry.serviceAccountName" -}}
{{- if .Values.registry.serviceAccount.create }}
{{- default (include "berth.registry.fullname" .) .Values.registry.serviceAccount.name }}
{{- else }}
{{- required "registry.serviceAccount.name is required when registry.serviceAccount.create is false" .Values.registry.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Common labels for every object of the chart. */}}
{{- define "berth.commonLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: berth
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of objects shared by both components (CRDs, the registry's ClusterRoles). */}}
{{- define "berth.labels" -}}
app.kubernetes.io/name: {{ include "berth.name" . }}
{{ include "berth.commonLabels" . }}
{{- end }}

{{- define "berth.controller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "berth.name" . }}-controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "berth.controller.labels" -}}
app.kubernetes.io/name: {{ include "berth.name" . }}-controller
app.kubernetes.io/component: controller
{{ include "berth.commonLabels" . }}
{{- end }}

{{- define "berth.registry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "berth.name" . }}-registry
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "berth.registry.labels" -}}
app.kubernetes.io/name: {{ include "berth.name" . }}-registry
app.kubernetes.io/component: registry
{{ include "berth.commonLabels" . }}
{{- end }}

{{- define "berth.nodeProxy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "berth.name" . }}-node-proxy
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "berth.nodeProxy.labels" -}}
app.kubernetes.io/name: {{ include "berth.name" . }}-node-proxy
app.kubernetes.io/component: node-proxy
{{ include "berth.commonLabels" . }}
{{- end }}

{{/* The image holding both binaries (/manager and /registry). */}}
{{- define "berth.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* The registry's Service as clients in the cluster reach it: host:port. */}}
{{- define "berth.registry.serviceHost" -}}
{{- printf "%s.%s.svc:%v" (include "berth.registry.fullname" .) .Release.Namespace .Values.registry.service.port }}
{{- end }}

{{/* The registry as image references name it (status.repositoryUri, kubelet pulls):
externalHost, else the node proxy's localhost:<port>, else the Service. */}}
{{- define "berth.registry.host" -}}
{{- if .Values.registry.externalHost }}
{{- .Values.registry.externalHost }}
{{- else if .Values.registry.nodeProxy.enabled }}
{{- printf "localhost:%v" .Values.registry.nodeProxy.port }}
{{- else }}
{{- include "berth.registry.serviceHost" . }}
{{- end }}
{{- end }}

{{/* "true" when the registry serves HTTPS. */}}
{{- define "berth.registry.tlsEnabled" -}}
{{- if or .Values.registry.tls.existingSecret .Values.registry.tls.certManager.enabled }}true{{ end }}
{{- end }}

{{/* The Secret holding tls.crt and tls.key (and ca.crt for the controller). */}}
{{- define "berth.registry.tlsSecretName" -}}
{{- if .Values.registry.tls.existingSecret }}
{{- .Values.registry.tls.existingSecret }}
{{- else }}
{{- default (printf "%s-tls" (include "berth.registry.fullname" .)) .Values.registry.tls.certManager.secretName }}
{{- end }}
{{- end }}

{{- define "berth.registry.claimName" -}}
{{- default (include "berth.registry.fullname" .) .Values.registry.storage.persistence.existingClaim }}
{{- end }}

{{- define "berth.registry.httpSecretName" -}}
{{- default (printf "%s-http-secret" (include "berth.registry.fullname" .)) .Values.registry.httpSecret.existingSecret }}
{{- end }}

{{/* Checks of value combinations the schema cannot express. */}}
{{- define "berth.validate" -}}
{{- if and .Values.registry.tls.existingSecret .Values.registry.tls.certManager.enabled }}
{{- fail "registry.tls: set existingSecret or enable certManager, not both" }}
{{- end }}
{{- if and (gt (int .Values.controller.replicas) 1) (not .Values.controller.leaderElection.enabled) }}
{{- fail "controller.replicas > 1 needs controller.leaderElection.enabled" }}
{{- end }}
{{- if and (eq .Values.registry.storage.type "filesystem") (gt (int .Values.registry.replicas) 1) (has "ReadWriteOnce" .Values.registry.storage.persistence.accessModes) }}
{{- fail "registry.replicas > 1 needs s3 storage or a ReadWriteMany volume (registry.storage.persistence.accessModes), and a shared registry.httpSecret" }}
{{- end }}
{{- if eq .Values.registry.storage.type "s3" }}
{{- if not .Values.registry.storage.s3.bucket }}
{{- fail "registry.storage.s3.bucket is required with registry.storage.type s3" }}
{{- end }}
{{- if not .Values.registry.storage.s3.region }}
{{- fail "registry.storage.s3.region is required with registry.storage.type s3 (any value for non-AWS stores)" }}
{{- end }}
{{- end }}
{{- end }}
