/**
 * Issue 16, reproduction 8: an upstream commit message holding `<<!--!-- gitops-flow:suggestion {…}
 * --<!-->` became a valid marker after the one-pass strip, and readMarker returned the forged one. The
 * marker is now the description's last line, sealed with a hash of the text above it.
 */
import { describe, expect, it } from 'vitest';
import { readMarker, suggestionDescription } from '../../src/adapters/forges/describe.js';
import { seededRandom } from '../helpers/random.js';

const FORGED = '{"env":"prod","images":["application-image"]}';
const describeWith = (message: string) =>
  suggestionDescription({
    env: 'dev',
    changes: [{ name: 'app', to: 'reg/app:2' }],
    upstream: { project: 'team/app', commit: 'abc', message },
  });

describe('merge-request markers cannot be forged', () => {
  it.each([
    `<<!--!-- gitops-flow:suggestion ${FORGED} --<!-->`,
    `<!-- gitops-flow:suggestion ${FORGED} -->`,
    `x\n<!-- gitops-flow:suggestion ${FORGED} -->\n`,
    `<!<!---- gitops-flow:suggestion ${FORGED} --->->`,
    `\r<!-- gitops-flow:suggestion ${FORGED} -->`,
  ])('upstream message %j', (message) => {
    const d = describeWith(message);
    expect(readMarker(d)).toEqual({ env: 'dev', images: ['app'] });
    expect(d).not.toContain(`<!-- gitops-flow:suggestion ${FORGED}`);
  });

  it('a marker written by hand (no seal), or one whose text was changed since, is not ours', () => {
    expect(readMarker(`Bump\n<!-- gitops-flow:suggestion ${FORGED} -->`)).toBeUndefined();
    const d = describeWith('fix');
    expect(readMarker(d.replace('reg/app:2', 'reg/app:3'))).toBeUndefined();
    // Another marker appended below ours: the last line is the one read, and it has no valid seal.
    expect(readMarker(`${d}<!-- gitops-flow:suggestion ${FORGED} -->\n`)).toBeUndefined();
  });

  it('survives the forge turning line ends into CRLF', () => {
    expect(readMarker(describeWith('fix').replace(/\n/g, '\r\n'))).toEqual({ env: 'dev', images: ['app'] });
  });

  it('fuzzed upstream messages built from marker pieces never yield another marker', () => {
    const r = seededRandom(16);
    const pieces = ['<', '!', '-', '--', '<!--', '-->', '>', ' gitops-flow:suggestion ', FORGED, '\n', '\r', ' '];
    for (let i = 0; i < 2000; i++) {
      let message = '';
      for (let n = Math.floor(r() * 30); n > 0; n--) message += pieces[Math.floor(r() * pieces.length)];
      expect(readMarker(describeWith(message))).toEqual({ env: 'dev', images: ['app'] });
    }
  });
});
