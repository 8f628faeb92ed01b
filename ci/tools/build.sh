#!/usr/bin/env bash
# Builds the pinned tools of ci/tools.json from the Go module proxy into a cache
# outside the repo:
#
#   ${GITOPS_FLOW_CACHE:-$HOME/.cache/gitops-flow}/bin/<tool>-<version>/<binary>
#
# Usage:
#   ci/tools/build.sh [TOOL...]          build the tools (default: all) if missing,
#                                        side by side (GITOPS_FLOW_BUILD_JOBS, default 4)
#   ci/tools/build.sh --print-dir TOOL   build TOOL if missing, print its bin dir
#   ci/tools/build.sh --sync [TOOL...]   after a version bump in ci/tools.json:
#                                        repin the wrapper modules (go.mod, go.sum)
#
# TOOL is one of: kustomize kubectl kubernetes kwok etcd helm
#   helm is built only when named (kustomize runs it for envs with build.enableHelm)
#   kubernetes = kube-apiserver, kube-controller-manager, kube-scheduler
#
# kubectl and kubernetes come from one module: asked together, they are one go
# build (shared packages compiled once, the four links side by side). Every build
# shares one Go build cache (GOCACHE) and module cache (GOMODCACHE). While builds
# run, a line every 30 s (GITOPS_FLOW_BUILD_HEARTBEAT) says which and for how long;
# at the end one line gives each build's time.
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
    helm) echo helm ;;
    *) return 1 ;;
  esac
}
tool_module() {
  case "$1" in
    kustomize) echo sigs.k8s.io/kustomize/kustomize/v5 ;;
    kubectl | kubernetes) echo k8s.io/kubernetes ;;
    kwok) echo sigs.k8s.io/kwok ;;
    helm) echo helm.sh/helm/v3 ;;
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
    helm) echo "helm.sh/helm/v3/cmd/helm=helm" ;;
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
    helm)
      echo "-X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
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

# The tools that one go build makes together: kubectl and kubernetes share their
# module; every other tool is alone.
group_of() { # <tool>
  case "$1" in
    kubectl | kubernetes) echo "kubectl kubernetes" ;;
    *) echo "$1" ;;
  esac
}

check_pinned() { # <tool>
  local tool="$1" version mdir pinned
  version="$(manifest_version "$tool")"
  mdir="$HERE/$(tool_dir "$tool")"
  pinned="$(cd "$mdir" && go list -m -f '{{.Version}}' "$(tool_module "$tool")")"
  if [[ "$tool" == kubernetes || "$tool" == kubectl ]]; then
    [[ "$pinned" == "$version" ]] ||
      die "ci/tools.json says $tool $version but ci/tools/kubernetes/go.mod pins k8s.io/kubernetes $pinned (kubectl is built from that module, so both versions must match); run ci/tools/build.sh --sync $tool (or ci/tools/kubernetes/gen-replaces.sh $version) and commit go.mod and go.sum"
  else
    [[ "$pinned" == "$version" ]] ||
      die "ci/tools.json says $tool $version but ci/tools/$(tool_dir "$tool")/go.mod pins $pinned; run ci/tools/build.sh --sync $tool and commit go.mod and go.sum"
  fi
}

