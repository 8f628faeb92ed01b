/**
 * How each tool says its version: the argv that makes it print it and how to read the answer. The one
 * place that knows `git --version`, `kubectl version --client`, `kustomize version`, `helm version` and `gcloud version`:
 * doctor runs them through versions.ts, the check before a run through check.ts. No imports, so the exec
 * wrapper (which asks check.ts) does not import itself.
 */

export type VersionedTool = 'git' | 'kubectl' | 'kustomize' | 'helm' | 'gcloud';

const json = <T>(s: string): T | undefined => {
  try {
    return JSON.parse(s) as T;
  } catch {
    return undefined;
  }
};

export const VERSION_PROBES: Record<VersionedTool, { args: string[]; parse(stdout: string): string | undefined }> = {
  git: { args: ['--version'], parse: (s) => /git version (\S+)/.exec(s)?.[1] },
  kubectl: {
    args: ['version', '--client', '-o', 'json'],
    parse: (s) => json<{ clientVersion?: { gitVersion?: string } }>(s)?.clientVersion?.gitVersion,
  },
  kustomize: { args: ['version'], parse: (s) => /v\d+\.\d+\.\d+\S*/.exec(s)?.[0] },
  helm: { args: ['version', '--template', '{{.Version}}'], parse: (s) => /v\d+\.\d+\.\d+\S*/.exec(s)?.[0] },
  gcloud: {
    args: ['version', '--format=json'],
    parse: (s) => json<Record<string, string | undefined>>(s)?.['Google Cloud SDK'],
  },
};

/** The command that prints a tool's version, as shown to the user (`kubectl version --client -o json`). */
export function versionCommand(tool: VersionedTool): string {
  return [tool, ...VERSION_PROBES[tool].args].join(' ');
}
