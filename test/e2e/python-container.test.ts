import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort, RunningJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';

/**
 * A Crossbar container worker's Python class, unchanged, run by `junction start --cbdir` with
 * Debian's Autobahn|Python: it joins through the transport its config names, registers a
 * procedure and publishes (retained) on join; a client calls it and subscribes through the router.
 */

const folders: string[] = [];
const running: RunningJunction[] = [];
const clients: OpenSession[] = [];
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  running.forEach((junction) => junction.kill());
  folders.forEach((folder) => rmSync(folder, { recursive: true, force: true }));
});

const backend = `
import os
from autobahn.twisted.wamp import ApplicationSession
from autobahn.wamp.types import PublishOptions
from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import LoopingCall


class Backend(ApplicationSession):
    @inlineCallbacks
    def onJoin(self, details):
        greeting = self.config.extra['greeting']
        yield self.register(lambda name: '%s, %s' % (greeting, name), 'com.example.hello')
        yield self.publish('com.example.joined', 'backend', details.realm, options=PublishOptions(retain=True, acknowledge=True))
        print('backend joined')
        # A test's Python ends when the Junction that started it is gone (killed by the test's cleanup included).
        parent = os.getppid()
        LoopingCall(lambda: os.getppid() != parent and reactor.stop()).start(0.25)
`;

describe("a container worker's Python component, run by junction start --cbdir", { skip: skipWithoutDebian('python3-autobahn') }, () => {
  it('joins, registers and publishes; the router serves its procedure and its event', async () => {
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), 'junction-python-container-'));
    folders.push(home);
    const cbdir = join(home, '.crossbar');
    mkdirSync(cbdir);
    mkdirSync(join(home, 'app'));
    writeFileSync(join(home, 'app', 'backend.py'), backend);
    writeFileSync(join(cbdir, 'config.json'), JSON.stringify({
      version: 2,
      workers: [
        {
          type: 'router',
          realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] }] }],
          transports: [{ type: 'websocket', endpoint: { type: 'tcp', interface: '127.0.0.1', port } }],
        },
        {
          type: 'container',
          options: { pythonpath: ['../app'] },
          components: [{
            type: 'class', classname: 'backend.Backend', realm: 'realm1', extra: { greeting: 'hello' },
            transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port }, url: `ws://127.0.0.1:${port}/` },
          }],
        },
      ],
    }));
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    await junction.waitForLine((line) => line.guest === 'worker002' && line.msg.endsWith('backend joined'), 60_000);

    const client = await openAutobahn(`ws://127.0.0.1:${port}/`, 'json', { realm: 'realm1' });
    clients.push(client);
    assert.equal(await client.session.call('com.example.hello', ['junction']), 'hello, junction');
    const joined = await new Promise<unknown[]>((resolve, reject) => {
      client.session.subscribe('com.example.joined', (args: unknown[]) => resolve(args), { get_retained: true }).catch(reject);
    });
    assert.deepEqual(joined, ['backend', 'realm1']);

    await client.close();
    clients.pop();
    junction.child.kill('SIGTERM');
    assert.equal(await junction.exited, 0);
    assert.ok(junction.lines.some((line) => line.guest === 'worker002' && line.msg === 'guest worker stopped'));
  });
});
