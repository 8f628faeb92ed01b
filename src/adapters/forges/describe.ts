/**
 * What a merge request (or pull request) says: each image's old → new reference, the upstream trace, and
 * a hidden marker naming the env and images, by which a later suggestion finds the ones it supersedes.
 * Also the comment deploy leaves on the merge request of its pipeline.
 */
import { createHash } from 'node:crypto';
import type { UpstreamTrace } from '../../core/trailers.js';

export interface ImageChange {
  name: string;
  /** The reference before (undefined: the overlay did not set this image). */
  from?: string;
  to: string;
}

export interface SuggestionMarker {
  env: string;
  images: string[];
}

/** The marker: the description's last line, exactly; never searched for in the text above it. */
const MARKER = /^<!-- gitops-flow:suggestion (\{[^\n]*\}) -->$/;

/** Markdown inline code that survives any text (no backticks, one line). */
const code = (v: string) => `\`${v.replace(/[`\r\n]+/g, ' ').trim()}\``;
const plain = (v: string) => v.replace(/[\u0000-\u001f\u007f<>|`]+/g, ' ').trim();

/**
 * The description of a suggestion's merge request. `scrub` masks secrets in the text (before the
 * marker seals it: scrubbing after would break the seal). Upstream text is quoted with `<` and `>`
 * escaped, so nothing in it reads as an HTML comment.
 */
export function suggestionDescription(
  p: { env: string; changes: ImageChange[]; upstream: UpstreamTrace },
  scrub: (text: string) => string = (t) => t,
): string {
  const lines = [
    `gitops-flow suggests new images for **${plain(p.env)}**.`,
    '',
    '| image | from | to |',
    '|---|---|---|',
    ...p.changes.map((c) => `| ${code(c.name)} | ${c.from ? code(c.from) : '(not set)'} | ${code(c.to)} |`),
    '',
  ];
  const u = p.upstream;
  if (u.project || u.commit || u.pipelineId) {
    const pipeline = u.pipelineId
      ? u.pipelineUrl && /^https?:\/\//.test(u.pipelineUrl)
        ? `[${plain(u.pipelineId)}](${u.pipelineUrl.replace(/[\s()<>]/g, encodeURIComponent)})`
        : plain(u.pipelineId)
      : '?';
    lines.push(
      `Upstream: pipeline ${pipeline} of ${code(u.project ?? '?')} built ${code(u.commit?.slice(0, 12) ?? '?')} on ${code(u.ref ?? '?')}.`,
      '',
    );
  }
  if (u.message?.trim()) {
    const message = u.message
      .trim()
      .split(/\r?\n|\r/)
      .slice(0, 20)
      .map((l) => `> ${l.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}`);
    lines.push('Upstream message:', '', ...message, '');
  }
  const body = scrub(lines.join('\n'));
  const marker: SuggestionMarker = { env: p.env, images: p.changes.map((c) => c.name).sort() };
  return `${body}\n${markerLine(body, marker)}\n`;
}

/** The marker line: env and images, sealed with a hash of the description above it and of themselves. */
function markerLine(body: string, m: SuggestionMarker): string {
  return `<!-- gitops-flow:suggestion ${JSON.stringify({ env: m.env, images: m.images, sha256: seal(body, m) })} -->`;
}

function seal(body: string, m: SuggestionMarker): string {
  const normalized = body.replace(/\r\n?/g, '\n').trimEnd();
  return createHash('sha256')
    .update(`${normalized}\n${JSON.stringify({ env: m.env, images: m.images })}`)
    .digest('hex');
}

/**
 * The marker of a description we wrote, or undefined (someone else's merge request, or one whose
 * text was changed since): read from the last line only, and valid only when its hash matches the
 * text above it, so text a user wrote (an upstream commit message) can never be taken for it.
 */
export function readMarker(description: string | null | undefined): SuggestionMarker | undefined {
  const text = (description ?? '').replace(/\r\n?/g, '\n').trimEnd();
  const cut = text.lastIndexOf('\n');
  const m = MARKER.exec(text.slice(cut + 1));
  if (!m || cut < 0) return undefined;
  try {
    const v = JSON.parse(m[1] as string) as Partial<SuggestionMarker> & { sha256?: unknown };
    if (typeof v.env !== 'string' || !Array.isArray(v.images) || !v.images.every((i) => typeof i === 'string'))
      return undefined;
    const marker = { env: v.env, images: v.images };
    return v.sha256 === seal(text.slice(0, cut), marker) ? marker : undefined;
  } catch {
    return undefined;
  }
}

/** A newer suggestion supersedes an older one for the same env when it sets every image the older one set. */
export function supersedes(newer: SuggestionMarker, older: SuggestionMarker): boolean {
  return newer.env === older.env && older.images.length > 0 && older.images.every((i) => newer.images.includes(i));
}

export interface DeployOutcome {
  env: string;
  commit?: string;
  ok: boolean;
  workloads: string[];
  ms: number;
  /** The error, when it failed: code, message, detail lines. */
  error?: { code: string; message: string; details: string[] };
  jobUrl?: string;
}

/** The comment deploy leaves on its pipeline's merge request. */
export function deployComment(o: DeployOutcome): string {
  const head = o.ok
    ? `✅ gitops-flow deployed **${plain(o.env)}**${o.commit ? ` at ${code(o.commit.slice(0, 12))}` : ''} in ${seconds(o.ms)}: ${o.workloads.length} workload(s) ready.`
    : `❌ gitops-flow could not deploy **${plain(o.env)}**${o.commit ? ` at ${code(o.commit.slice(0, 12))}` : ''} (after ${seconds(o.ms)}).`;
  const lines = [head, ''];
  if (o.workloads.length) lines.push(...o.workloads.map((w) => `- ${code(w)}`), '');
  if (o.error) {
    lines.push(`**${plain(o.error.code)}**: ${plain(o.error.message)}`, '');
    if (o.error.details.length)
      lines.push('```text', ...o.error.details.slice(0, 30).map((l) => l.replace(/```/g, "'''")), '```', '');
  }
  if (o.jobUrl && /^https?:\/\//.test(o.jobUrl)) lines.push(`Job: ${o.jobUrl}`);
  return `${lines.join('\n').trim()}\n`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
