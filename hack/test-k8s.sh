#!/usr/bin/env bash
# The Kubernetes tests: bring the real local cluster up if it is not (building it once, cached
# outside the repo), then run every *.k8s.test.ts against it.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(hack/cluster-up.sh)"
# The project's Node 24 and the kubectl built with the cluster, whoever calls this script.
export PATH="$PWD/node_modules/.bin:${K8S_HOME:-$HOME/.cache/ottoscaler-k8s}/bin:$PATH"
export OTTOSCALER_K8S_TESTS=1
# kube-apiserver's record of who created and deleted which Job (hack/cluster-lib.sh).
export OTTOSCALER_AUDIT_LOG=${K8S_HOME:-$HOME/.cache/ottoscaler-k8s}/state/audit/audit.log
# The PipelineRun resource the controller records its runs as (cluster-scoped: once per cluster).
kubectl apply -f manifests/base/crds/ >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd/pipelineruns.ottoscaler.io crd/workergroups.ottoscaler.io >/dev/null
exec node --test --test-concurrency=1 --test-timeout=900000 "${@:-server/**/*.k8s.test.ts}"
