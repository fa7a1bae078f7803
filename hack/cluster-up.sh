#!/usr/bin/env bash
# Start a real single-node Kubernetes 1.20.2 cluster for development and tests:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, and a kubelet running
# real containers through containerd + runc with CNI bridge networking.
#
# Usage (as root):
#   eval "$(hack/cluster-up.sh)"
# stdout carries exactly two lines, everything else goes to stderr:
#   export KUBECONFIG=$K8S_HOME/kubeconfig            (cluster-admin)
#   export OTTOSCALER_TEST_IMAGE=docker.io/local/busybox:1
# The test image exists only in the node's containerd (also as busybox:latest and busybox:1.36,
# the names the examples and the default image use): use imagePullPolicy Never or IfNotPresent.
# kube-apiserver writes an audit log of Job creations and deletions to $K8S_HOME/state/audit/.
#
# - First run builds the binaries and images (hack/cluster-build.sh, ~5 min, cached in
#   $K8S_HOME, default ~/.cache/ottoscaler-k8s); later starts take ~15 s.
# - Idempotent: if the recorded cluster is up and healthy it only prints the two lines. If only
#   kube-apiserver is stopped (hack/cluster-apiserver.sh stop) it starts it again, keeping state.
#   Anything else unhealthy is torn down (hack/cluster-down.sh) and started fresh.
# - Every fresh start wipes etcd, containerd and kubelet state (a clean cluster, images
#   re-imported); the PKI and kubeconfigs are reused.
# - Concurrent runs of any hack/cluster-*.sh are serialised with flock on $K8S_HOME/lock.
# - Stop with hack/cluster-down.sh; restart only the apiserver with hack/cluster-apiserver.sh.
# Env: K8S_HOME, NODE_NAME (default ottoscaler-node), NODE_IP (default: the source address of the
#   default route; the apiserver must be reachable there for in-cluster clients).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/cluster-lib.sh
source "$HERE/cluster-lib.sh"
# Keep the real stdout on fd 3 for the final two lines; everything else goes to stderr so that
# `eval "$(hack/cluster-up.sh)"` sees nothing but them.
exec 3>&1 1>&2
require_root
cluster_lock

# There is no registry: the local busybox also answers to the names the examples and the
# default image use (`image: busybox` is docker.io/library/busybox:latest), so
# `ottoctl run examples/full.yaml` runs on this cluster unchanged. Idempotent.
tag_busybox() {
  local name
  for name in docker.io/library/busybox:latest docker.io/library/busybox:1.36; do
    ctr_k8s images tag --force "$BUSYBOX_IMAGE" "$name" >/dev/null
  done
}

all_running() {
  local c
  for c in "${COMPONENTS[@]}"; do is_running "$c" || return 1; done
}

# ---------- already up? ----------
if any_recorded; then
  if ! is_running kube-apiserver; then
    others=1
    for c in "${COMPONENTS[@]}"; do
      [ "$c" = kube-apiserver ] || is_running "$c" || others=0
    done
    if [ "$others" = 1 ]; then
      log "kube-apiserver is stopped, the rest is up: starting kube-apiserver"
      start_apiserver
      waitfor kube-apiserver 60 apiserver_ready || true
    fi
  fi
  if all_running && ! apiserver_current; then
    # Started by an older version of these scripts (e.g. without the audit log): same etcd,
    # today's flags.
    log "kube-apiserver runs with other flags than today's: restarting it"
    stop_component kube-apiserver "$APISERVER_STOP_GRACE"
    start_apiserver
    waitfor kube-apiserver 60 apiserver_ready || true
  fi
  if all_running && apiserver_ready && waitfor "node Ready" 30 node_ready && default_sa_token; then
    tag_busybox
    log "cluster already up ($K8S_HOME)"
    print_env >&3
    exit 0
  fi
  down=()
  for c in "${COMPONENTS[@]}"; do is_running "$c" || down+=("$c"); done
  log "recorded cluster is unhealthy (not running: ${down[*]:-none}); restarting it"
  "$HERE/cluster-down.sh" 3>&-
fi

# ---------- build (cached) ----------
"$HERE/cluster-build.sh" 3>&-

NODE_IP=${NODE_IP:-$(detect_node_ip)}
NODE_IP=${NODE_IP:-127.0.0.1}

