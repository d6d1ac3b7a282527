import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import autobahn from 'autobahn';
import { Push } from 'zeromq';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort, projectRoot, RunningJunction } from '../support/cli.js';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';
import { waitFor } from '../support/wait.js';
import { Wamp1Client } from '../support/wamp1-client.js';

/**
 * The form-locking app of ../shared/mission/README.md moved off Ratchet, as a new user would:
 * `junction start` with a config file; the pages stay WAMP v1 (two of them on one form's topic),
 * the lock logic is a `form-lock` procedure served by an AutobahnJS v2 callee, the backend keeps
 * its ZeroMQ PUSH of entity updates (Node zeromq here, and PHP's php-zmq when installed), a shell
 * script on stdin/stdout answers a procedure a page calls, and the app's webhook learns that a
 * page left.
 */

const FORM = 'com.example.form.example.1';
const php = debianNeed('php-cli').file;

describe('the form-locking app on Junction (WAMP v1 pages, a v2 lock service, a ZeroMQ pusher, a stdio program, a presence webhook)', () => {
  let home: string;
  let junction: RunningJunction;
  let url: string;
  let zmqEndpoint: string;
  let hooks: Server;
  const left: { args: unknown[]; kwargs: Record<string, any> }[] = [];
  let lockService: OpenSession;
  let pageA: Wamp1Client;
  let pageB: Wamp1Client;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'junction-form-lock-'));
    hooks = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        left.push(JSON.parse(body) as { args: unknown[]; kwargs: Record<string, unknown> });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    const [wsPort, zmqPort] = [await freePort(), await freePort()];
    zmqEndpoint = `tcp://127.0.0.1:${zmqPort}`;
    const config = formLockConfig(wsPort, zmqEndpoint, `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hooks/presence`);
    writeFileSync(join(home, 'config.json'), JSON.stringify(config, null, 2));
    junction = RunningJunction.start(['--config', join(home, 'config.json'), '--data-dir', join(home, 'data'), '--log-level', 'info'], home);
    await junction.started((line) => line.msg === 'listening');
    url = `ws://127.0.0.1:${wsPort}/`;

    // The lock logic, moved from the Ratchet server into a v2 callee.
    lockService = await openAutobahn(url);
    const locks = new Map<string, number>();
    await lockService.session.register('form-lock', (args: [{ form: string }], _kwargs: unknown, details: { caller: number }) => {
      const { form } = args[0];
      if (locks.has(form)) throw new autobahn.Error('com.example.form.locked', ['Form was locked'], { form, status: 'locked' });
      locks.set(form, details.caller);
      lockService.session.publish(form, [{ status: 'edit' }], {}, { exclude: [details.caller] });
      return { event: 'lock' };
    }, { disclose_caller: true });

    pageA = await Wamp1Client.connect(url);
    pageB = await Wamp1Client.connect(url);
  });

  after(async () => {
    await pageA?.close();
    await pageB?.close();
    await lockService?.close();
    junction?.kill();
    await junction?.waitForExit();
    await new Promise((resolve) => hooks?.close(resolve));
    rmSync(home, { recursive: true, force: true });
  });

  it('two pages subscribe to the form; one locks it through form-lock, the other is told; a second lock fails with CALLERROR', async () => {
    pageA.subscribe(FORM);
    pageB.subscribe(FORM);
    await Promise.all([pageA, pageB].map((page) => page.call('wamp.session.count')));
    assert.deepEqual(await pageA.call('form-lock', { form: FORM }), [3, 'call-2', { event: 'lock' }]);
    await pageB.until(() => pageB.events(FORM).length === 1, 'the lock event at the other page');
    assert.deepEqual(pageB.events(FORM), [{ status: 'edit' }]);
    assert.deepEqual(pageA.events(FORM), [], 'the caller is excluded');
    assert.deepEqual(await pageB.call('form-lock', { form: FORM }),
      [4, 'call-2', 'com.example.form.locked', 'Form was locked', { form: FORM, status: 'locked' }]);
  });

  it('the backend\'s ZeroMQ push of an entity update reaches both pages', async () => {
    const socket = new Push({ linger: 0 });
    socket.connect(zmqEndpoint);
    try {
      const update = { form: FORM, status: 'entity_updated', change_set: { title: ['Draft', 'Final'] } };
      await socket.send(JSON.stringify(update));
      for (const page of [pageA, pageB]) await page.until(() => page.events(FORM).some((event) => (event as { status: string }).status === 'entity_updated'), 'the update');
      assert.deepEqual(pageA.events(FORM).at(-1), update);
      assert.deepEqual(pageB.events(FORM).at(-1), update);
    } finally {
      socket.close();
    }
  });

  it('the PHP backend\'s php-zmq push reaches both pages', { skip: skipWithoutDebian('php-cli') || skipWithoutDebian('php-zmq') }, async () => {
    const update = { form: FORM, status: 'entity_updated', change_set: { body: ['old', 'new'] } };
    await promisify(execFile)(php, [join(projectRoot, 'test/fixtures/form-lock/push.php'), zmqEndpoint, JSON.stringify(update)], { timeout: 10_000 });
    for (const page of [pageA, pageB]) await page.until(() => page.events(FORM).some((event) => JSON.stringify(event) === JSON.stringify(update)), 'the PHP push');
  });

  it('a shell script on stdin/stdout answers a procedure a page calls', async () => {
    const deadline = Date.now() + 5_000;
    let answer = await pageA.call('board.temperature');
    while (answer[0] === 4 && Date.now() < deadline) answer = await pageA.call('board.temperature'); // until the script has registered
    assert.equal(answer[0], 3);
    assert.equal(typeof answer[2], 'number');
  });

  it('the app\'s webhook learns that a page left, with its session, role and transport', async () => {
    const id = Number(pageB.sessionId);
    await pageB.close();
    await waitFor(() => left.some((hook) => hook.args[0] === id), 'the on_leave webhook', 10_000);
    const hook = left.find((candidate) => candidate.args[0] === id)!;
    assert.equal(hook.kwargs.authrole, 'anonymous');
    assert.equal(hook.kwargs.transport.type, 'wamp1');
    assert.match(hook.kwargs.transport.peer, /^tcp4:127\.0\.0\.1:\d+$/);
  });
});

