import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect } from '../../src/client/index.js';
import { freePort, runJunction, RunningJunction } from '../support/cli.js';

/**
 * Crossbar's multi-process recipe (crossbar-examples benchmark/web): router workers, each with the
 * same web transport on one port with "shared": true. Through the CLI: one listener serves them.
 */

const home = mkdtempSync(join(tmpdir(), 'junction-shared-port-'));
const running: RunningJunction[] = [];
after(() => {
  running.forEach((junction) => junction.kill());
  rmSync(home, { recursive: true, force: true });
});

function routerWorker(cpu: number, port: number, realms: object[]): object {
  return {
    type: 'router',
    options: { cpu_affinity: [cpu] },
    realms,
    transports: [{
      type: 'web',
      endpoint: { type: 'tcp', interface: '127.0.0.1', port, shared: true, backlog: 2048 },
      paths: { json: { type: 'json', value: { param1: 'foobar' } }, ws: { type: 'websocket' } },
    }],
  };
}

describe('router workers sharing a port, through the CLI', { timeout: 120_000 }, () => {
  it('check says one transport; start serves web paths and WAMP (both workers\' realms) on the one port', async () => {
    const port = await freePort();
    const configPath = join(home, 'config.json');
    const realm = (name: string) => ({ name, roles: [{ name: 'anonymous', 'allow-by-default': true }] });
    writeFileSync(configPath, JSON.stringify({ version: 2, workers: [routerWorker(0, port, [realm('realm1')]), routerWorker(1, port, [realm('realm2')])] }));

    const checked = await runJunction(['check', '--config', configPath]);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /ok \(2 realms, 1 transport\)/);
    assert.match(checked.stdout, /workers\[1\]\.transports\[0\]: the same transport as workers\[0\]\.transports\[0\].*--workers.*\[config\.notice\.port_shared\]/);

    const junction = RunningJunction.start(['--config', configPath]);
    running.push(junction);
    await junction.started((line) => line.msg === 'listening' && line.service === 'websocket');
    const answer = await fetch(`http://127.0.0.1:${port}/json`);
    assert.deepEqual(await answer.json(), { param1: 'foobar' });
    for (const name of ['realm1', 'realm2']) {
      const session = await connect({ url: `ws://127.0.0.1:${port}/ws`, realm: name, reconnect: false });
      await session.leave();
    }
  });
});
