#!/usr/bin/env bash
# Build (once) what the local Kubernetes 1.20.2 cluster needs, cached under $K8S_HOME
# (default ~/.cache/ottoscaler-k8s): kube-apiserver, kube-controller-manager, kube-scheduler,
# kube-proxy, kubelet, kubectl, a static pause binary, and busybox/pause image tarballs.
#
# Usage: hack/cluster-build.sh        (as root; hack/cluster-up.sh runs it for you)
#   Env: K8S_HOME   cache/state directory
#
# Why built from source: these machines reach only Debian's archive and the npm registry, so no
# release binaries or container images can be downloaded. Debian bookworm ships Kubernetes 1.20.2
# as a source package (upstream tree with vendor/), and Go 1.19 from golang-go builds it.
# Cold: about 5 minutes and 1.5 GB of RAM on 2 vCPUs; every later run finds the cache and
# returns at once. All output goes to stderr; build logs land in $K8S_HOME/logs/.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/cluster-lib.sh
source "$HERE/cluster-lib.sh"
exec 1>&2 # progress only; nothing of ours belongs on stdout
require_root
cluster_lock

SRCROOT=$K8S_HOME/src
KUBE_BINS=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl)

# Debian packages. Runtime: what the running cluster executes. Build: compiler, source, images.
RUNTIME_PKGS=(etcd-server containerd runc containernetworking-plugins iptables openssl curl iproute2 util-linux)
BUILD_PKGS=(golang-go golang-github-modern-go-reflect2-dev gcc libc6-dev make rsync dpkg-dev busybox-static)

src_dir() { compgen -G "$SRCROOT/kubernetes-*/" | head -n1 | sed 's:/$::'; }

all_built() {
  local b
  for b in "${KUBE_BINS[@]}" pause; do [ -x "$BIN/$b" ] || return 1; done
  [ -f "$IMAGES/busybox.tar" ] && [ -f "$IMAGES/pause.tar" ]
}

missing_pkgs() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' || echo "$p"
  done
}

# `apt-get source` needs a deb-src entry; derive one from the machine's own Debian sources.
ensure_deb_src() {
  if grep -Eqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources || grep -Eqs '^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list; then
    return 0
  fi
  local f=/etc/apt/sources.list.d/ottoscaler-debian-src
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    f=$f.sources
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$f"
  elif [ -f /etc/apt/sources.list ]; then
    f=$f.list
    sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list >"$f"
  else
    die "no Debian apt sources found to derive a deb-src entry from"
  fi
  log "added deb-src entry $f"
}

# Install missing packages; `apt-get update` at most once, and only if something is missing.
# policy-rc.d (exit 101) keeps etcd/containerd from starting as system services on install
# (they would take ports 2379/2380 or /run/containerd); it is only added if the box has none.
ensure_packages() {
  local need_src=$1; shift
  local missing
  mapfile -t missing < <(missing_pkgs "$@")
  [ "${#missing[@]}" -gt 0 ] || [ "$need_src" = 1 ] || return 0
  [ "$need_src" = 1 ] && ensure_deb_src
  log "apt-get update"
  apt-get update -q >"$LOGS/apt.log" 2>&1 || { tail -n 20 "$LOGS/apt.log" >&2; die "apt-get update failed"; }
  [ "${#missing[@]}" -gt 0 ] || return 0
  log "apt-get install ${missing[*]}"
  local added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 "${missing[@]}" >>"$LOGS/apt.log" 2>&1 || rc=$?
  [ "$added_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || { tail -n 20 "$LOGS/apt.log" >&2; die "apt-get install failed (see $LOGS/apt.log)"; }
}

mkdir -p "$K8S_HOME" "$BIN" "$IMAGES" "$LOGS"

if all_built; then
  # Still make sure the runtime packages exist (a cache copied to a fresh machine).
  ensure_packages 0 "${RUNTIME_PKGS[@]}"
  log "build cache complete in $K8S_HOME"
  exit 0
fi

need_src=0
[ -n "$(src_dir)" ] || need_src=1
ensure_packages "$need_src" "${RUNTIME_PKGS[@]}" "${BUILD_PKGS[@]}"

# ---------- source: Debian's kubernetes 1.20.5+really1.20.2 (upstream 1.20.2 + vendor/) ----------
if [ "$need_src" = 1 ]; then
  log "apt-get source kubernetes"
  rm -rf "$SRCROOT" && mkdir -p "$SRCROOT"
  (cd "$SRCROOT" && apt-get source -q kubernetes) >"$LOGS/apt-source.log" 2>&1 ||
    { tail -n 20 "$LOGS/apt-source.log" >&2; die "apt-get source kubernetes failed"; }
fi
SRC=$(src_dir)
[ -n "$SRC" ] || die "no kubernetes source under $SRCROOT"
case $SRC in *1.20.2*) ;; *) log "warning: $SRC is not the 1.20.2 this recipe was checked with" ;; esac

# REQUIRED with Go >= 1.18: the vendored github.com/modern-go/reflect2 v1.0.1 calls
# reflect.mapiterinit with its pre-1.18 signature, so kube-apiserver corrupts memory and dies
# with SIGSEGV (reflect2.UnsafeMapType.UnsafeIterate) as soon as a map (labels!) is encoded.
# Debian's reflect2 1.0.2 has the same API and knows Go 1.18+.
R=$SRC/vendor/github.com/modern-go/reflect2
if [ ! -f "$R/go_above_118.go" ]; then
  log "replacing vendored reflect2 v1.0.1 with Debian's 1.0.2"
  rm -rf "$R" && cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$R"
  sed -i 's|^# github.com/modern-go/reflect2 v1.0.1 => github.com/modern-go/reflect2 v1.0.1|# github.com/modern-go/reflect2 v1.0.2 => github.com/modern-go/reflect2 v1.0.2|' \
    "$SRC/vendor/modules.txt"
