/**
 * What runs in the toolbox before the CLI, in the same process tree: `sh -c PREFLIGHT preflight <argv>`.
 * A kubeconfig made on a laptop often cannot work in a container as it is; this says why, before
 * anything changes, instead of a TLS or "file not found" error halfway through a release:
 * - files it names (certificate-authority, client-certificate, client-key, tokenFile) are on the host:
 *   refused, with the command that makes a self-contained one;
 * - an exec plugin the toolbox lacks: refused, naming it (gke-gcloud-auth-plugin is in the toolbox);
 * - a server on the host's loopback (https://127.0.0.1:<port>, localhost:<port>): reached when that port
 *   is one of the host services (--host-services) — the preflight starts a forwarder on 127.0.0.1:<port>
 *   inside the container to each bound service, so kubeconfigs, remote URLs and TLS names stay as they
 *   are — else refused, saying to pass it.
 * Read with kubectl's own parser (`kubectl config view -o jsonpath`), never by hand. The checks exit 2
 * (invalid input) with a catalogue-style message; then `exec gitops-flow "$@"`.
 */
export const PREFLIGHT = String.raw`set -eu
fail() { printf 'error[KUBECONFIG_UNSUPPORTED]: %s\nhint: %s\n' "$1" "$2" >&2; exit 2; }
# Forwarders first: 127.0.0.1:<port> → <service alias>:<port> for each of GITOPS_FLOW_FORWARDS.
for forward in ${'$'}{GITOPS_FLOW_FORWARDS:-}; do
  port=${'$'}{forward%%=*}; target=${'$'}{forward#*=}
  # It ends with the CLI (its parent after exec), and holds none of the CLI's output streams.
  node -e 'const net = require("node:net"); const [, port, target] = process.argv; const parent = process.ppid;
    net.createServer({ allowHalfOpen: true }, (s) => { const c = net.connect({ port: Number(port), host: target, allowHalfOpen: true }); s.pipe(c).pipe(s); s.on("error", () => c.destroy()); c.on("error", () => s.destroy()); }).listen(Number(port), "127.0.0.1");
    setInterval(() => { try { process.kill(parent, 0); } catch { process.exit(0); } }, 200);' \
    -- "$port" "$target" </dev/null >/dev/null 2>&1 &
  # The CLI starts once the forwarder listens.
  i=0; until node -e 'require("node:net").connect(Number(process.argv[1]), "127.0.0.1").on("connect", () => process.exit(0)).on("error", () => process.exit(1))' -- "$port" 2>/dev/null; do
    i=$((i + 1)); [ "$i" -lt 50 ] || fail "could not reach the host service on port $port" "check --host-services"; sleep 0.1
  done
done
if [ -n "${'$'}{KUBECONFIG:-}" ]; then
  view() { kubectl config view --raw -o "jsonpath=$1"; }
  files=$(view '{range .clusters[*]}{.cluster.certificate-authority}{"\n"}{end}{range .users[*]}{.user.client-certificate}{"\n"}{.user.client-key}{"\n"}{.user.tokenFile}{"\n"}{end}' | grep -v '^$' | tr '\n' ' ')
  [ -z "$files" ] || fail "the kubeconfig names files on your machine, which the container cannot read: $files" "pass a self-contained kubeconfig: kubectl config view --flatten --minify --context <context> > kubeconfig.flat, then --kubeconfig file://kubeconfig.flat"
  for plugin in $(view '{range .users[*]}{.user.exec.command}{"\n"}{end}'); do
    command -v "$plugin" >/dev/null 2>&1 || fail "the kubeconfig's exec plugin $plugin is not in the toolbox" "use a kubeconfig with a token or a client certificate, or a toolbox that has $plugin (--toolbox <address>); the toolbox has gke-gcloud-auth-plugin (pass --gcp-key)"
  done
  for server in $(view '{range .clusters[*]}{.cluster.server}{"\n"}{end}'); do
    hostport=$(printf '%s' "$server" | sed -e 's#^[a-z]*://##' -e 's#/.*$##')
    case "$hostport" in
      127.0.0.1:*|localhost:*) ;;
      127.*|localhost|\[::1\]*) fail "the kubeconfig's server $server is your machine's loopback, not the container's" "use https://127.0.0.1:<port> and pass the cluster as a host service, e.g. --host-services tcp://localhost:<port>" ;;
      *) continue ;;
    esac
    port=${'$'}{hostport##*:}
    case " ${'$'}{GITOPS_FLOW_FORWARDS:-} " in
      *" $port="*) ;;
      *) fail "the kubeconfig's server $server is your machine's loopback, not the container's" "pass the cluster as a host service, e.g. --host-services tcp://localhost:$port: the container then reaches it at the same address" ;;
    esac
  done
fi
exec gitops-flow "$@"`;

/** The exec that runs the CLI with `argv` after the preflight checks. */
export function cliExec(argv: string[]): string[] {
  return ['sh', '-c', PREFLIGHT, 'preflight', ...argv];
}
