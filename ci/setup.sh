#!/usr/bin/env bash
# Installs what gitops-flow's own tests and demo need on a fresh machine (used by .ci/run and by the
# jobs of .gitlab-ci.yml): the Debian packages the tests use when missing, npm ci, and the pinned
# tools of ci/tools.json, built from the Go module proxy when ~/.cache/gitops-flow lacks them.
set -euo pipefail
cd "$(dirname "$0")/.."

for cmd in git tar openssl go node npm; do
  command -v "$cmd" >/dev/null || { echo "ci/setup.sh: $cmd is required but not on PATH" >&2; exit 1; }
done

# zsh and fish check the completion scripts' syntax; gitlab-ci-local (the CI wrapper tests) needs rsync;
# the digest-pinning tests run a real registry (docker-registry: the CNCF distribution server), with
# basic-auth users written by htpasswd (apache2-utils).
# Tests fail, not skip, without them; only what is missing is installed.
missing=()
for cmd in zsh fish rsync docker-registry; do command -v "$cmd" >/dev/null || missing+=("$cmd"); done
command -v htpasswd >/dev/null || missing+=(apache2-utils)
if ((${#missing[@]})); then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== npm ci"
npm ci --no-audit --no-fund

echo "== pinned tools (ci/tools.json)"
start=$(date +%s)
bash ci/tools/build.sh
echo "tools ready in $(( $(date +%s) - start )) s"
