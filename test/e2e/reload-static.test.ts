import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openRouterConfig, RunningJunction, runJunction } from '../support/cli.js';

/**
 * A static directory that does not exist is a warning, in the same words wherever it is met:
 * `junction check`, the log of `junction start`, and `junction reload` (its output, and the log of
 * the router that rebuilt the path).
 */

let dir: string;
let configPath: string;
let pidFile: string;
let junction: RunningJunction;

const configServing = (directory: string): string => JSON.stringify(openRouterConfig({ ws: { type: 'websocket' }, site: { type: 'static', directory } }));
const warning = (directory: string): string =>
  `transport "transport0" path "/site": the static directory ${directory} does not exist; requests get 404 until it does`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'junction-reload-static-'));
  configPath = join(dir, 'config.json');
  pidFile = join(dir, 'junction.pid');
  await mkdir(join(dir, 'site'));
  await writeFile(configPath, configServing('site'));
  junction = RunningJunction.start(['--config', configPath, '--pid-file', pidFile]);
  await junction.started((line) => /control socket/.test(line.msg));
});

after(async () => {
  junction.kill();
  await rm(dir, { recursive: true, force: true });
});

describe('a static directory that does not exist', () => {
  it('junction reload says what junction check and the log say, and still applies the change (exit 0)', async () => {
    const missing = join(dir, 'gone');
    await writeFile(configPath, configServing('gone'));
    const checked = await runJunction(['check', '--config', configPath]);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, new RegExp(`^  warning: ${escape(warning(missing))}$`, 'm'));

    const reloaded = await runJunction(['reload', '--pid-file', pidFile], 30_000);
    assert.equal(reloaded.code, 0, reloaded.stderr);
    assert.equal(reloaded.stdout, `reloaded:\n  transport "transport0": paths rebuilt /site\n  warning: ${warning(missing)}\n`);
    const logged = await junction.waitForLine((line) => line.level === 40 && line.msg.includes('static directory'));
    assert.equal(logged.msg, warning(missing));

    // Still missing, the file unchanged: reload says it again, as check would.
    const again = await runJunction(['reload', '--pid-file', pidFile], 30_000);
    assert.equal(again.stdout, `reloaded: the configuration is unchanged\n  warning: ${warning(missing)}\n`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
