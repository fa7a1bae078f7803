#!/usr/bin/env bash
# Build the Ottoscaler controller image WITHOUT Docker and import it into the local cluster's
# containerd (hack/cluster-up.sh), as `ottoscaler:dev` — the reference the kubelet resolves the
# Deployment's `image: ottoscaler:dev` to: docker.io/library/ottoscaler:dev.
#
# Usage:   hack/build-image.sh            prints the image reference on stdout, progress on stderr
#   Env:   IMAGE (default ottoscaler:dev), IMPORT=0 (build the tar only),
#          OTTOSCALER_IMAGE_CACHE (default ~/.cache/ottoscaler-image), K8S_HOME (the cluster's).
#
# The image is what the Dockerfile builds, assembled by hand: the Node binary of the version the
# project pins (package.json devDependencies.node: the npm package's Linux binary) with the glibc
# libraries ldd lists, busybox as /bin/sh (for `kubectl exec`), the production node_modules
# (npm ci --omit=dev), then server/ gen/ package*.json in /app; user 65532, CMD node server/main.ts.
# It is written as a docker-archive tar of three layers (runtime, dependencies, app), each cached
# under $OTTOSCALER_IMAGE_CACHE: after a source change only the small app layer is rebuilt, and an
# image containerd already holds is not imported again. Pods already running keep their old
# image: `kubectl -n ottoscaler-system rollout restart deployment/ottoscaler` picks up a new one
# (`npm run deploy:local` does that for you).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The cluster's paths and lock (K8S_HOME, CONTAINERD_SOCK, ctr_k8s, cluster_lock); keep our PATH.
saved_path=$PATH
# shellcheck source=hack/cluster-lib.sh
source "$ROOT/hack/cluster-lib.sh"
export PATH=$saved_path

IMAGE=${IMAGE:-ottoscaler:dev}
IMPORT=${IMPORT:-1}
CACHE=${OTTOSCALER_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ottoscaler-image}
# Bump when the recipe of a layer changes, so cached layers are rebuilt.
RECIPE=3
UID_GID=65532

