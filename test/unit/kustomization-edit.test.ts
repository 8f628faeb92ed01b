/**
 * Byte-preserving image edits on every overlay style of the corpus, with every `--image` form: the
 * images read back as kustomize's semantics plan them, nothing else in the document changes, each image
 * costs at most the lines of the fields that change, line endings stay, and a re-run changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { type Document, isMap, isSeq, parseDocument } from 'yaml';
import {
  type KustomizeImage,
  parseImageArg,
  parseKustomization,
  planImages,
  readImages,
  sameImages,
} from '../../src/core/kustomization.js';
import { editImages } from '../../src/core/kustomization-edit.js';
import { CORPUS, EDIT_FORMS } from '../helpers/kustomization-corpus.js';
import { lineDiff } from '../helpers/line-diff.js';

const FIELDS = ['newName', 'newTag', 'digest'] as const;

/**
 * The most lines an edit may touch: one per field that changes; a new entry one line per field (one
 * in flow style, two when a multi-line flow list's last item gains its comma); a new list its key and
 * a blank line; a field that shares the dash's line one more; a last line without newline one more.
 */
function budget(text: string, before: KustomizeImage[], after: KustomizeImage[]): number {
  const seq = parseDocument(text).get('images', true);
  const flow = isSeq(seq) && seq.items.length > 0 && (seq.flow || seq.items.some((i) => isMap(i) && i.flow));
  let lines = before.length === 0 ? 2 : 0;
  for (const image of after) {
    const old = before.find((b) => b.name === image.name);
    const fields = FIELDS.filter((f) => image[f] !== undefined).length;
    if (!old) lines += flow ? 2 : 1 + fields;
    else lines += FIELDS.filter((f) => old[f] !== image[f]).length;
    if (old && new RegExp(`- (newName|newTag|digest): .*\\n\\s+name: ${image.name}\\n`).test(text)) lines += 1;
  }
  return lines + (text.endsWith('\n') ? 0 : 1);
}

const rest = (d: Document) => {
  const js = (d.toJS() ?? {}) as Record<string, unknown>;
  delete js.images;
  return js;
};

const cases = CORPUS.flatMap((c) => EDIT_FORMS.map((args) => ({ ...c, args })));

describe('image edits change only the lines of the images that change, in the file’s style', () => {
  it.each(cases)('$name + $args', ({ name, file, text, args }) => {
    const images = args.map(parseImageArg);
    const before = readImages(parseKustomization(text, file));
    const planned = planImages(before, images);
    const result = editImages(text, file, images);
    expect(result.method).toBe('splice');
    const doc = parseKustomization(result.text, file);
    expect(sameImages(readImages(doc), planned)).toBe(true);
    expect(rest(doc)).toEqual(rest(parseDocument(text)));

    const { changed } = lineDiff(text, result.text);
    expect(changed, `${name}: ${changed} lines`).toBeLessThanOrEqual(budget(text, before, planned));
    if (text.includes('\r\n')) expect(result.text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(editImages(result.text, file, images)).toEqual({ text: result.text, changed: false, method: 'splice' });
  });

  it('a new tag for an image that has one changes exactly one line everywhere', () => {
    for (const { name, file, text } of CORPUS.filter((c) => /newTag/.test(c.text))) {
      const result = editImages(text, file, [parseImageArg('app=*:9.9.9@*')]);
      expect(lineDiff(text, result.text), name).toMatchObject({ inserted: 1, deleted: 1 });
    }
  });

  it.each([
    [
      'compact list',
      'images:\n- name: a\n  newTag: "1"\n',
      'b:2',
      'images:\n- name: a\n  newTag: "1"\n- name: b\n  newTag: "2"\n',
    ],
    [
      'sorted insertion keeps the comment above its entry',
      'images:\n# a\n- name: a\n# c\n- name: c\n',
      'b:1',
      'images:\n# a\n- name: a\n- name: b\n  newTag: "1"\n# c\n- name: c\n',
    ],
    [
      'new field after its predecessor',
      'images:\n  - name: a\n    newTag: x\n',
      `a=*:x@sha256:${'a'.repeat(64)}`,
      `images:\n  - name: a\n    newTag: x\n    digest: sha256:${'a'.repeat(64)}\n`,
    ],
    [
      'dropped first field moves the next behind the dash',
      'images:\n- newName: r/a\n  name: a\n  newTag: "1"\n',
      'a:2',
      'images:\n- name: a\n  newTag: "2"\n',
    ],
    ['quoted tag stays quoted', "images:\n- name: a\n  newTag: '1'\n", 'a:2', "images:\n- name: a\n  newTag: '2'\n"],
    [
      'a number-like tag is quoted',
      'images:\n- name: a\n  newTag: v1\n',
      'a:1.10',
      'images:\n- name: a\n  newTag: "1.10"\n',
    ],
    ['empty value is filled', 'images:\n- name: a\n  newTag:\n', 'a:2', 'images:\n- name: a\n  newTag: "2"\n'],
    [
      'flow entry',
      'images:\n- { name: a, newTag: "1" }\n',
      'a=r/a:2',
      'images:\n- { name: a, newName: r/a, newTag: "2" }\n',
    ],
  ])('%s', (_, text, arg, expected) => {
    expect(editImages(text, 'k.yaml', [parseImageArg(arg)]).text).toBe(expected);
  });

  it('falls back to writing the document again for anchors, and says so', () => {
    const text = 'x: &tag "1"\nimages:\n- name: a\n  newTag: *tag\n';
    const result = editImages(text, 'k.yaml', [parseImageArg('a:2')]);
    expect(result.method).toBe('reserialize');
    expect(readImages(parseKustomization(result.text, 'k.yaml'))).toEqual([{ name: 'a', newTag: '2' }]);
  });

  it('refuses tab indentation naming the file and line', () => {
    expect(() =>
      editImages('images:\n\t- name: a\n', 'overlays/dev/kustomization.yaml', [parseImageArg('a:2')]),
    ).toThrowError(/overlays\/dev\/kustomization.yaml:2.*tab/i);
  });
});
