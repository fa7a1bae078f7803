#!/usr/bin/env bash
# The end-to-end tests: the controller deployed in the local cluster the way users deploy it
# (`npm run deploy:local`: image built without Docker and imported, manifests/local applied),
# then driven from this machine through `kubectl port-forward` with ottoctl over gRPC, gRPC-Web
# and Connect. Brings the cluster up first if it is not (building it once, cached outside the
# repo), then runs every *.e2e.test.ts. The controller stays deployed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(hack/cluster-up.sh)"
K8S_HOME=${K8S_HOME:-$HOME/.cache/ottoscaler-k8s}
# The project's Node 24 and the kubectl built with the cluster, whoever calls this script.
export PATH="$PWD/node_modules/.bin:$K8S_HOME/bin:$PATH"
export OTTOSCALER_E2E_TESTS=1
# kube-apiserver's record of who created and deleted which Job (hack/cluster-lib.sh).
export OTTOSCALER_AUDIT_LOG=$K8S_HOME/state/audit/audit.log
exec node --test --test-concurrency=1 --test-timeout=900000 "${@:-server/**/*.e2e.test.ts}"
