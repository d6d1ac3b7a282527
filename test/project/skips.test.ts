import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { projectRoot } from '../support/cli.js';
import { debianNeeds, parseNeedDeb, skipWithoutDebian } from '../support/debian.js';

/**
 * How the suite reports what it skipped (issue 13): a missing Debian package skips with its
 * reason, `npm test` ends with one line listing skips by reason, and under CI=true a missing
 * package fails instead.
 */

const dir = mkdtempSync(join(tmpdir(), 'junction-skips-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const support = (name: string) => pathToFileURL(join(projectRoot, 'dist', 'test', 'support', name)).href;

// A suite as the real ones are written, except that php-cli is made to look missing.
const fixture = join(dir, 'fixture.test.mjs');
writeFileSync(fixture, `
import { describe, it } from 'node:test';
import { skipWithoutDebian } from ${JSON.stringify(support('debian.js'))};
describe('needs php', { skip: skipWithoutDebian('php-cli', process.env, () => false) }, () => {
  it('runs php', () => { throw new Error('must not run'); });
});
describe('other', () => {
  it('runs', () => {});
  it('needs something else', { skip: 'no frobnicator here' }, () => {});
});
`);

function runFixture(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  const args = ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${support('skip-summary.js')}`, '--test-reporter-destination=stdout', fixture];
  return new Promise((resolve) => {
    // Without NODE_TEST_CONTEXT, which would make the inner runner report to this one instead.
    const { NODE_TEST_CONTEXT: _, ...outer } = process.env;
    execFile(process.execPath, args, { env: { ...outer, ...env }, timeout: 30_000 }, (error, stdout) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout });
    });
  });
}

describe('skipped suites', () => {
  it('reads the packages and their files from .ci/run, the one list CI installs from', () => {
    assert.deepEqual(parseNeedDeb('x\nneed_deb nginx /usr/sbin/nginx\n  need_deb not-this /x\nneed_deb php-cli /usr/bin/php\n'),
      [{ package: 'nginx', file: '/usr/sbin/nginx' }, { package: 'php-cli', file: '/usr/bin/php' }]);
    const names = debianNeeds().map((need) => need.package);
    for (const name of ['chromium', 'nginx', 'php-cli', 'python3-autobahn', 'python3-cbor2']) assert.ok(names.includes(name), name);
  });

  it('gives the reason when a package is missing, and nothing when it is there', () => {
    assert.equal(skipWithoutDebian('php-cli', {}, () => true), false);
    assert.equal(skipWithoutDebian('php-cli', {}, () => false), 'Debian package php-cli is not installed (no /usr/bin/php; .ci/run installs it)');
    assert.throws(() => skipWithoutDebian('no-such-package', {}), /\.ci\/run installs no Debian package "no-such-package"/);
  });

  it('ends the run with its slowest files, one line listing every skip and its reason, then the plain count of tests', async () => {
    const { code, stdout } = await runFixture({ CI: '' });
    assert.equal(code, 0, stdout);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), 'tests: 1 passed, 0 failed, 1 skipped');
    assert.equal(lines.at(-2), '# skipped 1 suite and 1 test — Debian package php-cli is not installed (no /usr/bin/php; .ci/run installs it): 1 suite; no frobnicator here: 1 test');
    assert.equal(lines.at(-4), '# slowest test files (the top-level tests each defines, not their loading):');
    assert.match(lines.at(-3)!, /^# {3}\s*\d+\.\d s .*fixture\.test\.mjs$/, 'the one file, with the time of its suites');
  });

  it('fails instead of skipping a missing package under CI=true', async () => {
    const { code, stdout } = await runFixture({ CI: 'true' });
    assert.notEqual(code, 0);
    assert.match(stdout, /CI=true and Debian package php-cli is not installed/);
  });

  it('lists every package .ci/run installs in the README', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    for (const { package: name } of debianNeeds()) assert.ok(readme.includes(name), `README names ${name}`);
  });
});
