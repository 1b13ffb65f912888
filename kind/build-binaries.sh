#!/usr/bin/env bash
# Builds the local control plane's binaries (and, for a real node, kubelet, kube-proxy, CoreDNS,
# Traefik, MetalLB's controller, local-path-provisioner and MinIO) from source through the Go module proxy.
# Used when no prebuilt binaries are available (no KUBEBUILDER_ASSETS / KWOK_KUBE_BINARY_PREFIX,
# nothing cached, no release download). Cold this takes 20-35 minutes on 2 cores; Go's own build
# and module caches make a rebuild take a minute or two.
#
#   build-binaries.sh <kubernetes version, e.g. v1.32.13> <etcd version> <kwok version> <coredns version>
#                     <traefik version> <metallb version> <local-path-provisioner version> <minio version>
#                     <out dir> <name>...
# Only the named binaries that are not in <out dir> yet are built.
set -euo pipefail
k8s=$1 etcd=$2 kwok=$3 coredns=$4 traefik=$5 metallb=$6 localpath=$7 minio=$8 out=$9
shift 9
wanted=" $* "
minor=${k8s#v}; minor=${minor%.*}            # 1.32
staging=v0.${k8s#v1.}                         # v0.32.13
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$work"

step() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
missing() { [[ $wanted == *" $1 "* && ! -x "$out/$1" ]]; }
# Build into a staging dir and move at the end, so an interrupted build never leaves a partial binary
# in the cache under its final name. Binaries already in the cache were checked by the caller
# (a broken one is deleted first), so they are kept.
mkdir -p "$work/bin"

k8s_wanted=false
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy etcd; do
  missing "$cmd" && k8s_wanted=true
done

if $k8s_wanted; then
  # k8s.io/kubernetes cannot be `go install`ed: its go.mod requires every staging module at v0.0.0 and
  # points them at ./staging with replace directives. A wrapper module replaces each one with its
  # published version instead. The list comes from that release's own go.mod, so it is never stale.
  step "resolving k8s.io/kubernetes $k8s"
  gomod=$(go mod download -json "k8s.io/kubernetes@$k8s" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module workshop.local/control-plane"
    echo "go 1.24"
    echo "require ("
    echo "  k8s.io/kubernetes $k8s"
    echo "  go.etcd.io/etcd/server/v3 $etcd"
    echo ")"
    grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod" |
      awk -v v="$staging" '{ print "replace " $1 " => " $1 " " v }'
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools

// Keeps the commands' modules in go.mod when `go mod tidy` runs.
package tools

import (
	_ "go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "k8s.io/kubernetes/cmd/kubelet/app"
	_ "k8s.io/kubernetes/cmd/kube-proxy/app"
	_ "k8s.io/kubectl/pkg/cmd"
)
GO
  step "downloading modules"
  go mod tidy

  # Without these the binaries report v0.0.0 from /version.
  pkgs="k8s.io/component-base/version k8s.io/client-go/pkg/version"
  ldflags="-s -w"
  for p in $pkgs; do
    ldflags+=" -X $p.gitVersion=$k8s -X $p.gitMajor=1 -X $p.gitMinor=${minor#1.} -X $p.gitTreeState=clean"
  done

  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy; do
    missing "$cmd" || continue
    step "building $cmd"
    go build -trimpath -ldflags "$ldflags" -o "$work/bin/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  done
  if missing etcd; then
    step "building etcd $etcd"
    go build -trimpath -ldflags "-s -w" -o "$work/bin/etcd" go.etcd.io/etcd/server/v3
  fi
fi
if missing kwok || missing kwokctl; then
  step "building kwok $kwok"
  GOBIN="$work/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$kwok" "sigs.k8s.io/kwok/cmd/kwokctl@$kwok"
fi
if missing coredns; then
  step "building coredns $coredns"
  GOBIN="$work/bin" go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$coredns"
fi
if missing traefik; then
  # Traefik cannot be `go install`ed either: its go.mod replaces libraries with Containous' forks.
  # A second wrapper module requires Traefik alone and repeats those replace (and exclude) lines,
  # taken from that release's own go.mod, so Go selects exactly the versions Traefik's own build
  # uses. A replace with a local folder could not be repeated: the published module lacks it.
  step "resolving traefik $traefik"
  gomod=$(go mod download -json "github.com/traefik/traefik/v3@$traefik" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  if grep -qE '=> \.{1,2}/' "$gomod"; then
    echo "traefik $traefik replaces a module with a local folder, which the published module lacks; pick another release" >&2
    exit 1
  fi
  mkdir "$work/traefik"
  {
    echo "module workshop.local/traefik"
    grep -m1 '^go ' "$gomod"
    echo "require github.com/traefik/traefik/v3 $traefik"
    sed -n '/^replace (/,/^)/p; /^replace [^(]/p; /^exclude /p' "$gomod"
  } > "$work/traefik/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/traefik/traefik/v3/cmd/traefik"\n' > "$work/traefik/tools.go"
  step "building traefik $traefik"
  (cd "$work/traefik" && go mod tidy &&
    go build -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$traefik" \
      -o "$work/bin/traefik" github.com/traefik/traefik/v3/cmd/traefik)
fi
if missing metallb-controller; then
  step "building metallb controller $metallb"
  GOBIN="$work/metallb" go install -trimpath -ldflags "-s -w" "go.universe.tf/metallb/controller@$metallb"
  mv "$work/metallb/controller" "$work/bin/metallb-controller"
fi
if missing local-path-provisioner; then
  # Measured cold (empty Go caches, 2 cores): about 2.5 min.
  step "building local-path-provisioner $localpath"
  GOBIN="$work/bin" go install -trimpath -ldflags "-s -w" "github.com/rancher/local-path-provisioner@$localpath"
fi
if missing minio; then
  # Measured cold (empty Go caches, 2 cores): about 3 min.
  step "building minio $minio"
  GOBIN="$work/bin" go install -trimpath -ldflags "-s -w" "github.com/minio/minio@$minio"
fi
for built in "$work"/bin/*; do [ -e "$built" ] && mv "$built" "$out"/; done
step "done: $(ls "$out" | tr '\n' ' ')"
