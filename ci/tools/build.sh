#!/usr/bin/env bash
# Builds the pinned tools of ci/tools.json from the Go module proxy into a cache
# outside the repo:
#
#   ${GITOPS_FLOW_CACHE:-$HOME/.cache/gitops-flow}/bin/<tool>-<version>/<binary>
#
# Usage:
#   ci/tools/build.sh [TOOL...]          build the tools (default: all) if missing
#   ci/tools/build.sh --print-dir TOOL   build TOOL if missing, print its bin dir
#   ci/tools/build.sh --sync [TOOL...]   after a version bump in ci/tools.json:
#                                        repin the wrapper modules (go.mod, go.sum)
#
# TOOL is one of: kustomize kubectl kubernetes kwok etcd
#   kubernetes = kube-apiserver, kube-controller-manager, kube-scheduler
#
# Each tool is built from a committed wrapper module (ci/tools/<dir>/go.mod and
# go.sum), so the committed go.sum pins the content of everything built.
# Nothing but --print-dir's answer is written to stdout; progress goes to stderr.
# A build goes to a temp dir that is renamed into place, so a killed build never
# leaves a half binary; a lock per tool lets concurrent callers wait for it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
MANIFEST="$REPO/ci/tools.json"
CACHE="${GITOPS_FLOW_CACHE:-$HOME/.cache/gitops-flow}"
BIN_ROOT="$CACHE/bin"
ALL_TOOLS=(kustomize kubectl kubernetes kwok etcd)
# Each wrapper module stands alone: ignore any go.work above the repo.
export GOWORK=off
GO_PID=""

log() { printf '%s\n' "build.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
}

# shellcheck disable=SC2016 # JavaScript in single quotes
manifest_version() { # <key>
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const v = m[process.argv[2]];
    if (typeof v !== "string" || !/^v\d+\.\d+\.\d+/.test(v)) {
      console.error(`ci/tools.json: no version string for "${process.argv[2]}"`);
      process.exit(1);
    }
    process.stdout.write(v);
  ' "$MANIFEST" "$1"
}

# Per-tool facts: wrapper module dir, pinned module, and "package=binary" pairs.
tool_dir() {
  case "$1" in
    kustomize) echo kustomize ;;
    kubectl | kubernetes) echo kubernetes ;;
    kwok) echo kwok ;;
    etcd) echo etcd ;;
    *) return 1 ;;
  esac
}
tool_module() {
  case "$1" in
    kustomize) echo sigs.k8s.io/kustomize/kustomize/v5 ;;
    kubectl | kubernetes) echo k8s.io/kubernetes ;;
    kwok) echo sigs.k8s.io/kwok ;;
    etcd) echo go.etcd.io/etcd/server/v3 ;;
  esac
}
tool_packages() {
  case "$1" in
    kustomize) echo "sigs.k8s.io/kustomize/kustomize/v5=kustomize" ;;
    kubectl) echo "k8s.io/kubernetes/cmd/kubectl=kubectl" ;;
    kubernetes)
      echo "k8s.io/kubernetes/cmd/kube-apiserver=kube-apiserver"
      echo "k8s.io/kubernetes/cmd/kube-controller-manager=kube-controller-manager"
      echo "k8s.io/kubernetes/cmd/kube-scheduler=kube-scheduler"
      ;;
    kwok) echo "sigs.k8s.io/kwok/cmd/kwok=kwok" ;;
    etcd) echo "go.etcd.io/etcd/server/v3=etcd" ;;
  esac
}

# -X flags that stamp the version into the binaries, as the upstream builds do.
tool_ldflags() { # <tool> <version> <module dir>
  local tool="$1" version="$2" mdir="$3" date
  # The release's commit time (from the module proxy) as a fixed build date.
  date="$(cd "$mdir" && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$(tool_module "$tool")")"
  date="${date:-1970-01-01T00:00:00Z}"
  case "$tool" in
    kustomize)
      echo "-X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$version -X sigs.k8s.io/kustomize/api/provenance.buildDate=$date"
      ;;
    kubectl | kubernetes)
      local core="${version#v}" major minor flags="" pkg
      major="${core%%.*}"
      minor="${core#*.}"
      minor="${minor%%.*}"
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
        # The module proxy does not tell the release commit: leave it empty
        # rather than the unexpanded "$Format:%H$" placeholder.
        flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date -X $pkg.gitCommit="
      done
      echo "$flags"
      ;;
    kwok)
      echo "-X sigs.k8s.io/kwok/pkg/consts.Version=$version"
      ;;
    etcd)
      echo ""
      ;;
  esac
}

bin_dir() { # <tool>
  echo "$BIN_ROOT/$1-$(manifest_version "$1")"
}

is_built() { # <tool>
  local dir pair
  dir="$(bin_dir "$1")"
  while read -r pair; do
    [[ -x "$dir/${pair#*=}" ]] || return 1
  done < <(tool_packages "$1")
}

