/**
 * The built-in steps, registered in one place, in the order `pipelines list` shows them. The verbs'
 * pipelines (src/core/verb-pipelines.ts) name them; a standalone one (with `use`) may also be used with
 * `uses:` in a pipeline of gitops-flow.yaml.
 */
import type { StepCatalogue } from '../core/pipeline-schema.js';
import { deploy } from './deploy.js';
import { gitClone } from './git/clone.js';
import { gitCommit } from './git/commit.js';
import { gitPush } from './git/push.js';
import { gitSync } from './git/sync.js';
import { imagesCopy } from './images/copy.js';
import { imagesPinDigest } from './images/pin-digest.js';
import { imagesSet } from './images/set.js';
import { mergeRequestOpen } from './merge-request/open.js';
import { overlayRestore } from './overlay/restore.js';
import { overlayRollback } from './overlay/rollback.js';
import { pinRemove } from './pin/remove.js';
import { promote } from './promote.js';
import { recordVerifiedStep } from './record/verified.js';
import { render } from './render.js';
import { restoreLastGood } from './restore-last-good.js';
import { rollback } from './rollback.js';
import { catalogueOf, type Step } from './types.js';

const LIST: Step[] = [
  gitClone,
  gitSync,
  imagesPinDigest,
  imagesSet,
  imagesCopy,
  overlayRollback,
  overlayRestore,
  pinRemove,
  gitCommit,
  render,
  deploy,
  restoreLastGood,
  gitPush,
  mergeRequestOpen,
  recordVerifiedStep,
  promote,
  rollback,
];

export const STEPS: ReadonlyMap<string, Step> = new Map(LIST.map((s) => [s.name, s]));

/** What config validation knows of them. */
export const CATALOGUE: StepCatalogue = catalogueOf(STEPS);

/** How `pipelines list` describes each. */
export function describeSteps(): {
  name: string;
  summary: string;
  inputs: Step['inputs'];
  outputs: Step['outputs'];
  standalone: boolean;
}[] {
  return LIST.map((s) => ({
    name: s.name,
    summary: s.summary,
    inputs: s.inputs,
    outputs: s.outputs,
    standalone: s.use !== undefined,
  }));
}
