/** What suggest and deploy need of a forge, GitLab or GitHub alike. */

/** An open merge request (GitLab) or pull request (GitHub). */
export interface ChangeRequest {
  /** GitLab iid, GitHub number. */
  number: number;
  url: string;
  branch: string;
  description: string;
  /** The head commit, when the forge says. */
  sha?: string;
  /** GitHub's GraphQL id (auto-merge). */
  nodeId?: string;
}

export interface ChangeFields {
  branch: string;
  target: string;
  title: string;
  description: string;
  labels: string[];
  /** Usernames. */
  assignees: string[];
  removeSourceBranch: boolean;
}

export type AutoMergeMode = 'auto_merge' | 'merge_when_pipeline_succeeds';

export interface Forge {
  /** "GitLab" or "GitHub". */
  readonly name: string;
  /** "merge request" or "pull request". */
  readonly noun: string;
  /** How the forge writes a reference to one: "!12" or "#12". */
  ref(n: number): string;
  /** Checks the token and the project before anything is pushed; resolves assignees. */
  preflight(assignees: string[]): Promise<void>;
  findOpen(branch: string, target: string): Promise<ChangeRequest | undefined>;
  listOpen(target: string): Promise<ChangeRequest[]>;
  /** Creates one; when the forge says one exists already (a race), finds and updates that one. */
  create(f: ChangeFields): Promise<{ change: ChangeRequest; created: boolean }>;
  update(c: ChangeRequest, f: ChangeFields): Promise<ChangeRequest>;
  close(c: ChangeRequest, note: string): Promise<void>;
  comment(n: number, body: string): Promise<void>;
  /** Sets auto-merge; resolves with why not when the forge or the repo does not allow it now. */
  autoMerge(c: ChangeRequest, mode: AutoMergeMode): Promise<{ set: true } | { set: false; why: string }>;
}
