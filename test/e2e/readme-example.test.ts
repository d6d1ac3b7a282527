import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, projectRoot, RunningJunction } from '../support/cli.js';
import { Arrivals, within } from '../support/wait.js';

/**
 * The README's "Trying it" example, as written there (only its port changed), against `junction
 * start` without a config: what it prints, and a clear failure when a second copy runs beside it.
 */

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Trying it'));
const example = /```js\n([\s\S]*?)```/.exec(section)?.[1] ?? assert.fail('the README has no js example under "Trying it"');

// In the project (.scratch/ is ignored by git), so that `import 'autobahn'` finds its node_modules.
mkdirSync(join(projectRoot, '.scratch'), { recursive: true });
const scratch = mkdtempSync(join(projectRoot, '.scratch', 'readme-example-'));
const children: ChildProcess[] = [];
const running: RunningJunction[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const junction of running) junction.kill();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs the example; its output (stdout and stderr together) grows in `output`. */
function runExample(file: string): { child: ChildProcess; output: () => string; until(pattern: RegExp, what: string): Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [file], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let text = '';
  const arrivals = new Arrivals({ stopped: () => (child.exitCode === null ? undefined : `the example exited (${child.exitCode})`), received: () => `it printed: ${text}` });
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      arrivals.wake();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    arrivals.wake();
    resolve(code);
  }));
  return { child, output: () => text, until: (pattern, what) => arrivals.until(() => pattern.test(text), what, 15_000), exited };
}

describe("the README's AutobahnJS example", () => {
  it('subscribes, registers, publishes and calls on the embedded default; a second copy says why it failed', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const junction = RunningJunction.start(['--port', String(port)]);
    running.push(junction);
    await junction.url();
    assert.match(example, /ws:\/\/127\.0\.0\.1:8080\/ws/);
    const file = join(scratch, 'try.mjs');
    writeFileSync(file, example.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`));

    const first = runExample(file);
    await first.until(/connected; watch it in http:\/\/127\.0\.0\.1:\d+\/console/, 'the example to finish its steps');
    assert.match(first.output(), /event \[ 'hello' \] \{ from: 'me' \}/);
    assert.match(first.output(), /2 \+ 3 = 5/);

    // com.example.add is taken by the first: the second must say so, not die of an unhandled rejection.
    const second = runExample(file);
    await within(second.exited, 'the second run of the example to end', 30_000, () => `; it printed: ${second.output()}`);
    assert.match(second.output(), /wamp\.error\.procedure_already_exists/);
    assert.doesNotMatch(second.output(), /UnhandledPromiseRejection/);
    assert.equal(first.child.exitCode, null, 'the first runs on');
  });
});
