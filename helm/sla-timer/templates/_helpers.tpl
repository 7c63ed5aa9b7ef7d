{{/* Names and labels shared by every object of the chart. */}}

{{- define "sla-timer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sla-timer.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The sla-notify objects' name: <fullname>-notify, kept within 63. */}}
{{- define "sla-timer.notifyName" -}}
{{- printf "%s-notify" (include "sla-timer.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{- define "sla-timer.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "sla-timer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sla-timer
{{- end }}

{{/* Selector labels; $component is "timerd" or "notify". */}}
{{- define "sla-timer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sla-timer.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "sla-timer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sla-timer.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sla-timer.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Where the daemon reads its policy: the chart's ConfigMap (or the one
named by existingPolicyConfigMap), else a seed policy in the image. */}}
{{- define "sla-timer.policyFromConfigMap" -}}
{{- if or .Values.timerd.policy .Values.timerd.existingPolicyConfigMap }}true{{- end }}
{{- end }}

{{- define "sla-timer.policyPath" -}}
{{- if include "sla-timer.policyFromConfigMap" . -}}
/etc/sla-timer/policy/policy.yaml
{{- else -}}
/usr/share/sla-timer/policies/{{ .Values.timerd.seedPolicy }}
{{- end }}
{{- end }}

{{/* sla-timerd.yaml: the values' settings, with the policy path and the
HTTP address a pod needs (all interfaces, so probes and scrapes reach it). */}}
{{- define "sla-timer.settings" -}}
{{- $settings := deepCopy .Values.timerd.config }}
{{- $http := get $settings "http" | default dict }}
{{- $_ := set $http "address" "0.0.0.0" }}
{{- $_ := set $http "port" .Values.service.port }}
{{- $_ := set $settings "http" $http }}
{{- $_ := set $settings "policy" (include "sla-timer.policyPath" .) }}
{{- toYaml $settings }}
{{- end }}

{{/* Security context of every container: non-root, read-only root
filesystem, no privilege escalation, every capability dropped. */}}
{{- define "sla-timer.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "sla-timer.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}
