#!/usr/bin/env bash
# Give a developer a namespace of their own, `ottoscaler-NAME`, with the controller's
# ServiceAccount, Role and RoleBinding (the very files of manifests/base/rbac/), and a kubeconfig that
# acts as that ServiceAccount: a controller run from a checkout (`npm start`) then has exactly the
# permissions the deployed one has, in that namespace only.
#
# Usage:   hack/setup-user.sh NAME          (NAME: a DNS label, e.g. alice)
#   eval "$(hack/setup-user.sh alice)" && npm start
# stdout carries only eval-able lines (exports and comments); progress goes to stderr.
# Idempotent: a second run changes nothing and prints the same lines.
# Env: KUBECONFIG (an admin of the cluster), OTTOSCALER_USER_KUBECONFIG_DIR (where the
#   ServiceAccount's kubeconfig is written; default ~/.kube).
# Remove with: kubectl delete namespace ottoscaler-NAME
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
  echo "usage: hack/setup-user.sh NAME   (NAME: lower-case letters, digits and '-', at most 52)" >&2
  exit 2
}
[ $# -eq 1 ] || usage
name=$1
# A DNS label (RFC 1123), short enough that ottoscaler-NAME is one too (63 characters at most).
if ! [[ $name =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || [ ${#name} -gt 52 ]; then
  echo "hack/setup-user.sh: \"$name\" is not a DNS label of at most 52 characters" >&2
  usage
fi
ns=ottoscaler-$name
sa=ottoscaler
token_secret=ottoscaler-token
out_dir=${OTTOSCALER_USER_KUBECONFIG_DIR:-$HOME/.kube}
out=$out_dir/ottoscaler-$name.kubeconfig
command -v kubectl >/dev/null || { echo "hack/setup-user.sh: kubectl is needed" >&2; exit 1; }

# retry CMD...: the API server may be restarting; try a few times before giving up.
retry() {
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    "$@" && return 0
    [ "$i" = 10 ] || { echo "hack/setup-user.sh: retrying ($i): $*" >&2; sleep 1; }
  done
  return 1
}

# An overlay made on the fly: manifests/base/rbac's files in namespace $ns, with the namespace itself
# and a token Secret for the ServiceAccount (1.24+ no longer makes one on its own).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$ROOT"/manifests/base/rbac/serviceaccount.yaml "$ROOT"/manifests/base/rbac/role.yaml \
  "$ROOT"/manifests/base/rbac/rolebinding.yaml "$tmp/"
cat >"$tmp/namespace.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
  labels:
    app.kubernetes.io/name: ottoscaler
    ottoscaler.io/user: $name
EOF
cat >"$tmp/token.yaml" <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: $token_secret
  annotations:
    kubernetes.io/service-account.name: $sa
type: kubernetes.io/service-account-token
EOF
cat >"$tmp/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $ns
resources:
  - namespace.yaml
  - serviceaccount.yaml
  - role.yaml
  - rolebinding.yaml
  - token.yaml
EOF
retry kubectl apply -k "$tmp" >&2

# The token controller fills the Secret in (well under a second).
token=
for _ in $(seq 1 150); do
  token=$(kubectl -n "$ns" get secret "$token_secret" -o jsonpath='{.data.token}' 2>/dev/null || true)
  [ -z "$token" ] || break
  sleep 0.2
done
[ -n "$token" ] || { echo "hack/setup-user.sh: the token of $ns/$sa never appeared" >&2; exit 1; }
retry kubectl -n "$ns" get secret "$token_secret" -o jsonpath='{.data.ca\.crt}' >"$tmp/ca.b64"
base64 -d "$tmp/ca.b64" >"$tmp/ca.crt"
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')

# A kubeconfig for the ServiceAccount, written afresh each time (same content when nothing changed).
mkdir -p "$out_dir"
new=$tmp/kubeconfig
touch "$new" && chmod 600 "$new"
KUBECONFIG=$new kubectl config set-cluster ottoscaler --server="$server" \
  --certificate-authority="$tmp/ca.crt" --embed-certs=true >/dev/null
KUBECONFIG=$new kubectl config set-credentials "$ns" --token="$(base64 -d <<<"$token")" >/dev/null
KUBECONFIG=$new kubectl config set-context "$ns" --cluster=ottoscaler --user="$ns" --namespace="$ns" >/dev/null
KUBECONFIG=$new kubectl config use-context "$ns" >/dev/null
if cmp -s "$new" "$out"; then
  echo "hack/setup-user.sh: $out is up to date" >&2
else
  mv "$new" "$out"
  echo "hack/setup-user.sh: wrote $out (acts as system:serviceaccount:$ns:$sa)" >&2
fi

cat <<EOF
# Namespace $ns: ServiceAccount $sa, Role ottoscaler, RoleBinding ottoscaler (manifests/base/rbac).
# Run the controller against it with the ServiceAccount's permissions, then: npm start
export KUBECONFIG=$(printf '%q' "$out")
export OTTOSCALER_EXECUTOR=kubernetes
export OTTOSCALER_NAMESPACE=$ns
EOF
