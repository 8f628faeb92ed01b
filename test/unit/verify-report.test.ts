/**
 * The live report of a verification in each of its forms: timestamped lines on change in a log, a view
 * redrawn in place on a terminal, plain lines in CI, JSON events with --json. The reporter is driven
 * here as verify-render drives it; the same code against a real cluster runs in the e2e tier.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type CommandContext, createLogger, type Io } from '../../src/core/io.js';
import type { Tracked } from '../../src/core/status/summary.js';
import { createReporter } from '../../src/steps/deploy/report.js';

function context(tty: boolean, env: NodeJS.ProcessEnv = {}) {
  const stderr = new PassThrough();
  if (tty) Object.assign(stderr, { isTTY: true, columns: 120, rows: 40 });
  const chunks: Buffer[] = [];
  stderr.on('data', (b: Buffer) => chunks.push(b));
  const io: Io = { cwd: '/', env: { PATH: '/usr/bin:/bin', ...env }, stdout: new PassThrough(), stderr };
  const ctx: CommandContext = {
    io,
    log: createLogger(io, { verbose: false }),
    opts: { dryRun: false, verbose: false, json: false },
  };
  return { ctx, err: () => Buffer.concat(chunks).toString() };
}
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** What verify-render does for a Deployment that becomes ready and a Job that fails, at given times. */
async function drive(ctx: CommandContext, clock: { t: number }, json = false) {
  const r = createReporter(ctx, 'Verifying 2 object(s) of dev', { json }, () => clock.t);
  const web: Tracked = { ref: 'Deployment/web (namespace shop)', status: 'InProgress', message: '0/2 ready' };
  const job: Tracked = { ref: 'Job/migrate (namespace shop)', status: 'InProgress', message: 'running: 1 active' };
  const all = [web, job];
  r.changed(web, all);
  await new Promise((res) => setTimeout(res, 100)); // a terminal's live view loads its renderer first
  clock.t += 1200;
  web.message = '1/2 ready';
  r.changed(web, all);
  clock.t += 300;
  r.changed(job, all); // nothing new to say: no line
  clock.t += 1500;
  Object.assign(web, { status: 'Current', message: '2/2 ready', doneAfterMs: 3000 });
  r.finished(web);
  r.note('Job/migrate (namespace shop): pod migrate-x container m Error (exit code 1)', { pod: 'migrate-x' });
  Object.assign(job, { status: 'Failed', message: 'BackoffLimitExceeded', doneAfterMs: 3000 });
  r.finished(job);
  await new Promise((res) => setTimeout(res, 150)); // let a live view draw
  r.close(all);
}

describe('verify report', () => {
  it('in a log: the title, a timestamped waiting line per change, ✓ / ✗ per object, notes', async () => {
    const { ctx, err } = context(false);
    await drive(ctx, { t: 0 });
    const lines = err().split('\n').filter(Boolean);
    expect(lines[0]).toBe('Verifying 2 object(s) of dev');
    expect(lines.filter((l) => /^ {2}\[\d{2}:\d{2}:\d{2}\] waiting on/.test(l)).map((l) => l.slice(13))).toEqual([
      'waiting on 2 of 2: Deployment/web (namespace shop) 0/2 ready, Job/migrate (namespace shop) running: 1 active (0 s)',
      'waiting on 2 of 2: Deployment/web (namespace shop) 1/2 ready, Job/migrate (namespace shop) running: 1 active (1 s)',
    ]);
    expect(lines).toContain('  ✓ Deployment/web (namespace shop) ready: 2/2 ready (3 s)');
    expect(lines).toContain('  ✗ Job/migrate (namespace shop) failed: BackoffLimitExceeded (3 s)');
    expect(lines).toContain('  Job/migrate (namespace shop): pod migrate-x container m Error (exit code 1)');
    expect(err()).not.toContain('\x1b');
  });

  it('on a terminal: redrawn in place, coloured ✓ / ✗; NO_COLOR keeps it colourless', async () => {
    const { ctx, err } = context(true);
    await drive(ctx, { t: 0 });
    expect(err()).toMatch(/\x1b\[\d*A/);
    expect(plain(err())).toContain('waiting on 2 of 2: Deployment/web (namespace shop) 1/2 ready');
    expect(plain(err())).not.toMatch(/\[\d{2}:\d{2}:\d{2}\]/);
    expect(err()).toContain('\x1b[32m✓\x1b[39m Deployment/web (namespace shop) ready');
    const noColor = context(true, { NO_COLOR: '1' });
    await drive(noColor.ctx, { t: 0 });
    expect(noColor.err()).not.toMatch(/\x1b\[\d+m/);
  });

  it('in GitLab CI: plain lines inside a collapsible section', async () => {
    const { ctx, err } = context(true, { CI: 'true', GITLAB_CI: 'true' });
    await drive(ctx, { t: 0 });
    expect(err()).toMatch(
      /section_start:\d+:gitops_flow_\d+_verify\[collapsed=true\]\r\x1b\[0KVerifying 2 object\(s\) of dev/,
    );
    expect(err()).toMatch(/section_end:\d+:gitops_flow_\d+_verify/);
    expect(plain(err())).toMatch(/\[\d{2}:\d{2}:\d{2}\] waiting on 2 of 2/);
  });

  it('with --json-events: one JSON event per line on stderr, nothing on stdout', async () => {
    const { ctx, err } = context(false);
    let out = '';
    ctx.io.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await drive(ctx, { t: 0 }, true);
    const events = err()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(['status', 'status', 'status', 'ready', 'note', 'failed', 'summary']);
    expect(events[3]).toMatchObject({
      object: 'Deployment/web (namespace shop)',
      message: '2/2 ready',
      elapsedMs: 3000,
    });
    expect(events.at(-1)).toMatchObject({ ready: 1, total: 2 });
    expect(out).toBe('');
  });
});
