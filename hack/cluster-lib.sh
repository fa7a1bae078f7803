# shellcheck shell=bash disable=SC2034 # (variables are used by the scripts that source this file)
# Shared settings and helpers for the hack/cluster-*.sh scripts. Sourced, never executed.
#
# Everything the local cluster owns lives under $K8S_HOME (default ~/.cache/ottoscaler-k8s),
# outside the repo, so the expensive build survives `git clean` and is shared by worktrees:
#   src/ gopath/ gocache/   Debian's kubernetes source and the Go build cache (build only)
#   bin/                    kube-* binaries, kubectl, static pause
#   images/                 busybox.tar and pause.tar (docker-archive, imported on every start)
#   pki/ *.kubeconfig       CA, component certs and kubeconfigs (made once, reused)
#   state/                  etcd data, containerd root, kubelet root, CNI, audit/audit.log,
#                           volumes/ (hostPath PersistentVolumes of hack/deploy-local.sh)
#                           (wiped on every fresh start)
#   audit-policy.yaml       what kube-apiserver audits: Job creations and deletions
#   pids/NAME.pid           "PID STARTTIME" of every process we started; down kills only these
#   logs/                   one log per component, plus build logs
#   lock                    flock(1) file serialising all hack/cluster-*.sh runs
#
# Needs root: the kubelet, containerd and kube-proxy touch cgroups, mounts and iptables.

K8S_HOME=${K8S_HOME:-$HOME/.cache/ottoscaler-k8s}
K8S_VERSION=v1.20.2
BIN=$K8S_HOME/bin
IMAGES=$K8S_HOME/images
PKI=$K8S_HOME/pki
STATE=$K8S_HOME/state
PIDS=$K8S_HOME/pids
LOGS=$K8S_HOME/logs
KUBECONFIG_FILE=$K8S_HOME/kubeconfig
CONTAINERD_SOCK=$STATE/run/containerd.sock
NODE_NAME=${NODE_NAME:-ottoscaler-node}
# TTLAfterFinished is alpha in 1.20: enable it everywhere ttlSecondsAfterFinished is handled.
FEATURE_GATES=TTLAfterFinished=true
# Names the images get inside containerd (docker-archive RepoTags are normalised to docker.io/).
BUSYBOX_REPO=local/busybox BUSYBOX_TAG=1
PAUSE_REPO=local/pause PAUSE_TAG=local
BUSYBOX_IMAGE=docker.io/$BUSYBOX_REPO:$BUSYBOX_TAG
PAUSE_IMAGE=docker.io/$PAUSE_REPO:$PAUSE_TAG
SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.88.0.0/16
# Started in this order, stopped in reverse (kubelet first so it stops restarting pods).
COMPONENTS=(etcd containerd kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet)

export PATH=$BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

_T0=$(date +%s.%N)
# log MSG...: progress on stderr (stdout is reserved for the eval-able lines of cluster-up.sh).
log() { awk -v a="$_T0" -v b="$(date +%s.%N)" -v m="$*" 'BEGIN{printf "[cluster %6.1fs] %s\n", b-a, m}' >&2; }
die() { log "ERROR: $*"; exit 1; }

require_root() { [ "$(id -u)" = 0 ] || die "must run as root (kubelet/containerd need it)"; }

# cluster_lock: serialise every hack/cluster-*.sh on $K8S_HOME/lock. A script started by one that
# already holds the lock inherits fd 9 (same open file description) and must not lock again.
cluster_lock() {
  [ "${_CLUSTER_LOCKED:-}" = "$K8S_HOME" ] && return 0
  mkdir -p "$K8S_HOME"
  exec 9>"$K8S_HOME/lock"
  if ! flock -n 9; then
    log "another hack/cluster-* run holds $K8S_HOME/lock; waiting"
    flock 9
  fi
  export _CLUSTER_LOCKED=$K8S_HOME
}

# ---------- PIDs: only processes we started and recorded are ever signalled ----------
# The start time (field 22 of /proc/PID/stat) guards against a recycled PID.
_starttime() {
  local s fields
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  # fields after "PID (comm) ": state is [0], ppid [1], starttime [19]
  read -r -a fields <<<"${s##*) }"
  [ "${fields[0]}" != Z ] || return 1 # a zombie has exited already; its reaper may be slow
  echo "${fields[19]}"
}

# pid_of NAME: recorded PID if that very process is still alive, else nothing (exit 1).
pid_of() {
  local f=$PIDS/$1.pid pid st
  [ -f "$f" ] || return 1
  read -r pid st <"$f" || return 1
  [ -n "$pid" ] && [ "$(_starttime "$pid")" = "$st" ] || return 1
  echo "$pid"
}
is_running() { pid_of "$1" >/dev/null; }
any_recorded() { compgen -G "$PIDS/*.pid" >/dev/null; }

# start_bg NAME CMD...: start a daemon in its own session, append to logs/NAME.log (a restarted
# apiserver keeps its earlier log), record its PID. fds 3 (cluster-up's real stdout) and 9 (the
# lock) are closed so the daemon neither keeps `$(hack/cluster-up.sh)` waiting forever nor holds
# the lock after we exit.
start_bg() {
  local name=$1 pid; shift
  mkdir -p "$PIDS" "$LOGS"
  echo "=== $(date -u +%FT%TZ) hack/cluster: starting $name" >>"$LOGS/$name.log"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null 3>&- 9>&- &
  pid=$!
  echo "$pid $(_starttime "$pid")" >"$PIDS/$name.pid"
}