build_tool() { # <tool>
  local tool="$1" version dir mdir pinned tmp pair pkg bin ldflags start lockfd
  version="$(manifest_version "$tool")"
  dir="$(bin_dir "$tool")"
  mdir="$HERE/$(tool_dir "$tool")"
  is_built "$tool" && return 0

  mkdir -p "$BIN_ROOT"
  # One builder per tool at a time; the others wait and then find it built.
  exec {lockfd}>"$BIN_ROOT/.$tool.lock"
  flock "$lockfd"
  if is_built "$tool"; then
    exec {lockfd}>&-
    return 0
  fi
  # Holding the lock, any temp dir of this tool is a killed build's leftover.
  rm -rf "$BIN_ROOT/.tmp-$tool-"*

  pinned="$(cd "$mdir" && go list -m -f '{{.Version}}' "$(tool_module "$tool")")"
  if [[ "$tool" == kubernetes || "$tool" == kubectl ]]; then
    [[ "$pinned" == "$version" ]] ||
      die "ci/tools.json says $tool $version but ci/tools/kubernetes/go.mod pins k8s.io/kubernetes $pinned (kubectl is built from that module, so both versions must match); run ci/tools/build.sh --sync $tool (or ci/tools/kubernetes/gen-replaces.sh $version) and commit go.mod and go.sum"
  else
    [[ "$pinned" == "$version" ]] ||
      die "ci/tools.json says $tool $version but ci/tools/$(tool_dir "$tool")/go.mod pins $pinned; run ci/tools/build.sh --sync $tool and commit go.mod and go.sum"
  fi

  log "building $tool $version (first use, a few minutes)..."
  start=$SECONDS
  ldflags="$(tool_ldflags "$tool" "$version" "$mdir")"
  tmp="$(mktemp -d "$BIN_ROOT/.tmp-$tool-$version.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  # On INT/TERM stop the go build too, then exit (which runs the EXIT trap).
  trap '[[ -n "$GO_PID" ]] && kill "$GO_PID" 2>/dev/null; exit 130' INT
  trap '[[ -n "$GO_PID" ]] && kill "$GO_PID" 2>/dev/null; exit 143' TERM
  while read -r pair; do
    pkg="${pair%%=*}"
    bin="${pair#*=}"
    log "  go build $pkg -> $bin"
    # In the background so that a signal's trap runs at once (not after the build).
    (cd "$mdir" && CGO_ENABLED=0 exec go build -mod=readonly -trimpath \
      -ldflags "-s -w $ldflags" -o "$tmp/$bin" "$pkg" >&2) &
    GO_PID=$!
    wait "$GO_PID"
    GO_PID=""
  done < <(tool_packages "$tool")
  chmod 755 "$tmp"
  rm -rf "$dir"
  mv -T "$tmp" "$dir"
  trap - EXIT INT TERM
  exec {lockfd}>&-
  log "built $tool $version in $((SECONDS - start))s: $dir"
}

# Repins a wrapper module to the manifest's version (a deliberate edit of
# ci/tools/<dir>/go.mod and go.sum, to be committed).
sync_tool() { # <tool>
  local tool="$1" version mdir
  version="$(manifest_version "$tool")"
  mdir="$HERE/$(tool_dir "$tool")"
  case "$tool" in
    kubectl | kubernetes)
      [[ "$(manifest_version kubectl)" == "$(manifest_version kubernetes)" ]] ||
        die "kubectl is built from the kubernetes module: ci/tools.json must give kubectl and kubernetes the same version"
      log "sync: ci/tools/kubernetes -> k8s.io/kubernetes $version"
      "$mdir/gen-replaces.sh" "$version"
      ;;
    *)
      log "sync: ci/tools/$(tool_dir "$tool") -> $(tool_module "$tool") $version"
      (cd "$mdir" && go get "$(tool_module "$tool")@$version" && go mod tidy)
      ;;
  esac
}

main() {
  local print_dir="" sync=false tools=() t
  while (($#)); do
    case "$1" in
      --print-dir)
        [[ $# -ge 2 ]] || die "--print-dir needs a tool name"
        print_dir="$2"
        shift 2
        ;;
      --sync)
        sync=true
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      -*) die "unknown option $1" ;;
      *)
        tools+=("$1")
        shift
        ;;
    esac
  done
  command -v node >/dev/null || die "node is not on PATH (it reads ci/tools.json)"
  local want_go have_go
  want_go="$(node -e 'process.stdout.write(String(require(process.argv[1]).go ?? ""))' "$MANIFEST")"
  command -v go >/dev/null || die "go is not on PATH (ci/tools.json wants go $want_go)"
  have_go="$(go env GOVERSION)"
  [[ -z "$want_go" || "$have_go" == "go$want_go" || "$have_go" == "go$want_go".* ]] ||
    log "warning: go is $have_go but ci/tools.json says go $want_go"

  if [[ -n "$print_dir" ]]; then
    tool_dir "$print_dir" >/dev/null || die "unknown tool '$print_dir' (known: ${ALL_TOOLS[*]})"
    build_tool "$print_dir"
    bin_dir "$print_dir"
    return 0
  fi
  ((${#tools[@]})) || tools=("${ALL_TOOLS[@]}")
  for t in "${tools[@]}"; do
    tool_dir "$t" >/dev/null || die "unknown tool '$t' (known: ${ALL_TOOLS[*]})"
  done
  if $sync; then
    local synced=" "
    for t in "${tools[@]}"; do
      # kubectl and kubernetes share one module: sync it once.
      [[ "$synced" == *" $(tool_dir "$t") "* ]] && continue
      sync_tool "$t"
      synced+="$(tool_dir "$t") "
    done
    return 0
  fi
  for t in "${tools[@]}"; do
    build_tool "$t"
    log "$t: $(bin_dir "$t")"
  done
}

main "$@"
