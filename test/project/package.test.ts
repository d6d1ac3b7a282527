import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, projectRoot, RunningJunction } from '../support/cli.js';
import { skipUnlessCi } from '../support/debian.js';
import { OwnedProcess } from '../support/owned-process.js';
import { spawnOwned } from '../support/processes.js';

/**
 * The npm package as a user gets it (issue 13): only what a user needs, a LICENSE, source maps
 * and documentation links that resolve inside the package, and `npx junction start` working from
 * the packed tarball installed in an empty folder. Packs with --ignore-scripts: the suite runs
 * on the dist/ that `npm test` just built, which a real pack would rebuild from scratch.
 */

const scratch = mkdtempSync(join(tmpdir(), 'junction-package-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** npm, without the npm_* variables of an `npm test` around us (they would configure it). */
function npm(args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  return new Promise((resolve) => {
    execFile('npm', args, { cwd, env: { ...env, npm_config_update_notifier: 'false' }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

interface PackedFile {
  path: string;
}

const packed = await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], projectRoot, 60_000);
assert.equal(packed.code, 0, packed.stderr);
const files = new Set((JSON.parse(packed.stdout) as [{ files: PackedFile[] }])[0].files.map((file) => file.path));

/** Relative link targets of a markdown file (anchors dropped; web links and pure anchors skipped). */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!)
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0]!);
}

describe('npm pack', () => {
  it('ships no compiled tests, test helpers or test fixtures', () => {
    const testFiles = [...files].filter((path) => /\.test\.|^dist\/test\/|\/testing\/|^test\//.test(path));
    assert.deepEqual(testFiles, []);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'bin/junction.js', 'dist/src/cli/main.js', 'dist/src/node/index.d.ts', 'docs/configuration.md', 'examples/README.md', 'python/junction_container.py', 'python/junction_authenticator.py', 'python/junction_lifeline.py', 'python/junction_results.py']) {
      assert.ok(files.has(needed), `the package holds ${needed}`);
    }
  });

  it('ships every file package.json points at: the bin and each export', () => {
    const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; exports: Record<string, string | Record<string, string>> };
    const targets = [...Object.values(manifest.bin), ...Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))];
    for (const target of targets) assert.ok(files.has(normalize(target)), `${target} is in the package`);
  });

  it('carries the MIT LICENSE that package.json names', () => {
    const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { license: string };
    assert.equal(manifest.license, 'MIT');
    const license = readFileSync(join(projectRoot, 'LICENSE'), 'utf8');
    assert.match(license, /^MIT License\n\nCopyright \(c\) 2026 the Junction authors\n/);
  });

  it('ships a source for every source map it ships (the file, or its text inside the map)', () => {
    const maps = [...files].filter((path) => path.endsWith('.map'));
    assert.ok(maps.length > 0);
    const unresolved: string[] = [];
    for (const map of maps) {
      const { sources, sourceRoot = '', sourcesContent = [] } = JSON.parse(readFileSync(join(projectRoot, map), 'utf8')) as { sources: string[]; sourceRoot?: string; sourcesContent?: (string | null)[] };
      sources.forEach((source, index) => {
        const path = relative('.', normalize(join(dirname(map), sourceRoot, source)));
        if (!files.has(path) && typeof sourcesContent[index] !== 'string') unresolved.push(`${map} -> ${source}`);
      });
    }
    assert.deepEqual(unresolved, []);
  });

  it('ships every file that its markdown links to', () => {
    const broken: string[] = [];
    for (const doc of [...files].filter((path) => path.endsWith('.md'))) {
      for (const target of relativeLinks(readFileSync(join(projectRoot, doc), 'utf8'))) {
        const path = relative('.', normalize(join(dirname(doc), target)));
        if (!files.has(path) && ![...files].some((file) => file.startsWith(`${path.replace(/\/$/, '')}/`))) broken.push(`${doc} -> ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('installs into an empty folder without the devDependencies, and `npx junction start` serves /health', { timeout: 240_000 }, async (t) => {
    const pack = await npm(['pack', '--ignore-scripts', '--pack-destination', scratch], projectRoot, 120_000);
    assert.equal(pack.code, 0, pack.stderr);
    const tarball = join(scratch, pack.stdout.trim().split('\n').at(-1)!);

    const app = join(scratch, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true }));
    // From the npm cache where it can; a machine that never installed the dependencies needs the registry.
    const install = await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app, 180_000);
    if (install.code !== 0 && /ENOTCACHED|EAI_AGAIN|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|ENETUNREACH/.test(install.stderr)) {
      t.skip(skipUnlessCi('the dependencies are neither in the npm cache nor reachable in the registry'));
      return;
    }
    assert.equal(install.code, 0, install.stderr);
    // The build's tools (devDependencies) are not there: the package runs on the dist/ it ships.
    for (const tool of ['typescript', 'esbuild']) assert.ok(!existsSync(join(app, 'node_modules', tool)), `${tool} was not installed`);

    const port = await freePort();
    // In a process group of its own: npx runs junction as its child, and the stop signal is for both.
    const junction = new RunningJunction(spawnOwned('npx', ['--no-install', 'junction', 'start', '--port', String(port)], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
    const npx = OwnedProcess.of(junction.child, 'npx');
    try {
      await junction.started((line) => line.msg === 'listening' && line.service === 'health');
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'serving' });
      assert.ok(npx.signalGroupIfRunning('SIGTERM'), 'npx leads its process group');
      await junction.waitForLine((line) => line.msg === 'stopped', 15_000);
      await junction.waitForExit();
    } finally {
      npx.signalGroupIfRunning('SIGKILL');
    }
  });
});
