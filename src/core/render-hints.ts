/**
 * What to do when `kustomize build` of an env fails, from what kustomize said: the build options real
 * repos need (helm charts, files outside the overlay) are config of gitops-flow, not flags to pass by
 * hand, so the hint names the `build:` setting of that env; anything else, run the render and read it.
 */
export function renderFailureHint(stderr: string, env: string): string {
  if (stderr.includes('must specify --enable-helm'))
    return `The overlay renders helm charts: set build: {enableHelm: true} under environments.${env} (or at the top) in gitops-flow.yaml.`;
  if (/executable file not found|is 'helm' installed\?/.test(stderr) && stderr.includes('helm'))
    return "kustomize runs helm for helmCharts and found none: run gitops-flow tools install helm (the pinned one, into the tools cache, where it is found; in this repository bash ci/tools/build.sh helm builds it there too) or put ci/tools.json's helm version first on PATH.";
  if (/security; file '.*' is not in or below/.test(stderr))
    return `The overlay reads a file outside its folder: set build: {loadRestrictor: LoadRestrictionsNone} under environments.${env} in gitops-flow.yaml (files must still be inside the repository).`;
  return `Run \`gitops-flow render --env ${env}\` (kustomize build) and fix what it reports.`;
}
