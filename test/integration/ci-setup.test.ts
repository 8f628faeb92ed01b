/**
 * Issue 14: `ci/setup.sh` (npm's pretest) gives a machine what the tests need, or stops naming it. Run
 * with a PATH that holds only its prerequisites, every Debian package the tests use is missing: with
 * --no-install it fails naming each package and the apt-get command (as a non-root user would see it),
 * never starting a test. On this machine's own PATH the packages are all there.
 */
import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';

const PACKAGES = ['zsh', 'fish', 'rsync', 'docker-registry', 'git-lfs', 'apache2-utils', 'util-linux'];

/** A folder holding links to these commands (found on the machine's PATH) and nothing else. */
function binWith(commands: string[]): string {
  const dir = tempDir('gitops-flow-setup-bin-');
  for (const name of commands) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    expect(found, `${name} on this machine's PATH`).not.toBe('');
    symlinkSync(found, join(dir, name));
  }
  return dir;
}

function setup(args: string[], PATH: string) {
  return spawnSync('/bin/bash', [join(REPO_ROOT, 'ci', 'setup.sh'), ...args], {
    cwd: REPO_ROOT,
    env: { PATH, HOME: tempDir('gitops-flow-home-') },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** What setup.sh needs to run at all: its prerequisites and the commands it calls. */
const PREREQUISITES = ['git', 'tar', 'openssl', 'go', 'node', 'npm', 'dirname', 'id'];

describe('ci/setup.sh --packages', () => {
  it('a machine without the packages: exit 1 naming each and the apt-get command, nothing installed', () => {
    const r = setup(['--packages', '--no-install'], binWith(PREREQUISITES));
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`ci/setup.sh: the tests need these Debian packages: ${PACKAGES.join(' ')}`);
    expect(r.stderr).toContain(`sudo apt-get install -y ${PACKAGES.join(' ')}`);
    expect(r.stderr).not.toContain('apt-get install ' + PACKAGES[0]);
  });

  it('a missing prerequisite is named before anything else', () => {
    const r = setup(['--packages', '--no-install'], binWith(PREREQUISITES.filter((c) => c !== 'go')));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ci/setup.sh: go is required but not on PATH');
    expect(r.stderr).not.toContain('Debian packages');
  });

  it('--list-packages names the same packages (ci/fresh-machine.sh removes them to measure a first run)', () => {
    const r = setup(['--list-packages'], binWith(PREREQUISITES));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(PACKAGES.join(' '));
  });

  it("this machine's PATH has every package the tests use: exit 0, silent", () => {
    const r = setup(['--packages', '--no-install'], process.env.PATH ?? '');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
