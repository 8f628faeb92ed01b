/* No imports: the Dagger module loads this file as it is (dagger.json's include). */

/**
 * The CI facts the CLI reads from its environment (commit author, trailers, merge-request comment, log
 * sections, registry credentials), which a container running the CLI must be handed explicitly. `secret`
 * ones travel only as secrets. The Dagger module takes each as an argument named like the variable in
 * camelCase (CI_PROJECT_PATH → ciProjectPath); the Dagger CI/CD components pass them.
 */
export const CI_VARIABLES: readonly { name: string; description: string; secret?: boolean }[] = [
  { name: 'GITLAB_CI', description: 'true in GitLab CI: collapsible log sections' },
  { name: 'GITLAB_USER_NAME', description: 'the commit author (default gitops-flow)' },
  { name: 'GITLAB_USER_EMAIL', description: "the commit author's email (default gitops-flow@localhost)" },
  { name: 'CI_SERVER_URL', description: "the GitLab instance's URL (merge-request comments)" },
  { name: 'CI_API_V4_URL', description: "the GitLab instance's API URL" },
  { name: 'CI_PROJECT_ID', description: "the pipeline's project id" },
  { name: 'CI_PROJECT_PATH', description: "the pipeline's project path (Upstream-Project trailer)" },
  { name: 'CI_COMMIT_SHA', description: "the pipeline's commit (Upstream-Commit trailer)" },
  { name: 'CI_COMMIT_REF_NAME', description: "the pipeline's branch or tag (Upstream-Ref trailer)" },
  { name: 'CI_COMMIT_MESSAGE', description: "the pipeline's commit message (Upstream-Message trailer)" },
  { name: 'CI_PIPELINE_ID', description: 'the pipeline id (Upstream-Pipeline trailer)' },
  { name: 'CI_PIPELINE_URL', description: "the pipeline's URL (trailers, merge-request comments)" },
  { name: 'CI_JOB_URL', description: "the job's URL (merge-request comments)" },
  { name: 'CI_MERGE_REQUEST_IID', description: 'the merge request a deploy comments on' },
  { name: 'CI_MERGE_REQUEST_PROJECT_ID', description: "the merge request's project id" },
  { name: 'CI_MERGE_REQUEST_PROJECT_PATH', description: "the merge request's project path" },
  { name: 'CI_REGISTRY', description: "GitLab's container registry (--pin-digest credentials)" },
  { name: 'CI_REGISTRY_USER', description: "the job's registry user" },
  { name: 'CI_REGISTRY_PASSWORD', description: "the job's registry password", secret: true },
  {
    name: 'GITOPS_FLOW_GITLAB_TOKEN',
    description: 'a GitLab token with api scope (merge requests through the API, deploy comments)',
    secret: true,
  },
];
