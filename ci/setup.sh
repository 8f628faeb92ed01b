#!/usr/bin/env bash
# Installs what gitops-flow's own tests and demo need on a fresh machine. `npm test` runs it first (the
# `pretest` script), so the README's test command needs nothing else, and CI (.ci/run) runs exactly that
# command; `npm run test:unit`, `test:integration` and `test:e2e` run it for what their tier needs.
#
# Usage: ci/setup.sh [--packages] [--no-install] [--npm] [--tools LIST] [--list-packages]
#   --packages    the Debian packages the tests use, when missing: apt-get as root; otherwise it fails
#                 naming them and the command to run
#   --no-install  with --packages: never apt-get, even as root; only fail naming what is missing
#   --list-packages  print those packages' names and exit (ci/fresh-machine.sh removes them)
#   --npm         npm ci
#   --tools LIST  the pinned tools of ci/tools.json to build when the cache lacks them (side by side,
#                 with progress): comma-separated names, `all` or `none`
#   (no option: all three with every tool, as .gitlab-ci.yml's jobs use it)
set -euo pipefail
cd "$(dirname "$0")/.."

# The Debian packages the tests use, each with the commands that show it is installed (package:cmd,cmd).
# zsh and fish check the completion scripts' syntax; gitlab-ci-local (the CI wrapper tests) needs rsync;
# the digest-pinning tests run a real registry (docker-registry: the CNCF distribution server), with
# basic-auth users written by htpasswd (apache2-utils); `run:` steps are isolated with unshare and the
# isolation tests print through rev (util-linux, which minimal images may lack). git-lfs: the test that
# an env repo's .lfsconfig host gets no request. Tests fail, naming the binary, without them.
PACKAGES=(zsh:zsh fish:fish rsync:rsync docker-registry:docker-registry git-lfs:git-lfs apache2-utils:htpasswd
  util-linux:unshare,rev)

packages=false install=true npm=false tools=none
if (($# == 0)); then packages=true npm=true tools=all; fi
while (($#)); do
  case "$1" in
    --list-packages)
      echo "${PACKAGES[@]%%:*}"
      exit 0
      ;;
    --packages) packages=true ;;
    --no-install) install=false ;;
    --npm) npm=true ;;
    --tools)
      tools="${2:?--tools needs a list}"
      shift
      ;;
    -h | --help)
      sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "ci/setup.sh: unknown option $1 (see ci/setup.sh --help)" >&2
      exit 2
      ;;
  esac
  shift
done

for cmd in git tar openssl go node npm; do
  command -v "$cmd" >/dev/null || {
    echo "ci/setup.sh: $cmd is required but not on PATH (the README's Quickstart lists what to install)" >&2
    exit 1
  }
done

if $packages; then
  missing=()
  for entry in "${PACKAGES[@]}"; do
    IFS=: read -r package commands <<<"$entry"
    for cmd in ${commands//,/ }; do command -v "$cmd" >/dev/null || { missing+=("$package") && break; }; done
  done
  if ((${#missing[@]})); then
    if [[ "$(id -u)" != 0 ]] || ! $install; then
      echo "ci/setup.sh: the tests need these Debian packages: ${missing[*]}" >&2
      echo "ci/setup.sh: install them, then run the tests again:  sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
    echo "== ci/setup.sh: apt-get install ${missing[*]} (the tests use them)" >&2
    start=$SECONDS
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "== ci/setup.sh: packages installed in $((SECONDS - start)) s" >&2
  fi
fi

if $npm; then
  echo "== ci/setup.sh: npm ci" >&2
  npm ci --no-audit --no-fund
fi

if [[ "$tools" != none ]]; then
  list=()
  [[ "$tools" == all ]] || IFS=, read -ra list <<<"$tools"
  # build.sh prints nothing when every tool is cached, a line per build and a heartbeat otherwise.
  bash ci/tools/build.sh "${list[@]}"
fi
