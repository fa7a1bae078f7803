#!/usr/bin/env bash
# `npm run deploy:local`: the controller running INSIDE the local cluster, the way users deploy
# it (a Deployment with its ServiceAccount, Role, probes, non-root and read-only root filesystem).
#
#   1. brings the cluster up if it is not (hack/cluster-up.sh; as root)
#   2. builds the controller image from the working tree without Docker and imports it into the
#      node's containerd (hack/build-image.sh)
#   3. kubectl apply -k manifests/local (manifests/base with the local image, imagePullPolicy Never)
#   4. restarts the rollout if a running controller pod has an older build of the same tag
#   5. waits until the Deployment is Available, then prints how to reach it
#
# Progress (with timings) goes to stderr; stdout gets only the closing instructions.
# Env: K8S_HOME (the cluster), OTTOSCALER_IMAGE_CACHE (the image build cache),
#   DEPLOY_TIMEOUT (seconds to wait for Available; default 180).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
NAMESPACE=ottoscaler-system
SELECTOR=app.kubernetes.io/name=ottoscaler
TIMEOUT=${DEPLOY_TIMEOUT:-180}

T0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
say() { echo "[deploy-local $(since "$T0")s] $*" >&2; }

eval "$(hack/cluster-up.sh)"
# The kubectl built with the cluster (same version as the API server), whoever calls this.
export PATH="${K8S_HOME:-$HOME/.cache/ottoscaler-k8s}/bin:$PATH"
say "cluster up"

t=$(date +%s.%N)
ref=$(bash hack/build-image.sh)
cache=${OTTOSCALER_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ottoscaler-image}
image_id=sha256:$(cat "$cache/ottoscaler-dev.tar.id")
say "image $ref (${image_id:7:12}) built and imported in $(since "$t") s"

t=$(date +%s.%N)
kubectl apply -k manifests/local >&2
# Re-importing the same tag changes nothing in the pod template: a pod running an earlier build
# keeps it until it is replaced.
stale=$(kubectl -n "$NAMESPACE" get pods -l "$SELECTOR" \
  -o jsonpath='{range .items[*]}{.status.containerStatuses[0].imageID}{"\n"}{end}' |
  awk -v id="$image_id" 'NF && $0 != id' | wc -l)
if [ "$stale" -gt 0 ]; then
  say "a running controller has an earlier image: restarting the rollout"
  kubectl -n "$NAMESPACE" rollout restart deployment/ottoscaler >&2
fi
kubectl -n "$NAMESPACE" rollout status deployment/ottoscaler --timeout="${TIMEOUT}s" >&2
kubectl -n "$NAMESPACE" wait --for=condition=Available deployment/ottoscaler --timeout="${TIMEOUT}s" >&2
say "Deployment Available $(since "$t") s after kubectl apply"

# The newest running pod that is not being deleted.
pod=$(kubectl -n "$NAMESPACE" get pods -l "$SELECTOR" --field-selector=status.phase=Running \
  --sort-by=.metadata.creationTimestamp \
  -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.deletionTimestamp}{"\n"}{end}' |
  awk 'NF == 1 {p = $1} END {print p}')
cat <<EOF

Ottoscaler runs in namespace $NAMESPACE (pod $pod, image $ref).
Reach it from this machine (to the pod: a port-forward to the Service keeps the pod it picked,
even once a rollout has stopped it):

  export KUBECONFIG=$KUBECONFIG
  kubectl -n $NAMESPACE port-forward pod/$pod 9090:9090 &

then try:

  npx ottoctl run examples/full.yaml
  npx ottoctl --protocol grpc run examples/full.yaml
  npx ottoctl logs --pipeline ID

and watch the workers come and go as Jobs, and the controller's JSON log:

  kubectl -n $NAMESPACE get jobs -w
  kubectl -n $NAMESPACE logs -f deployment/ottoscaler
EOF