# stop_component NAME [GRACE_SECONDS]: SIGTERM the recorded PID, SIGKILL after the grace period.
stop_component() {
  local name=$1 grace=${2:-10} pid i
  if pid=$(pid_of "$name"); then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 5; i++)); do is_running "$name" || break; sleep 0.2; done
    if is_running "$name"; then
      log "force-killing $name ($pid)"
      kill -9 "$pid" 2>/dev/null || true
      for ((i = 0; i < 25; i++)); do is_running "$name" || break; sleep 0.2; done
    fi
  fi
  rm -f "$PIDS/$name.pid"
}

# waitfor DESC TIMEOUT_SECONDS CMD...: poll CMD every 0.2 s.
waitfor() {
  local desc=$1 t=$2 i; shift 2
  for ((i = 0; i < t * 5; i++)); do
    if "$@" >/dev/null 2>&1; then log "$desc ok"; return 0; fi
    sleep 0.2
  done
  log "TIMEOUT after ${t}s waiting for $desc"
  return 1
}

kc() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
ctr_k8s() { ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

apiserver_ready() { [ "$(kc get --raw /readyz 2>/dev/null)" = ok ]; }
node_ready() {
  [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
default_sa_token() { [ -n "$(kc -n default get sa default -o jsonpath='{.secrets}' 2>/dev/null)" ]; }

# The node IP is fixed when the cluster starts (state/node-ip) so an apiserver restart reuses it.
detect_node_ip() {
  ip -4 route get 1.1.1.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") { print $(i + 1); exit }}'
}
node_ip() { cat "$STATE/node-ip"; }

# kube-apiserver 1.20 stops listening at once on SIGTERM but then waits (over a minute here) for
# open watch connections to drain: give it a few seconds, then SIGKILL (etcd holds all state).
APISERVER_STOP_GRACE=3

# The API server's audit log: who created and deleted which Job, one JSON event per line. Tests
# read it to prove that worker Jobs were created by the controller's service account (a Job's
# managedFields name only the client's user agent, which any client can set). It lives under
# $STATE, so every fresh cluster starts an empty one; an apiserver restart appends to it.
AUDIT_POLICY=$K8S_HOME/audit-policy.yaml
AUDIT_LOG=$STATE/audit/audit.log

audit_policy() {
  cat <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
# One event per request, once its response is known (the response code included).
omitStages: [RequestReceived, ResponseStarted]
rules:
  - level: Metadata
    verbs: [create, delete, deletecollection]
    resources:
      - group: batch
        resources: [jobs]
  - level: None
EOF
}

# apiserver_args: sets APISERVER_ARGS, the kube-apiserver command line (cluster-up.sh compares it
# with a running one's to tell whether that one must be restarted with today's flags).
# It listens on all addresses and advertises the node IP: pods reach `kubernetes.default`
# (10.96.0.1:443) through kube-proxy's DNAT to NODE_IP:6443.
apiserver_args() {
  APISERVER_ARGS=("$BIN/kube-apiserver"
    --etcd-servers=http://127.0.0.1:2379
    --bind-address=0.0.0.0 --advertise-address="$(node_ip)" --secure-port=6443 --insecure-port=0
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key"
    --client-ca-file="$PKI/ca.crt"
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key"
    --service-account-issuer=https://kubernetes.default.svc.cluster.local
    --service-cluster-ip-range="$SERVICE_CIDR"
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt"
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key"
    --kubelet-preferred-address-types=InternalIP,Hostname
    --audit-policy-file="$AUDIT_POLICY" --audit-log-path="$AUDIT_LOG"
    --audit-log-maxsize=100 --audit-log-maxbackup=1
    --allow-privileged=true --profiling=false --feature-gates="$FEATURE_GATES" --v=1)
}

# start_apiserver: also used by cluster-apiserver.sh to restart it on the same etcd.
start_apiserver() {
  audit_policy >"$AUDIT_POLICY"
  mkdir -p "$(dirname "$AUDIT_LOG")"
  apiserver_args
  start_bg kube-apiserver "${APISERVER_ARGS[@]}"
}

# apiserver_current: the running kube-apiserver has today's command line and audit policy (the
# policy file is read at start only).
apiserver_current() {
  local pid
  pid=$(pid_of kube-apiserver) || return 1
  apiserver_args
  [ "$(tr '\0' '\n' <"/proc/$pid/cmdline")" = "$(printf '%s\n' "${APISERVER_ARGS[@]}")" ] &&
    [ "$(cat "$AUDIT_POLICY" 2>/dev/null)" = "$(audit_policy)" ]
}

# print_env: the two eval-able lines, on the real stdout (fd 3 in cluster-up.sh).
print_env() {
  printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_FILE"
  printf 'export OTTOSCALER_TEST_IMAGE=%q\n' "$BUSYBOX_IMAGE"
}
