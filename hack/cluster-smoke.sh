#!/usr/bin/env bash
# Smoke-test the running local cluster (hack/cluster-up.sh) the way Ottoscaler uses it:
#   1. a one-pod Job with the test image runs to Complete and `kubectl logs` shows its output
#   2. a Job whose container exits 3 with backoffLimit 0 ends Failed
#   3. ttlSecondsAfterFinished (alpha TTLAfterFinished gate) deletes a finished Job
#   4. a pod reaches the apiserver through the kubernetes Service ClusterIP (kube-proxy)
# in a throw-away namespace (deleted at the end unless KEEP=1).
#
# Usage (as root): hack/cluster-smoke.sh      exit 0 only if every check passed
#   Env: K8S_HOME, KEEP=1
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/cluster-lib.sh
source "$HERE/cluster-lib.sh"

apiserver_ready || die "no ready cluster in $K8S_HOME (run: eval \"\$(hack/cluster-up.sh)\")"
NS=ottoscaler-smoke-$(date +%s)
passed=0 failed=0
ok() { log "PASS $*"; passed=$((passed + 1)); }
ko() { log "FAIL $*"; failed=$((failed + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1fs", b-a}'; }

kc create namespace "$NS" >/dev/null
# ServiceAccount admission rejects pods until the namespace's default SA has its token.
sa_token() { [ -n "$(kc -n "$NS" get sa default -o jsonpath='{.secrets}' 2>/dev/null)" ]; }
waitfor "service account token in $NS" 30 sa_token

job() { # NAME BACKOFF TTL IMAGE_PULL_POLICY SCRIPT
  kc -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: $1}
spec:
  backoffLimit: $2
  $([ -n "$3" ] && echo "ttlSecondsAfterFinished: $3")
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: $BUSYBOX_IMAGE
        imagePullPolicy: $4
        command: [sh, -c, '$5']
EOF
}

# job_outcome NAME TIMEOUT: Complete, Failed or Timeout (kubectl 1.20 waits on one condition only).
job_outcome() {
  local i c
  for ((i = 0; i < $2 * 5; i++)); do
    c=$(kc -n "$NS" get job "$1" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{end}' 2>/dev/null) || true
    case $c in *Complete*) echo Complete && return 0 ;; *Failed*) echo Failed && return 0 ;; esac
    sleep 0.2
  done
  echo Timeout
}

t=$(now)
# shellcheck disable=SC2016 # $HOSTNAME is for the container's shell
job hello 0 "" IfNotPresent 'echo hello from $HOSTNAME; echo second line'
if [ "$(job_outcome hello 120)" = Complete ]; then
  ok "one-pod Job Complete after $(since "$t")"
  out=$(kc -n "$NS" logs job/hello)
  if [[ $out == "hello from hello-"*$'\n'"second line" ]]; then ok "kubectl logs: ${out//$'\n'/ | }"; else ko "unexpected logs: $out"; fi
else
  ko "Job hello not Complete: $(kc -n "$NS" get pods -l job-name=hello -o wide 2>&1 | tail -n +2)"
fi

t=$(now)
job fail 0 "" Never 'echo failing; exit 3'
if [ "$(job_outcome fail 120)" = Failed ]; then
  code=$(kc -n "$NS" get pods -l job-name=fail -o jsonpath='{.items[0].status.containerStatuses[0].state.terminated.exitCode}')
  if [ "$code" = 3 ]; then ok "failing Job Failed after $(since "$t"), exit code 3"; else ko "failing Job exit code '$code'"; fi
else
  ko "Job fail not Failed"
fi

t=$(now)
job ttl 0 0 Never 'true'
if kc -n "$NS" wait --for=delete job/ttl --timeout=60s >/dev/null 2>&1; then
  ok "ttlSecondsAfterFinished=0 Job deleted after $(since "$t")"
else
  ko "ttl Job not deleted"
fi

# In-cluster path: 10.96.0.1:443 -> kube-proxy DNAT -> NODE_IP:6443. busybox's wget TLS
# segfaults against Go's TLS server, so speak plain HTTP to the TLS port: Go's answer "Client
# sent an HTTP request to an HTTPS server" proves the apiserver itself replied.
t=$(now)
job svc 0 "" Never 'printf "GET / HTTP/1.0\r\n\r\n" | timeout 10 nc -w 5 10.96.0.1 443 | grep "HTTPS server"'
if [ "$(job_outcome svc 60)" = Complete ]; then
  ok "pod reached kubernetes.default (10.96.0.1:443) after $(since "$t")"
else
  ko "pod could not reach 10.96.0.1:443: $(kc -n "$NS" logs job/svc 2>&1)"
fi

[ "${KEEP:-0}" = 1 ] || kc delete namespace "$NS" --wait=false >/dev/null
echo "smoke: $passed passed, $failed failed"
[ "$failed" = 0 ]
