#!/usr/bin/env bash
# Measures a first run the way a new user meets it (issue 14): this machine's root file system seen
# through an overlay, with the Debian packages the tests use removed (`ci/setup.sh --list-packages`) and
# every cache empty (the pinned tools', Go's module and build caches, npm's, ~/.kube), a fresh clone of
# the commit, then one of the README's two commands, timed. The host is not touched: the script runs in
# its own mount and PID namespaces (every mount and process it makes goes when it ends, however it
# ends), removals happen in the overlay's upper layer, a 25 GB sparse file under DIR, deleted after.
# Separate mounts (/home, /run) are not in the overlay of /: keep the repo on the root file system.
#
# Usage: sudo ci/fresh-machine.sh start|test [--warm] [--ref REF] [--dir DIR]
#   start    the README's first command (npm ci && npm start)
#   test     .ci/run, which runs the README's second command (npm ci && npm test), then typecheck and lint
#   --warm   keep this machine's packages and root's caches: a later run, on a fresh clone
#   --ref    the commit to clone (default HEAD)
#   --dir    where the overlay lives (default /var/tmp/gitops-flow-fresh)
# Writes bench/results/readme-<start|test>-<cold|warm>.json (`npm run first-run`
# renders them into the README and docs/dev/testing.md) and the command's output to DIR/<run>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
script=$PWD/ci/fresh-machine.sh

die() {
  echo "ci/fresh-machine.sh: $*" >&2
  exit 2
}

what="" ref=HEAD dir=/var/tmp/gitops-flow-fresh temperature=cold
while (($#)); do
  case "$1" in
    start | test) what=$1 ;;
    --ref) ref="${2:?--ref needs a commit}" && shift ;;
    --dir) dir="${2:?--dir needs a folder}" && shift ;;
    --warm) temperature=warm ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' && exit 0 ;;
    *) die "unknown argument $1 (see ci/fresh-machine.sh --help)" ;;
  esac
  shift
done
[[ -n "$what" ]] || die "say which README command to measure: start or test (see --help)"
[[ "$(id -u)" == 0 ]] || die "needs root: it mounts an overlay of / and runs the command in a chroot"
commit=$(git rev-parse --verify "$ref^{commit}") || die "no commit $ref in $repo"
case "$what" in
  start) command=$(git show "$commit:README.md" | sed -n 's/^\(npm ci \&\& npm start\) .*#.*/\1/p') ;;
  test) command='bash .ci/run' ;;
esac
[[ -n "$command" ]] || die "README.md's Quickstart has no 'npm ci && npm start' line"
[[ -x /usr/bin/time ]] || die "needs GNU time (/usr/bin/time): apt-get install time"

# Everything below in private mount and PID namespaces: no mount propagates to the host, and every mount
# and process goes with the namespace when this script ends, on success, failure or Ctrl-C.
if [[ "${GITOPS_FLOW_FRESH_NS:-}" != 1 ]]; then
  args=("$what" --ref "$commit" --dir "$dir")
  if [[ "$temperature" == warm ]]; then args+=(--warm); fi
  exec env GITOPS_FLOW_FRESH_NS=1 unshare --mount --propagation private --pid --fork --kill-child=SIGTERM \
    bash "$script" "${args[@]}"
fi
trap 'exit 130' INT TERM

root=$dir/root up=$dir/up
mkdir -p "$dir" "$root" "$up"
trap 'rm -f "$dir/fs.img"' EXIT
truncate -s 25G "$dir/fs.img"
mkfs.ext4 -q -F "$dir/fs.img"
mount -o loop "$dir/fs.img" "$up"
mkdir -p "$up/upper" "$up/work" "$up/tmp"
chmod 1777 "$up/tmp"
mount -t overlay overlay -o "lowerdir=/,upperdir=$up/upper,workdir=$up/work" "$root"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mount --bind "$up/tmp" "$root/tmp"
[[ -d "$root$repo/.git" || -f "$root$repo/.git" ]] ||
  die "$repo is on a separate mount, not in the overlay of /: clone the repo onto the root file system"
# Where /etc/resolv.conf links into /run (systemd-resolved), the overlay of / would have no DNS.
cp --remove-destination -L /etc/resolv.conf "$root/etc/resolv.conf"

# A login-like environment, as CI gives a job: nothing inherited from this shell.
inside=(chroot "$root" env -i HOME=/root LANG=C.UTF-8 NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  PATH=/usr/local/go/bin:/root/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
"${inside[@]}" git clone -q --no-local "file://$repo" /root/gitops-flow
"${inside[@]}" git -C /root/gitops-flow checkout -q "$commit"
installed=()
if [[ "$temperature" == cold ]]; then
  # The commit's own list of the packages its tests use; only those installed (status "ii") are removed.
  for package in $("${inside[@]}" bash /root/gitops-flow/ci/setup.sh --list-packages); do
    # Essential packages (util-linux) belong to every Debian system; apt refuses to remove them.
    essential=$(dpkg-query -W -f '${Essential}' "$package" 2>/dev/null || true)
    status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$package" 2>/dev/null || true)
    if [[ "$essential" != yes && "$status" == ii* ]]; then installed+=("$package"); fi
  done
  if ((${#installed[@]})); then
    "${inside[@]}" apt-get remove -y -qq "${installed[@]}" >/dev/null
  fi
  # shellcheck disable=SC2016 # expanded inside the chroot
  "${inside[@]}" bash -c 'rm -rf "$(go env GOMODCACHE)" "$(go env GOCACHE)" ~/.cache/gitops-flow ~/.npm ~/.kube'
fi

echo "== ci/fresh-machine.sh: $command ($temperature) on a fresh clone of $commit; removed: ${installed[*]:-nothing}" >&2
loads=()
sample() { read -r one _ </proc/loadavg && loads+=("$one"); }
log=$dir/$what-$temperature.log
started=$(date +%s)
"${inside[@]}" /usr/bin/time -q -f '%e %U %S %M' -o /tmp/time bash -c "cd /root/gitops-flow && $command" >"$log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  sample
  sleep 30
done
rc=0
wait "$pid" || rc=$?
read -r wall user sys rss <"$up/tmp/time" || true
mean="null null"
if ((${#loads[@]})); then
  mean=$(printf '%s\n' "${loads[@]}" | awk '{ s += $1; if ($1 > m) m = $1 } END { printf "%.1f %.1f", s / NR, m }')
fi
read -r load_mean load_max <<<"$mean"
mkdir -p bench/results
cat >"bench/results/readme-$what-$temperature.json" <<EOF
{
  "command": "$command",
  "caches": "$temperature",
  "commit": "$commit",
  "date": "$(date -u -d "@$started" +%FT%TZ)",
  "exitCode": $rc,
  "wallSeconds": ${wall:-null},
  "userSeconds": ${user:-null},
  "systemSeconds": ${sys:-null},
  "maxRssKb": ${rss:-null},
  "loadAverage": { "mean": $load_mean, "max": $load_max, "samples": ${#loads[@]} },
  "cores": $(nproc),
  "removedPackages": "${installed[*]}"
}
EOF
echo "== ci/fresh-machine.sh: exit $rc after ${wall:-?} s (load average mean $load_mean, max $load_max); log: $log" >&2
exit "$rc"
