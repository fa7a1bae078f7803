#!/usr/bin/env bash
# Stop the local cluster started by hack/cluster-up.sh and clean up after it.
#
# Usage (as root): hack/cluster-down.sh
#   Env: K8S_HOME (default ~/.cache/ottoscaler-k8s)
#
# Signals only the PIDs recorded in $K8S_HOME/pids/ (checked against their start time, so a
# recycled PID is never hit) plus the containerd shims and container processes that our own
# containerd started (found by its private socket path), never anything matched by name.
# Then unmounts what lies under $K8S_HOME/state, removes kube-proxy's iptables chains and the
# cni0 bridge. Idempotent: with nothing recorded it only says so. The build cache, PKI and the
# last state (logs, etcd data) stay; the next hack/cluster-up.sh starts fresh.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/cluster-lib.sh
source "$HERE/cluster-lib.sh"
exec 1>&2 # progress only; nothing of ours belongs on stdout
require_root
cluster_lock

if ! any_recorded; then
  log "no cluster recorded in $K8S_HOME; nothing to stop"
  exit 0
fi

had_proxy=0
[ -f "$PIDS/kube-proxy.pid" ] && had_proxy=1

# kubelet first, so it does not restart the containers we are about to kill.
stop_component kubelet 10
stop_component kube-proxy 5

# Containers: through our containerd while it is alive (ctr delete also ends their shims).
if is_running containerd && ctr_k8s version >/dev/null 2>&1; then
  for t in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true; done
  sleep 1
  for t in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks rm -f "$t" >/dev/null 2>&1 || true; done
  for c in $(ctr_k8s containers ls -q 2>/dev/null); do ctr_k8s containers rm "$c" >/dev/null 2>&1 || true; done
fi

# Shims that outlived that (containerd already dead, say): those whose argv names our socket.
our_shims() {
  local d p a args
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    mapfile -d '' -t args <"$d/cmdline" 2>/dev/null || continue
    [[ ${#args[@]} -gt 2 && ${args[0]##*/} == containerd-shim* ]] || continue
    for a in "${args[@]}"; do [ "$a" = "$CONTAINERD_SOCK" ] && { echo "$p"; break; }; done
  done
}
children_of() { # PID: direct children (a shim's children are its containers' init processes)
  local d s fields
  for d in /proc/[0-9]*; do
    s=$(cat "$d/stat" 2>/dev/null) || continue
    read -r -a fields <<<"${s##*) }"
    [ "${fields[1]}" = "$1" ] && echo "${d#/proc/}"
  done
  return 0
}
for shim in $(our_shims); do
  for child in $(children_of "$shim"); do kill -9 "$child" 2>/dev/null || true; done
  kill "$shim" 2>/dev/null || true
done

# Control plane, then containerd and etcd.
stop_component kube-scheduler 10
stop_component kube-controller-manager 10
stop_component kube-apiserver "$APISERVER_STOP_GRACE"
stop_component containerd 10
stop_component etcd 10
rm -rf "$PIDS"

# Overlay rootfs, sandbox shm and secret tmpfs mounts all live under our state dir.
awk -v s="$STATE/" 'index($2, s) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done

# kube-proxy leaves its KUBE-* iptables chains behind; the bridge plugin leaves cni0.
# `kube-proxy --cleanup` removes the service rules, then exits non-zero on the IPVS/ipset part
# (no ipset here); the empty canary/mark chains it and the kubelet made are removed by hand.
if [ "$had_proxy" = 1 ] && [ -x "$BIN/kube-proxy" ]; then
  "$BIN/kube-proxy" --cleanup >"$LOGS/kube-proxy-cleanup.log" 2>&1 || true
  for table in mangle nat filter; do
    for chain in KUBE-PROXY-CANARY KUBE-KUBELET-CANARY KUBE-MARK-DROP KUBE-MARK-MASQ; do
      if iptables -t "$table" -F "$chain" 2>/dev/null; then iptables -t "$table" -X "$chain" 2>/dev/null || true; fi
    done
  done
fi
ip link del cni0 2>/dev/null || true
log "cluster stopped"