# Builds the missing tools among <tool...> (all of one wrapper module) with one
# go build, each into its own cache dir. Locks each tool (in a fixed order), so a
# concurrent caller waits and then finds it built.
build_group() { # <tool...>
  local tools=() t lockfd start tmp out pkgs=() bins=() pair version mdir ldflags
  for t in $(printf '%s\n' "$@" | sort -u); do
    is_built "$t" && continue
    mkdir -p "$BIN_ROOT"
    exec {lockfd}>"$BIN_ROOT/.$t.lock"
    flock "$lockfd"
    # Built by the holder of the lock meanwhile: nothing to do (the lock is freed at exit).
    is_built "$t" && continue
    # Holding the lock, any temp dir of this tool is a killed build's leftover.
    rm -rf "$BIN_ROOT/.tmp-$t-"*
    tools+=("$t")
  done
  ((${#tools[@]})) || return 0
  for t in "${tools[@]}"; do check_pinned "$t"; done

  version="$(manifest_version "${tools[0]}")"
  mdir="$HERE/$(tool_dir "${tools[0]}")"
  for t in "${tools[@]}"; do
    while read -r pair; do
      pkgs+=("${pair%%=*}")
      bins+=("${pair#*=}")
    done < <(tool_packages "$t")
  done
  log "building ${tools[*]} $version: go build ${bins[*]}"
  start=$SECONDS
  ldflags="$(tool_ldflags "${tools[0]}" "$version" "$mdir")"
  tmp="$(mktemp -d "$BIN_ROOT/.tmp-${tools[0]}-$version.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  # On INT/TERM stop the go build too, then exit (which runs the EXIT trap).
  trap '[[ -n "$GO_PID" ]] && kill "$GO_PID" 2>/dev/null; exit 130' INT
  trap '[[ -n "$GO_PID" ]] && kill "$GO_PID" 2>/dev/null; exit 143' TERM
  # One package: -o names its binary (etcd's main package is .../server/v3). Several:
  # -o <dir>/ puts each main package's binary, named after its folder (cmd/<name>), there.
  local target="$tmp/all/"
  ((${#pkgs[@]} > 1)) || target="$tmp/all/${bins[0]}"
  mkdir -p "$tmp/all"
  # In the background so that a signal's trap runs at once (not after the build).
  (cd "$mdir" && CGO_ENABLED=0 exec go build -mod=readonly -trimpath \
    -ldflags "-s -w $ldflags" -o "$target" "${pkgs[@]}" >&2) &
  GO_PID=$!
  wait "$GO_PID"
  GO_PID=""
  for t in "${tools[@]}"; do
    out="$tmp/$t"
    mkdir -p "$out"
    while read -r pair; do mv "$tmp/all/${pair#*=}" "$out/"; done < <(tool_packages "$t")
    chmod 755 "$out"
    rm -rf "$(bin_dir "$t")"
    mv -T "$out" "$(bin_dir "$t")"
  done
  rm -rf "$tmp"
  trap - EXIT INT TERM
  log "built ${tools[*]} $version in $((SECONDS - start))s: $(for t in "${tools[@]}"; do bin_dir "$t"; done | paste -sd ' ')"
}

build_tool() { # <tool>
  build_group "$1"
}

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Builds <tool...> in groups side by side (at most GITOPS_FLOW_BUILD_JOBS at once),
# the longest (kubectl and kubernetes) first; a heartbeat line while any runs.
build_parallel() { # <tool...>
  local wanted=("$@") groups=() g t m state pids=() names=() rc=0 hb jobs
  jobs="${GITOPS_FLOW_BUILD_JOBS:-4}"
  for t in kubectl kubernetes kustomize kwok etcd helm; do
    [[ " ${wanted[*]} " == *" $t "* ]] || continue
    is_built "$t" && continue
    g="$(group_of "$t")"
    # Only the group members that were asked for.
    local members=()
    for m in $g; do [[ " ${wanted[*]} " == *" $m "* ]] && members+=("$m"); done
    g="${members[*]}"
    [[ " ${groups[*]/%/|} " == *" $g|"* ]] || groups+=("$g")
  done
  ((${#groups[@]})) || return 0
  BUILT=true
  state="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$state'" EXIT
  local total_start=$SECONDS
  log "building ${#groups[@]} group(s) side by side: $(printf '[%s] ' "${groups[@]}")(first use: minutes; later runs reuse $BIN_ROOT)"
  (
    while sleep "${GITOPS_FLOW_BUILD_HEARTBEAT:-30}"; do
      now=$(date +%s) parts=()
      for f in "$state"/*.running; do
        [[ -e "$f" ]] || continue
        parts+=("$(basename "$f" .running | tr _ ' ') $(fmt_secs $((now - $(cat "$f"))))")
      done
      ((${#parts[@]})) && log "still building: $(IFS=,; echo "${parts[*]}" | sed 's/,/, /g')"
    done
  ) &
  hb=$!
  local started=0 waited=0
  reap() { # waits for the oldest running build
    if ! wait "${pids[$waited]}"; then
      log "error: building ${names[$waited]} failed (its output is above)"
      rc=1
    fi
    waited=$((waited + 1))
  }
  for g in "${groups[@]}"; do
    # At most $jobs builds at once: wait for the oldest before starting another.
    while ((started - waited >= jobs)); do reap; done
    local key="${g// /_}"
    date +%s >"$state/$key.running"
    (
      s=$SECONDS r=0
      # shellcheck disable=SC2086 # the group is a list of tool names
      "$BASH" "${BASH_SOURCE[0]}" --group $g 2> >(sed -u "s/^go: /  [$key] go: /" >&2) || r=$?
      rm -f "$state/$key.running"
      echo "$((SECONDS - s))" >"$state/$key.seconds"
      exit "$r"
    ) &
    pids+=($!)
    names+=("$g")
    started=$((started + 1))
  done
  while ((waited < started)); do reap; done
  kill "$hb" 2>/dev/null || true
  wait "$hb" 2>/dev/null || true
  local summary=()
  for g in "${groups[@]}"; do
    local key="${g// /_}"
    [[ -e "$state/$key.seconds" ]] && summary+=("$g $(fmt_secs "$(cat "$state/$key.seconds")")")
  done
  log "tools built in $(fmt_secs $((SECONDS - total_start))) ($(IFS=,; echo "${summary[*]}" | sed 's/,/, /g'))"
  return "$rc"
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
  local print_dir="" sync=false group=false tools=() t
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
      --group)
        group=true
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
  if $group; then
    build_group "${tools[@]}"
    return 0
  fi
  BUILT=false
  build_parallel "${tools[@]}"
  if $BUILT; then for t in "${tools[@]}"; do log "$t: $(bin_dir "$t")"; done; fi
}

main "$@"