# Another cluster (another K8S_HOME, a system etcd...) on our fixed ports would make the
# components fail in confusing ways: refuse early instead.
for port in 2379 2380 6443 10248 10249 10250 10256; do
  if [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
    die "TCP port $port is already in use (another cluster?); see: ss -ltnp 'sport = :$port'"
  fi
done

# ---------- clean state ----------
log "starting a fresh cluster in $K8S_HOME (node $NODE_NAME, IP $NODE_IP)"
awk -v s="$STATE/" 'index($2, s) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
rm -rf "$STATE" "$PIDS"
for c in "${COMPONENTS[@]}"; do rm -f "$LOGS/$c.log"; done # logs append; a fresh cluster starts fresh logs
mkdir -p "$STATE"/{etcd,containerd/root,containerd/state,kubelet,cni-ipam,cni-conf,run} "$PIDS" "$LOGS"
echo "$NODE_IP" >"$STATE/node-ip"
ip link del cni0 2>/dev/null || true
# The kubelet 1.20 hard-codes /var/log/pods and /var/log/containers; libcni caches results
# in /var/lib/cni. Clear what a previous run of ours left there.
rm -rf /var/log/pods/* /var/log/containers/* /var/lib/cni/results/ottoscaler-net-*

# ---------- PKI and kubeconfigs (made once, reused; the node IP may change) ----------
cert() { # NAME SUBJECT [SANS] [EKU]   (run inside $PKI)
  openssl genrsa -out "$1.key" 2048 2>/dev/null
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  {
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
    printf 'extendedKeyUsage=%s\n' "${4:-clientAuth}"
    [ -z "${3:-}" ] || printf 'subjectAltName=%s\n' "$3"
  } >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
kubeconfig() { # USER
  cat >"$K8S_HOME/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: ottoscaler-local, cluster: {server: "https://127.0.0.1:6443", certificate-authority: "$PKI/ca.crt"}}]
users: [{name: $1, user: {client-certificate: "$PKI/$1.crt", client-key: "$PKI/$1.key"}}]
contexts: [{name: ottoscaler-local, context: {cluster: ottoscaler-local, user: $1, namespace: default}}]
current-context: ottoscaler-local
EOF
}
mkdir -p "$PKI"
(
  cd "$PKI"
  if [ ! -f ca.crt ]; then
    log "creating CA and certificates"
    openssl genrsa -out ca.key 2048 2>/dev/null
    openssl req -x509 -new -nodes -key ca.key -subj "/CN=ottoscaler-local-ca" -days 3650 -out ca.crt
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f apiserver.crt
  fi
  # The serving cert must cover NODE_IP: pods reach 10.96.0.1:443, which kube-proxy DNATs there.
  sans="IP:127.0.0.1,IP:10.96.0.1,IP:$NODE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  if [ ! -f apiserver.crt ] || ! openssl x509 -in apiserver.crt -noout -ext subjectAltName | grep -q "IP Address:$NODE_IP\(,\|\$\)"; then
    cert apiserver "/CN=kube-apiserver" "$sans" serverAuth
  fi
  [ -f apiserver-kubelet-client.crt ] || cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  [ -f admin.crt ] || cert admin "/O=system:masters/CN=admin"
  [ -f kcm.crt ] || cert kcm "/CN=system:kube-controller-manager"
  [ -f scheduler.crt ] || cert scheduler "/CN=system:kube-scheduler"
  # system:kube-proxy is bound to ClusterRole system:node-proxier by default.
  [ -f kube-proxy.crt ] || cert kube-proxy "/CN=system:kube-proxy"
  # The Node authorizer wants CN=system:node:<node name>; re-issue if NODE_NAME changed.
  if [ ! -f kubelet.crt ] || ! openssl x509 -in kubelet.crt -noout -subject | grep -q "CN *= *system:node:$NODE_NAME\$"; then
    cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  fi
)
for u in admin kcm scheduler kube-proxy kubelet; do kubeconfig "$u"; done
cp "$K8S_HOME/admin.kubeconfig" "$KUBECONFIG_FILE"

# ---------- etcd (plain HTTP on loopback: tests on this machine only) ----------
start_bg etcd etcd --name ottoscaler --data-dir "$STATE/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster ottoscaler=http://127.0.0.1:2380 --log-level warn

# ---------- containerd (private socket and root: never touches a system containerd) ----------
cat >"$STATE/containerd.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  enable_selinux = false
  # Root in these VMs lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj (pause wants
  # -998): clamp to containerd's own value, or every sandbox fails with
  # "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni-conf"
EOF
# ipMasq off: pods only need the node (apiserver) and each other, nothing outside.
cat >"$STATE/cni-conf/10-ottoscaler.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "ottoscaler-net", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$STATE/cni-ipam",
            "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}}]}
EOF
start_bg containerd containerd --config "$STATE/containerd.toml" --log-level warn

# ---------- kube-apiserver ----------
waitfor etcd 30 curl -sf http://127.0.0.1:2379/health
start_apiserver

# Images go in while the apiserver starts. Namespace k8s.io is the one the CRI plugin serves.
waitfor containerd 30 ctr_k8s version
ctr_k8s images import "$IMAGES/pause.tar" >/dev/null
ctr_k8s images import "$IMAGES/busybox.tar" >/dev/null
tag_busybox
log "images imported: $(ctr_k8s images ls -q | grep -v '^sha256:' | tr '\n' ' ')"

waitfor kube-apiserver 60 apiserver_ready

# ---------- controller-manager (Job + TTL controllers) and scheduler ----------
start_bg kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig="$K8S_HOME/kcm.kubeconfig" --leader-elect=false --port=0 --secure-port=0 \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --use-service-account-credentials=true \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" --allocate-node-cidrs=false \
  --feature-gates="$FEATURE_GATES" --profiling=false --v=1
start_bg kube-scheduler "$BIN/kube-scheduler" \
  --kubeconfig="$K8S_HOME/scheduler.kubeconfig" --leader-elect=false --port=0 --secure-port=0 \
  --profiling=false --v=1

# ---------- kube-proxy: Service ClusterIPs, incl. kubernetes.default for in-cluster clients ----------
# conntrack sysctls are left alone (the *=0 flags); the VM may not allow changing them.
start_bg kube-proxy "$BIN/kube-proxy" --kubeconfig="$K8S_HOME/kube-proxy.kubeconfig" \
  --hostname-override="$NODE_NAME" --proxy-mode=iptables --cluster-cidr="$POD_CIDR" \
  --healthz-bind-address=127.0.0.1:10256 --metrics-bind-address=127.0.0.1:10249 \
  --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 --conntrack-tcp-timeout-close-wait=0 \
  --profiling=false --v=1

# ---------- kubelet ----------
# failSwapOn false: the VM may have swap. imageGCHighThresholdPercent 100: never garbage-collect
# images, they cannot be pulled back. cgroupfs driver: there is no systemd here.
cat >"$STATE/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: "$PKI/ca.crt"}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
failSwapOn: false
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
makeIPTablesUtilChains: false
nodeStatusUpdateFrequency: 2s
featureGates: {TTLAfterFinished: true}
EOF
# --oom-score-adj=0: same CAP_SYS_RESOURCE reason as restrict_oom_score_adj above.
start_bg kubelet "$BIN/kubelet" --config="$STATE/kubelet-config.yaml" \
  --kubeconfig="$K8S_HOME/kubelet.kubeconfig" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \
  --root-dir="$STATE/kubelet" --cert-dir="$STATE/kubelet/pki" \
  --container-runtime=remote --container-runtime-endpoint="unix://$CONTAINERD_SOCK" \
  --containerd="$CONTAINERD_SOCK" \
  --pod-infra-container-image="$PAUSE_IMAGE" --oom-score-adj=0 --v=1

# ---------- ready? ----------
kube_proxy_rules() { grep -q -- '-d 10.96.0.1/32 .*--dport 443' <<<"$(iptables-save -t nat 2>/dev/null)"; }
fail() {
  local c
  for c in "${COMPONENTS[@]}"; do
    is_running "$c" || { log "$c is not running; last lines of $LOGS/$c.log:"; tail -n 15 "$LOGS/$c.log" >&2 || true; }
  done
  die "$1 (logs in $LOGS; stop with hack/cluster-down.sh)"
}
waitfor "node Ready" 120 node_ready || fail "node did not become Ready"
# ServiceAccount admission rejects pods until the namespace's default SA has its token.
waitfor "default service account token" 60 default_sa_token || fail "no default service account token"
waitfor "kube-proxy rules for 10.96.0.1" 60 kube_proxy_rules || fail "kube-proxy did not program iptables"
all_running || fail "a component exited during startup"
log "cluster ready: $("$BIN/kubectl" version --short --kubeconfig "$KUBECONFIG_FILE" 2>/dev/null | tr '\n' ' ')"
print_env >&3
