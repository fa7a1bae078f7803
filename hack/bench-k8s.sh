#!/usr/bin/env bash
# The real-cluster benchmark (npm run bench:k8s): bring the local cluster up if it is not, as
# hack/test-k8s.sh does, then race Ottoscaler against plain kubectl on it (bench/k8s-run.ts).
# Sizes: BENCH_K8S_ROUNDS, BENCH_K8S_WORKERS, BENCH_K8S_STAGES, BENCH_K8S_ONLY=scale|chain.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(hack/cluster-up.sh)"
# kubectl of the cluster's own version, built with it: the baseline runs it.
export PATH="${K8S_HOME:-$HOME/.cache/ottoscaler-k8s}/bin:$PATH"
# Node 24 from the dev dependencies (npm run puts it on PATH; plain `bash hack/bench-k8s.sh` may
# otherwise find an older system node that cannot run .ts).
export PATH="$PWD/node_modules/.bin:$PATH"
# --calls: the Kubernetes API calls per stage, with and without PipelineRuns (bench/k8s-api-calls.ts).
if [ "${1:-}" = "--calls" ]; then
  shift
  exec node bench/k8s-api-calls.ts "$@"
fi
exec node bench/k8s-run.ts "$@"
