#!/usr/bin/env bash
# `npm run deploy:local`: the controller running INSIDE the local cluster, the way users deploy
# it (a Deployment with its ServiceAccount, Role, probes, non-root and read-only root filesystem).
#
#   1. brings the cluster up if it is not (hack/cluster-up.sh; as root)
#   2. builds the controller image from the working tree without Docker and imports it into the
#      node's containerd (hack/build-image.sh)
#   3. makes the hostPath PersistentVolume the data claim binds to (the cluster has no storage
#      provisioner), or makes a Released one bindable again
#   4. kubectl apply -k manifests/local (manifests/base with the local image, imagePullPolicy Never,
#      the data claim naming the local storage class), waits until the claim is Bound
#   5. restarts the rollout if a running controller pod has an older build of the same tag
#   6. waits until the Deployment is Available, then prints how to reach it
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
K8S_HOME=${K8S_HOME:-$HOME/.cache/ottoscaler-k8s}
# The controller's data claim (manifests/base/data-claim.yaml) and what it binds to here: a
# PersistentVolume of a class only the local cluster uses (manifests/local/data-claim.yaml).
CLAIM=ottoscaler-data
STORAGE_CLASS=ottoscaler-local-hostpath
PV=$NAMESPACE-$CLAIM
# The volume's directory lives with the cluster's other state (etcd, containerd, kubelet) under
# $K8S_HOME/state: hack/cluster-down.sh keeps it, and a restart of the same cluster finds it again,
# but a fresh cluster (hack/cluster-up.sh starting etcd fresh, which also wipes state/) starts
# without it, just as without the PersistentVolume object that named it: stored build logs last
# as long as the cluster that ran the builds.
DATA_DIR=$K8S_HOME/state/volumes/$PV

T0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
say() { echo "[deploy-local $(since "$T0")s] $*" >&2; }

eval "$(hack/cluster-up.sh)"
# The kubectl built with the cluster (same version as the API server), whoever calls this.
export PATH="$K8S_HOME/bin:$PATH"
say "cluster up"

t=$(date +%s.%N)
ref=$(bash hack/build-image.sh)
cache=${OTTOSCALER_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ottoscaler-image}
image_id=sha256:$(cat "$cache/ottoscaler-dev.tar.id")
say "image $ref (${image_id:7:12}) built and imported in $(since "$t") s"

# The data volume. hostPath volumes are not chowned for fsGroup: the directory is made (we run
# as root) owned by the pod's uid and gid, 65532 (manifests/base/deployment.yaml).
t=$(date +%s.%N)
mkdir -p "$DATA_DIR"
chown 65532:65532 "$DATA_DIR"
chmod 0750 "$DATA_DIR"
if ! kubectl get pv "$PV" >/dev/null 2>&1; then
  # Pre-bound to the claim (claimRef), so no other claim of the class can take it; Retain, so
  # deleting the claim (or the namespace) keeps the data. The claim's 2Gi: hostPath enforces no
  # size, retention keeps the data bounded.
  kubectl create -f - >&2 <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $PV
  labels:
    app.kubernetes.io/name: ottoscaler
spec:
  storageClassName: $STORAGE_CLASS
  capacity:
    storage: 2Gi
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  claimRef:
    namespace: $NAMESPACE
    name: $CLAIM
  hostPath:
    path: $DATA_DIR
    type: Directory
EOF
  say "PersistentVolume $PV created (hostPath $DATA_DIR) in $(since "$t") s"
else
  # Bound to the claim that exists now: left alone. Bound to a claim that is gone (the namespace
  # was deleted, say: the PersistentVolume is Released, or about to be), it would never bind
  # again: forget that claim's uid, keep its name, and the claim applied below binds to it, data
  # and all.
  read -r phase bound_uid < <(kubectl get pv "$PV" -o jsonpath='{.status.phase} {.spec.claimRef.uid}{"\n"}')
  claim_uid=$(kubectl -n "$NAMESPACE" get pvc "$CLAIM" -o jsonpath='{.metadata.uid}' 2>/dev/null || true)
  if [ -n "$bound_uid" ] && [ "$bound_uid" != "$claim_uid" ]; then
    kubectl patch pv "$PV" --type=merge \
      -p '{"spec":{"claimRef":{"uid":null,"resourceVersion":null}}}' >&2
    say "PersistentVolume $PV ($phase) names a claim that is gone: bindable by $NAMESPACE/$CLAIM again, its data kept"
  else
    say "PersistentVolume $PV ${phase:-(no phase yet)}, left alone"
  fi
fi

t=$(date +%s.%N)
kubectl apply -k manifests/local >&2
# A Pending claim would keep the pod Pending until the wait for Available below times out: say
# why at once instead.
claim_bound() { [ "$(kubectl -n "$NAMESPACE" get pvc "$CLAIM" -o jsonpath='{.status.phase}')" = Bound ]; }
for ((i = 0; i < 150; i++)); do claim_bound && break; sleep 0.2; done
if ! claim_bound; then
  kubectl -n "$NAMESPACE" describe pvc "$CLAIM" >&2
  kubectl describe pv "$PV" >&2
  say "ERROR: claim $NAMESPACE/$CLAIM is not Bound 30 s after kubectl apply"
  exit 1
fi
say "claim $CLAIM Bound to PersistentVolume $(kubectl -n "$NAMESPACE" get pvc "$CLAIM" -o jsonpath='{.spec.volumeName}') $(since "$t") s after kubectl apply"
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

It authenticates callers with the cluster (OTTOSCALER_AUTH=kubernetes): call as a
ServiceAccount bound to one of its Roles (manifests/base/rbac/callers.yaml), e.g.

  kubectl -n $NAMESPACE create serviceaccount me
  kubectl -n $NAMESPACE create rolebinding me --role=ottoscaler-operator --serviceaccount=$NAMESPACE:me
  export OTTOSCALER_TOKEN=\$(kubectl -n $NAMESPACE get secret \
    \$(kubectl -n $NAMESPACE get serviceaccount me -o jsonpath='{.secrets[0].name}') \
    -o jsonpath='{.data.token}' | base64 -d)

then try:

  npx ottoctl run examples/full.yaml
  npx ottoctl --protocol grpc run examples/full.yaml
  npx ottoctl logs --pipeline ID

and watch the workers come and go as Jobs, and the controller's JSON log:

  kubectl -n $NAMESPACE get jobs -w
  kubectl -n $NAMESPACE logs -f deployment/ottoscaler
EOF
