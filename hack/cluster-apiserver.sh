#!/usr/bin/env bash
# Stop or start only kube-apiserver of the cluster started by hack/cluster-up.sh, keeping etcd
# and every other component running: the way to cut watches and make clients reconnect.
#
# Usage (as root):
#   hack/cluster-apiserver.sh stop      SIGTERM the recorded kube-apiserver, SIGKILL after 3 s; open
#                                       watches are cut at once either way
#   hack/cluster-apiserver.sh start     start it again (same flags, same etcd) and wait for /readyz
#   hack/cluster-apiserver.sh restart   stop, then start
#   hack/cluster-apiserver.sh status    print "running" or "stopped" on stdout; exit 0 only if ready
#   Env: K8S_HOME (default ~/.cache/ottoscaler-k8s)
# Progress goes to stderr. Serialised with the other hack/cluster-*.sh through $K8S_HOME/lock.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/cluster-lib.sh
source "$HERE/cluster-lib.sh"

usage() { echo "usage: $0 stop|start|restart|status" >&2; exit 2; }
[ $# -eq 1 ] || usage
require_root

do_stop() {
  if is_running kube-apiserver; then
    stop_component kube-apiserver "$APISERVER_STOP_GRACE"
    log "kube-apiserver stopped"
  else
    rm -f "$PIDS/kube-apiserver.pid"
    log "kube-apiserver was not running"
  fi
}
do_start() {
  if is_running kube-apiserver; then
    log "kube-apiserver already running"
  else
    if [ ! -f "$STATE/node-ip" ] || ! is_running etcd; then
      die "no running cluster in $K8S_HOME (run hack/cluster-up.sh)"
    fi
    start_apiserver
  fi
  waitfor kube-apiserver 60 apiserver_ready || die "kube-apiserver not ready; see $LOGS/kube-apiserver.log"
}

case $1 in
  stop) cluster_lock && do_stop ;;
  start) cluster_lock && do_start ;;
  restart) cluster_lock && do_stop && do_start ;;
  status)
    if is_running kube-apiserver; then echo running; else echo stopped; fi
    apiserver_ready
    ;;
  *) usage ;;
esac
