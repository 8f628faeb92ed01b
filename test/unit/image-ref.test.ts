import { describe, expect, it } from 'vitest';
import { GitopsError } from '../../src/core/errors.js';
import { parseImageRef } from '../../src/core/image-ref.js';

const digest = `sha256:${'a'.repeat(64)}`;

describe('parseImageRef accepts the Docker reference grammar', () => {
  it.each([
    ['nginx', { name: 'nginx' }],
    ['nginx:1.25', { name: 'nginx', tag: '1.25' }],
    ['library/nginx:latest', { name: 'library/nginx', tag: 'latest' }],
    ['registry.example.com/team/app:1.4.2', { name: 'registry.example.com/team/app', tag: '1.4.2' }],
    ['localhost:5000/app:v1', { name: 'localhost:5000/app', tag: 'v1' }],
    ['registry.example.com:5000/a/b/c:1.0-rc.1_x', { name: 'registry.example.com:5000/a/b/c', tag: '1.0-rc.1_x' }],
    [`app@${digest}`, { name: 'app', digest }],
    [`gcr.io/p/app:1.2@${digest}`, { name: 'gcr.io/p/app', tag: '1.2', digest }],
    ['[::1]:5000/app:1', { name: '[::1]:5000/app', tag: '1' }],
    ['my-app__x/z--w.y:T_1', { name: 'my-app__x/z--w.y', tag: 'T_1' }],
    [`a:${'t'.repeat(128)}`, { name: 'a', tag: 't'.repeat(128) }],
    ['UPPER.example.com/app:1', { name: 'UPPER.example.com/app', tag: '1' }],
  ])('%s', (ref, expected) => {
    expect(parseImageRef(ref)).toEqual(expected);
  });
});

describe('parseImageRef rejects anything else with exit 2 and the bad value', () => {
  it.each([
    ['', 'empty'],
    ['app name:1', 'path component'],
    ['app;rm -rf /:1', 'path component'],
    ['app:$(id)', 'tag'],
    ['$(id)/app:1', 'path component'],
    ['my_reg.io/app:1', 'registry host'],
    ['app:1\nmalicious', 'tag'],
    ['../etc/passwd', 'registry host ".."'],
    ['a/../b:1', 'path component'],
    ['Team/App:1', 'lowercase'],
    [`app:${'t'.repeat(129)}`, 'tag'],
    ['app:.hidden', 'tag'],
    ['app:-x', 'tag'],
    ['app@sha256:abc', 'digest'],
    [`app@md5:${'a'.repeat(32)}`, 'digest'],
    [`app@sha256:${'A'.repeat(64)}`, 'digest'],
    ['app:', 'tag'],
    ['/app:1', 'path component'],
    ['app/:1', 'path component'],
    ['app--:1', 'path component'],
    ['app`id`:1', 'path component'],
    [`${'a'.repeat(256)}:1`, 'longer than 255'],
    ['reg.io:port/app', 'registry host'],
  ])('%j', (ref, why) => {
    try {
      parseImageRef(ref);
      expect.unreachable(`accepted ${JSON.stringify(ref)}`);
    } catch (e) {
      expect(e).toBeInstanceOf(GitopsError);
      const err = e as GitopsError;
      expect(err.exitCode).toBe(2);
      expect(err.code).toBe('IMAGE_REF_INVALID');
      expect(err.message).toContain(JSON.stringify(ref).slice(0, 50));
      expect(err.message).toContain(why);
    }
  });
});