# Normalise the reference as containerd does for a docker-archive's RepoTags.
name=${IMAGE%:*} tag=${IMAGE##*:}
[ "$name" != "$IMAGE" ] || tag=latest
case $name in
  */*/*) ref=$name:$tag ;;
  */*) case ${name%%/*} in *.* | *:* | localhost) ref=$name:$tag ;; *) ref=docker.io/$name:$tag ;; esac ;;
  *) ref=docker.io/library/$name:$tag ;;
esac

T0=$(date +%s.%N)
say() { awk -v a="$T0" -v b="$(date +%s.%N)" -v m="$*" 'BEGIN{printf "[build-image %5.1fs] %s\n", b-a, m}' >&2; }
fail() { say "ERROR: $*"; exit 1; }
sha() { sha256sum "$@" | cut -d' ' -f1; }
for tool in npm node tar sha256sum ldd chroot; do
  command -v "$tool" >/dev/null || fail "$tool is needed"
done
case $(uname -m) in
  x86_64) arch=amd64 npm_arch=x64 ;;
  aarch64) arch=arm64 npm_arch=arm64 ;;
  *) fail "unsupported architecture $(uname -m)" ;;
esac
mkdir -p "$CACHE"
exec 8>"$CACHE/lock"
flock 8 # one build at a time per cache

# layer_tar DIR OUT [MODE]: a reproducible tar of DIR (root-owned, mtime 0, sorted).
layer_tar() {
  local mode=()
  [ -z "${3:-}" ] || mode=(--mode="$3")
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 "${mode[@]}" -C "$1" -cf "$2.tmp" .
  mv "$2.tmp" "$2"
  sha "$2" >"$2.sha256"
}

# ---------- 1. runtime layer: node + its shared libraries + busybox + /etc ----------
node_version=$(node -p 'require(process.argv[1]).devDependencies.node' "$ROOT/package.json")
node_bin=$ROOT/node_modules/node/bin/node
if [ "$("$node_bin" --version 2>/dev/null)" != "v$node_version" ]; then
  # Not installed in the repo (or another version): the same binary, straight from the registry.
  node_bin=$CACHE/node-v$node_version/node_modules/node-linux-$npm_arch/bin/node
  if [ "$("$node_bin" --version 2>/dev/null)" != "v$node_version" ]; then
    say "fetching node-linux-$npm_arch@$node_version from the npm registry"
    rm -rf "$CACHE/node-v$node_version"
    npm install --prefix "$CACHE/node-v$node_version" --no-save --no-audit --no-fund \
      --ignore-scripts "node-linux-$npm_arch@$node_version" >&2
  fi
fi
[ "$("$node_bin" --version)" = "v$node_version" ] || fail "no Node $node_version binary"
busybox=$(command -v busybox || true)
mapfile -t libs < <(ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
base_key=$({
  echo "recipe $RECIPE $arch"
  sha "$node_bin"
  [ -z "$busybox" ] || sha "$busybox"
  for lib in "${libs[@]}"; do echo "$lib $(sha "$lib")"; done
} | sha -)
base=$CACHE/base-${base_key:0:16}
if [ ! -f "$base/layer.tar.sha256" ]; then
  say "building the runtime layer (node $node_version, ${#libs[@]} libraries)"
  rm -rf "$base" && mkdir -p "$base/root"
  r=$base/root
  mkdir -p "$r/usr/local/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/bin" "$r/app" "$r/nonexistent"
  chmod 1777 "$r/tmp"
  cp "$node_bin" "$r/usr/local/bin/node"
  for lib in "${libs[@]}"; do # /lib/x86_64-linux-gnu/*.so*, /lib64/ld-linux-x86-64.so.2
    mkdir -p "$r$(dirname "$lib")" && cp -L "$lib" "$r$lib"
  done
  if [ -n "$busybox" ]; then # a shell for `kubectl exec` and debugging (static, ~2 MB)
    cp "$busybox" "$r/bin/busybox"
    for applet in $("$r/bin/busybox" --list); do
      [ -e "$r/bin/$applet" ] || ln -s busybox "$r/bin/$applet"
    done
  fi
  printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:%s:%s:nonroot:/nonexistent:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    "$UID_GID" "$UID_GID" >"$r/etc/passwd"
  printf 'root:x:0:\nnonroot:x:%s:\nnobody:x:65534:\n' "$UID_GID" >"$r/etc/group"
  chmod -R a+rX,go-w "$r/usr" "$r/etc" "$r/bin" "$r/app"
  [ ! -d "$r/lib" ] || chmod -R a+rX,go-w "$r/lib"
  [ ! -d "$r/lib64" ] || chmod -R a+rX,go-w "$r/lib64"
  layer_tar "$r" "$base/layer.tar"
fi

# ---------- 2. dependencies layer: production node_modules ----------
deps_key=$({
  echo "recipe $RECIPE"
  sha "$ROOT/package.json" "$ROOT/package-lock.json"
} | sha -)
deps=$CACHE/deps-${deps_key:0:16}
if [ ! -f "$deps/layer.tar.sha256" ]; then
  say "building the dependencies layer (npm ci --omit=dev)"
  rm -rf "$deps" && mkdir -p "$deps/root/app"
  cp "$ROOT/package.json" "$ROOT/package-lock.json" "$deps/root/app/"
  # Pure JavaScript dependencies, no install scripts: the host's npm is fine.
  (cd "$deps/root/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline \
    --loglevel=error >&2)
  rm "$deps/root/app/package.json" "$deps/root/app/package-lock.json"
  # Source maps and type declarations are never loaded at run time.
  find "$deps/root/app/node_modules" -type f \
    \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete
  layer_tar "$deps/root" "$deps/layer.tar" a+rX,go-w
fi

# Layers of earlier versions go (the cache keeps only what this build uses).
for old in "$CACHE"/base-* "$CACHE"/deps-*; do
  [ "$old" = "$base" ] || [ "$old" = "$deps" ] || [ ! -d "$old" ] || rm -rf "$old"
done

# ---------- 3. app layer: server/ gen/ package*.json (rebuilt every time; small) ----------
app=$CACHE/app
rm -rf "$app" && mkdir -p "$app/root/app"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$app/root/app/"
# Tests and test helpers stay out, as in .dockerignore.
tar -C "$ROOT" -cf - --exclude='*.test.ts' --exclude='server/testing' --exclude='*.d.ts' server gen |
  tar -C "$app/root/app" -xf -
layer_tar "$app/root" "$app/layer.tar" a+rX,go-w

# ---------- 4. image config and docker-archive ----------
layers=("$base/layer.tar" "$deps/layer.tar" "$app/layer.tar")
diff_ids=() history=()
for l in "${layers[@]}"; do
  diff_ids+=("\"sha256:$(cat "$l.sha256")\"")
  history+=("{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"hack/build-image.sh $(basename "$(dirname "$l")")\"}")
done
config=$(
  IFS=,
  cat <<EOF
{"architecture":"$arch","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"User":"$UID_GID:$UID_GID",
  "Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","NODE_ENV=production"],
  "Cmd":["node","server/main.ts"],"WorkingDir":"/app","ExposedPorts":{"9090/tcp":{}},
  "StopSignal":"SIGTERM"},
 "rootfs":{"type":"layers","diff_ids":[${diff_ids[*]}]},
 "history":[${history[*]}]}
EOF
)
image_id=$(printf '%s' "$config" | sha -)
archive=$CACHE/$(basename "$name")-$tag.tar
if [ "$(cat "$archive.id" 2>/dev/null)" != "$image_id" ] || [ ! -f "$archive" ]; then
  # Before packaging: the assembled filesystem loads the whole server, as the user it runs as.
  smoke=$CACHE/smoke
  rm -rf "$smoke" && mkdir -p "$smoke"
  for l in "$base" "$deps" "$app"; do cp -al "$l/root/." "$smoke/"; done
  # shellcheck disable=SC2016 # ${...} is JavaScript
  env -i PATH=/usr/local/bin:/bin HOME=/nonexistent NODE_ENV=production \
    "$(command -v chroot)" --userspec="$UID_GID:$UID_GID" "$smoke" /usr/local/bin/node --input-type=module -e '
      process.chdir("/app");
      await import("/app/server/config/config.ts");
      await import("/app/server/app.ts");
      await import("/app/server/http/server.ts");
      process.stdout.write(`${process.version} loads the server in the image as uid ${process.getuid()}\n`);
    ' >&2 || fail "the assembled image cannot load the server (see above)"
  rm -rf "$smoke"
  d=$CACHE/archive
  rm -rf "$d" && mkdir -p "$d"
  printf '%s' "$config" >"$d/$image_id.json"
  manifest_layers=()
  for l in "${layers[@]}"; do
    s=$(cat "$l.sha256")
    mkdir -p "$d/$s" && ln "$l" "$d/$s/layer.tar"
    manifest_layers+=("\"$s/layer.tar\"")
  done
  (
    IFS=,
    printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":[%s]}]\n' \
      "$image_id" "$name:$tag" "${manifest_layers[*]}" >"$d/manifest.json"
  )
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$d" -cf "$archive.tmp" .
  mv "$archive.tmp" "$archive"
  echo "$image_id" >"$archive.id"
  rm -rf "$d"
  say "docker-archive written: $archive ($(du -h "$archive" | cut -f1), image id ${image_id:0:12})"
else
  say "image unchanged (id ${image_id:0:12}): $archive"
fi

# ---------- 5. import into the cluster's containerd (namespace k8s.io: what the kubelet sees) ----------
if [ "$IMPORT" = 1 ]; then
  [ -S "$CONTAINERD_SOCK" ] || fail "no containerd at $CONTAINERD_SOCK: start the cluster (eval \"\$(hack/cluster-up.sh)\") or set IMPORT=0"
  cluster_lock # not while hack/cluster-up.sh is wiping and restarting containerd
  current() { ctr_k8s images ls "name==$ref" 2>/dev/null | awk -v r="$ref" '$1 == r {print $3}'; }
  imported=$(cat "$CACHE/imported" 2>/dev/null || true)
  have=$(current)
  if [ -n "$have" ] && [ "$imported" = "$image_id $have" ]; then
    say "containerd already has $ref (id ${image_id:0:12})"
  else
    ctr_k8s images import "$archive" >/dev/null
    have=$(current)
    [ -n "$have" ] || fail "imported $archive but containerd has no $ref"
    echo "$image_id $have" >"$CACHE/imported"
    say "imported $ref ($have) into $CONTAINERD_SOCK"
  fi
fi
echo "$ref"
