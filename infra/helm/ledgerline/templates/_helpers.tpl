{{/* Names, labels and the pieces every Ledgerline pod shares. */}}

{{- define "ledgerline.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ledgerline.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ledgerline.labels" -}}
{{ include "ledgerline.selectorLabels" . }}
app.kubernetes.io/part-of: ledgerline
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Labels of one component: (dict "root" $ "component" NAME). */}}
{{- define "ledgerline.componentLabels" -}}
{{ include "ledgerline.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ledgerline.componentSelector" -}}
{{ include "ledgerline.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ledgerline.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "ledgerline.secretName" -}}
{{- default (printf "%s-secrets" (include "ledgerline.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "ledgerline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ledgerline.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The settings every process reads: the ConfigMap's and the Secret's variables. */}}
{{- define "ledgerline.envFrom" -}}
- configMapRef:
    name: {{ include "ledgerline.fullname" . }}-settings
- secretRef:
    name: {{ include "ledgerline.secretName" . }}
{{- end -}}

{{/* Pod-level fields shared by every Ledgerline pod: (dict "root" $ ["hook" true] ["lowPorts" true]). A hook's
pod runs before the release's ServiceAccount exists, so under the namespace's default one. */}}
{{- define "ledgerline.podCommon" -}}
serviceAccountName: {{ ternary "default" (include "ledgerline.serviceAccountName" .root) (default false .hook) }}
automountServiceAccountToken: false
{{- $security := .root.Values.podSecurityContext }}
{{- if .lowPorts }}
{{- /* A safe sysctl (allowed by the baseline Pod Security Standard): binding 80 and 443
     needs no capability, so none is kept. */}}
{{- $sysctl := dict "name" "net.ipv4.ip_unprivileged_port_start" "value" "0" }}
{{- $security = merge (dict "sysctls" (list $sysctl)) $security }}
{{- end }}
securityContext:
  {{- toYaml $security | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* /tmp is the only writable path (the root filesystem is read-only): LEDGERLINE_DATA_DIR. */}}
{{- define "ledgerline.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{- define "ledgerline.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* The Secret's and ConfigMap's content digest: a changed setting rolls every pod. */}}
{{- define "ledgerline.settingsChecksum" -}}
{{- include "ledgerline.settingsData" . | sha256sum -}}
{{- end -}}