fi

# ---------- Go build, GOPATH mode as upstream's hack/lib/init.sh (staging via vendor/ symlinks) ----------
export GOPATH=$K8S_HOME/gopath GOCACHE=$K8S_HOME/gocache GO111MODULE=off CGO_ENABLED=0
unset GOFLAGS
mkdir -p "$GOPATH/src/k8s.io"
ln -sfn "$SRC" "$GOPATH/src/k8s.io/kubernetes"
cd "$GOPATH/src/k8s.io/kubernetes"

# The tarball lacks pkg/generated/openapi/zz_generated.openapi.go; `make gen_openapi` builds
# openapi-gen and writes it (it sets up its own GOPATH, hence the unset; needs rsync).
if [ ! -f pkg/generated/openapi/zz_generated.openapi.go ]; then
  log "make gen_openapi"
  (unset GOPATH && make gen_openapi) >"$LOGS/gen_openapi.log" 2>&1 ||
    { tail -n 30 "$LOGS/gen_openapi.log" >&2; die "make gen_openapi failed"; }
fi

P=k8s.io/kubernetes/vendor/k8s.io
LDF="-s -w"
for v in $P/component-base/version $P/client-go/pkg/version; do
  LDF="$LDF -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=20 -X $v.gitTreeState=clean -X $v.buildDate=2021-01-13T00:00:00Z"
done
for c in "${KUBE_BINS[@]}"; do
  [ -x "$BIN/$c" ] && continue
  log "go build $c"
  # Write to a temp name first: an interrupted build must not leave a "built" binary behind.
  go build -ldflags "$LDF" -o "$BIN/.$c.tmp" "./cmd/$c" >"$LOGS/build-$c.log" 2>&1 ||
    { tail -n 30 "$LOGS/build-$c.log" >&2; die "go build $c failed"; }
  mv "$BIN/.$c.tmp" "$BIN/$c"
done

# The pod sandbox image's single binary, compiled statically from the source tree.
if [ ! -x "$BIN/pause" ]; then
  log "gcc pause"
  gcc -Os -static -DVERSION=v3.4.1-local -o "$BIN/.pause.tmp" "$SRC/build/pause/linux/pause.c"
  mv "$BIN/.pause.tmp" "$BIN/pause"
fi

# ---------- images as docker-archive tars (no registry, no docker) ----------
# mkimage NAME TAG ROOTFS CMD_JSON ENTRYPOINT_JSON: one layer, a config, a manifest.json.
mkimage() {
  local name=$1 tag=$2 rootfs=$3 cmd=$4 ep=$5 d lsha csha out
  d=$IMAGES/work/$(basename "$name")-img
  out=$IMAGES/$(basename "$name").tar
  rm -rf "$d" && mkdir -p "$d"
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$rootfs" -cf "$d/layer.tar" .
  lsha=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
  mkdir -p "$d/$lsha" && mv "$d/layer.tar" "$d/$lsha/layer.tar"
  cat >"$d/config.json" <<EOF
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Entrypoint":$ep,"Cmd":$cmd,"WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$lsha"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"ottoscaler hack/cluster-build.sh"}]}
EOF
  csha=$(sha256sum "$d/config.json" | cut -d' ' -f1)
  mv "$d/config.json" "$d/$csha.json"
  echo "[{\"Config\":\"$csha.json\",\"RepoTags\":[\"$name:$tag\"],\"Layers\":[\"$lsha/layer.tar\"]}]" >"$d/manifest.json"
  tar --numeric-owner --owner=0 --group=0 -C "$d" -cf "$out.tmp" manifest.json "$csha.json" "$lsha"
  mv "$out.tmp" "$out"
  rm -rf "$d"
}

if [ ! -f "$IMAGES/busybox.tar" ] || [ ! -f "$IMAGES/pause.tar" ]; then
  log "building busybox and pause images"
  W=$IMAGES/work
  rm -rf "$W" && mkdir -p "$W"
  # busybox: Debian's busybox-static plus applet symlinks and a minimal /etc.
  R=$W/busybox-root
  mkdir -p "$R/bin" "$R/etc" "$R/tmp" "$R/root" "$R/proc" "$R/sys" "$R/dev" "$R/var" "$R/usr"
  cp /bin/busybox "$R/bin/busybox"
  for a in $("$R/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
  ln -s ../bin "$R/usr/bin" && ln -s bin "$R/sbin" && ln -s ../bin "$R/usr/sbin"
  chmod 1777 "$R/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$R/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$R/etc/group"
  mkimage "$BUSYBOX_REPO" "$BUSYBOX_TAG" "$R" '["sh"]' 'null'
  P=$W/pause-root
  mkdir -p "$P" && cp "$BIN/pause" "$P/pause"
  mkimage "$PAUSE_REPO" "$PAUSE_TAG" "$P" 'null' '["/pause"]'
  rm -rf "$W"
fi

all_built || die "build finished but outputs are missing"
log "build done: $(du -sh "$BIN" | cut -f1) of binaries in $BIN"