/** The config a user of the form-locking app writes (Crossbar format plus Junction's extensions). */
function formLockConfig(wsPort: number, zmqEndpoint: string, hookUrl: string): unknown {
  const allow = (actions: string[]) => Object.fromEntries(['call', 'register', 'publish', 'subscribe'].map((action) => [action, actions.includes(action)]));
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{
        name: 'realm1',
        roles: [
          { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: allow(['call', 'register', 'publish', 'subscribe']), disclose: { caller: true } }] },
          { name: 'backend', permissions: [{ uri: 'com.example.', match: 'prefix', allow: allow(['publish']) }] },
          { name: 'webhooks', permissions: [{ uri: 'wamp.session.', match: 'prefix', allow: allow(['subscribe']) }] },
        ],
      }],
      transports: [{
        type: 'websocket',
        endpoint: { type: 'tcp', port: wsPort, interface: '127.0.0.1' },
        serializers: ['json'],
        options: { wamp1: { realm: 'realm1', role: 'anonymous' } },
        auth: { anonymous: { type: 'static', role: 'anonymous' } },
      }],
      components: [
        { type: 'zeromq', id: 'pusher', realm: 'realm1', role: 'backend', bind: zmqEndpoint, topic_field: 'form' },
        { type: 'stdio', id: 'sensor', realm: 'realm1', role: 'anonymous', command: [join(projectRoot, 'test/fixtures/stdio/sensor.sh')] },
        {
          type: 'class', id: 'presence', classname: 'crossbar.bridge.rest.MessageForwarder', realm: 'realm1', role: 'webhooks',
          extra: { subscriptions: [{ topic: 'wamp.session.on_leave', url: hookUrl }] },
        },
      ],
    }],
  };
}
