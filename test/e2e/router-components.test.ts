import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { autobahnSerializer, openConnection, type OpenSession } from '../support/autobahn.js';
import { RunningJunction, type LogLine } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { RawSocketClient } from '../transport/rawsocket-client.js';

/**
 * A router worker's Python components, unchanged Crossbar files run by `junction start --cbdir`
 * with Debian's Autobahn|Python: a dynamic authenticator that AutobahnJS clients sign in through;
 * a class and a function component held to their role's permissions, whatever realm or role their
 * own code asks for; the private entry refusing a process that found its socket; a reload that
 * adds and removes components; `--workers 2`, where each worker runs its own.
 */

const folders: string[] = [];
const running: RunningJunction[] = [];
const clients: OpenSession[] = [];
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  running.forEach((junction) => junction.kill());
  folders.forEach((folder) => rmSync(folder, { recursive: true, force: true }));
});

/** A test's Python ends when the Junction that started it is gone (killed by the test's cleanup included). */
const endWithJunction = `
import os
from twisted.internet import reactor
from twisted.internet.task import LoopingCall
_parent = os.getppid()
LoopingCall(lambda: os.getppid() != _parent and reactor.stop()).start(0.25)
`;

/** Crossbar's authentication/anonymous/dynamic authenticator, as the examples write it. */
const authenticatorModule = `${endWithJunction}
from twisted.internet.defer import inlineCallbacks
from autobahn.twisted.wamp import ApplicationSession


class AuthenticatorSession(ApplicationSession):
    @inlineCallbacks
    def onJoin(self, details):
        def authenticate(realm, authid, details):
            return {'role': 'public', 'extra': {'checked_by': self.config.extra['name']}}
        yield self.register(authenticate, 'com.example.authenticate')
        print('authenticator registered as %s %s' % (details.authrole, details.authid))
`;

/**
 * A backend whose own onConnect asks for another realm and the trusted role: it gets its config's
 * realm and role. It reports what its role lets it do.
 */
const backendModule = `${endWithJunction}
from twisted.internet.defer import inlineCallbacks
from autobahn.twisted.wamp import ApplicationSession
from autobahn.wamp.types import PublishOptions


class Backend(ApplicationSession):
    def onConnect(self):
        self.join('realm2', authmethods=['anonymous'], authrole='trusted')

    @inlineCallbacks
    def onJoin(self, details):
        print('joined %s as %s %s (cbdir %s)' % (details.realm, details.authrole, details.authid, self.config.extra['cbdir']))
        yield self.register(lambda a, b: a + b, 'com.example.add')
        for attempt, act in [('publish', lambda: self.publish('com.secret.news', options=PublishOptions(acknowledge=True))),
                             ('register', lambda: self.register(lambda: None, 'org.other.proc'))]:
            try:
                yield act()
                print('%s allowed' % attempt)
            except Exception as error:
                print('%s refused: %s' % (attempt, error.error))
        print('backend ready')
`;

/** Crossbar's function component: a callback on the session's join. */
const hooksModule = `
def on_join(session, details):
    session.register(lambda: 'hooked as %s' % details.authrole, 'com.example.hooked')
    print('hook joined')
`;

function cbdirWith(config: object, files: Record<string, string>): { home: string; cbdir: string } {
  const home = mkdtempSync(join(tmpdir(), 'junction-router-components-'));
  folders.push(home);
  const cbdir = join(home, '.crossbar');
  mkdirSync(cbdir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(home, name), text);
  writeFileSync(join(cbdir, 'config.json'), JSON.stringify(config, null, 2));
  return { home, cbdir };
}

const everything = { call: true, register: true, publish: true, subscribe: true };

/** A router worker on a port the system picks (port 0): a port chosen beforehand may be taken by another process before Junction binds it. */
function routerWorker(components: object[]): object {
  return {
    type: 'router',
    options: { pythonpath: ['..'] },
    realms: [
      {
        name: 'realm1',
        roles: [
          { name: 'authenticator', permissions: [{ uri: 'com.example.authenticate', match: 'exact', allow: { call: true, register: true, publish: false, subscribe: false } }] },
          { name: 'backend', permissions: [{ uri: 'com.example.', match: 'prefix', allow: { call: true, register: true, publish: false, subscribe: false } }] },
          { name: 'public', permissions: [{ uri: '', match: 'prefix', allow: everything }] },
        ],
      },
      { name: 'realm2', roles: [{ name: 'backend', permissions: [{ uri: '', match: 'prefix', allow: everything }] }] },
    ],
    transports: [{
      type: 'websocket', endpoint: { type: 'tcp', interface: '127.0.0.1', port: 0 },
      auth: { anonymous: { type: 'dynamic', authenticator: 'com.example.authenticate', 'authenticator-realm': 'realm1' } },
    }],
    components,
  };
}

const authenticatorComponent = { type: 'class', classname: 'authenticator.AuthenticatorSession', realm: 'realm1', role: 'authenticator', extra: { name: 'router component' } };
const backendComponent = { type: 'class', classname: 'backend.Backend', realm: 'realm1', role: 'backend' };
const hooksComponent = { type: 'function', realm: 'realm1', role: 'backend', callbacks: { join: 'hooks.on_join' } };
/**
 * Procedures whose results the component's socket cannot carry as they are: a Deny (Crossbar's
 * router, in-process, reads it as a refusal) and an object no serializer writes.
 */
const unwritableModule = `${endWithJunction}
from twisted.internet.defer import inlineCallbacks
from autobahn.twisted.wamp import ApplicationSession
from autobahn.wamp.types import Deny


class Unwritable(ApplicationSession):
    @inlineCallbacks
    def onJoin(self, details):
        yield self.register(lambda: Deny('com.example.error.not_listed', 'not on the list'), 'com.example.deny')
        yield self.register(lambda: object(), 'com.example.opaque')
        yield self.register(lambda: 'plain', 'com.example.plain')
        print('unwritable ready')
`;

const modules = { 'authenticator.py': authenticatorModule, 'backend.py': backendModule, 'hooks.py': hooksModule, 'unwritable.py': unwritableModule };

/** An AutobahnJS client signed in anonymously through the dynamic authenticator, and the role it got. */
async function signedIn(port: number): Promise<OpenSession & { authrole: unknown }> {
  const client = await openConnection(
    { url: `ws://127.0.0.1:${port}/`, realm: 'realm1', authmethods: ['anonymous'], serializers: [autobahnSerializer('json')] },
    (reason, details) => new Error(`connection failed: ${reason} ${details?.reason ?? ''} ${details?.message ?? ''}`),
  );
  clients.push(client);
  return { ...client, authrole: (client.details as { authrole?: unknown }).authrole };
}

const fromComponents = (match: (line: LogLine) => boolean) => (line: LogLine) => line.guest === 'worker001' && match(line);
const pythonStartMs = 60_000;

describe("a router worker's Python components, run by junction start --cbdir", { skip: skipWithoutDebian('python3-autobahn') }, () => {
  it('a dynamic authenticator registered by a router component signs AutobahnJS clients in', async () => {
    const { home, cbdir } = cbdirWith({ version: 2, workers: [routerWorker([authenticatorComponent])] }, modules);
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    const port = await junction.port();
    const registered = await junction.waitForLine(fromComponents((line) => line.msg.includes('authenticator registered as')), pythonStartMs);
    assert.match(registered.msg, /authenticator registered as authenticator [0-9a-f-]{36}$/);

    const client = await signedIn(port);
    assert.equal(client.authrole, 'public');
    assert.equal(await client.session.call('wamp.session.count'), 2, 'the component and the client');
    await client.close();
    clients.pop();
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
  });

  it("holds a class and a function component to their role's permissions in their configured realm; the entry refuses a process without the ticket; a reload adds and removes components", async () => {
    // A reload keeps the transport (its block is unchanged), so the port stays the one picked at start.
    const config = (components: object[]) => ({ version: 2, workers: [routerWorker(components)] });
    const { home, cbdir } = cbdirWith(config([authenticatorComponent, backendComponent, hooksComponent]), modules);
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    const port = await junction.port();
    await junction.waitForLine(fromComponents((line) => line.msg.endsWith('backend ready')), pythonStartMs);
    await junction.waitForLine(fromComponents((line) => line.msg.endsWith('hook joined')), pythonStartMs);
    const said = (text: string) => junction.lines.some(fromComponents((line) => line.msg.endsWith(text)));
    assert.ok(junction.lines.some(fromComponents((line) => new RegExp(`joined realm1 as backend [0-9a-f-]{36} \\(cbdir ${cbdir}\\)$`).test(line.msg))));
    assert.ok(said('publish refused: wamp.error.not_authorized'));
    assert.ok(said('register refused: wamp.error.not_authorized'));

    const client = await signedIn(port);
    assert.equal(await client.session.call('com.example.add', [2, 3]), 5);
    assert.equal(await client.session.call('com.example.hooked'), 'hooked as backend');

    // A local process that finds the socket cannot join: it lacks the ticket.
    const joined = junction.lines.find((line) => line.msg === 'session joined' && String(line.peer).startsWith('unix:'));
    const socketPath = String(joined?.peer).slice('unix:'.length);
    assert.match(socketPath, /\/junction-components-[^/]+\/router\.sock$/);
    const intruder = await RawSocketClient.open({ path: socketPath }, { serializer: 'json' });
    intruder.send([1, 'realm1', { roles: { caller: {} }, authmethods: ['ticket', 'anonymous'], authid: String(joined?.authid) }]);
    assert.deepEqual(await intruder.next(), [4, 'ticket', {}]);
    intruder.send([5, 'guessed', {}]);
    const outcome = await intruder.next();
    intruder.close();
    assert.deepEqual([outcome[0], outcome[2]], [3, 'wamp.error.authentication_failed']);

    // The function component goes, so the process starts again with the other two.
    writeFileSync(join(cbdir, 'config.json'), JSON.stringify(config([authenticatorComponent, backendComponent])));
    junction.child.kill('SIGHUP');
    const reloaded = await junction.waitForLine((line) => line.msg.startsWith('reload: '), 30_000);
    assert.deepEqual(reloaded.applied, ['guest worker "worker001" restarted (its block changed)']);
    await junction.waitForLine(fromComponents((line) => line.msg.endsWith('backend ready') && junction.lines.indexOf(line) > junction.lines.indexOf(reloaded)), pythonStartMs);
    await assert.rejects(client.session.call('com.example.hooked'), (error: { error: string }) => error.error === 'wamp.error.no_such_procedure');
    assert.equal(await client.session.call('com.example.add', [1, 1]), 2);

    // No router component left: the process stops, and the private entry's folder goes at stop.
    writeFileSync(join(cbdir, 'config.json'), JSON.stringify(config([])));
    junction.child.kill('SIGHUP');
    const emptied = await junction.waitForLine((line) => line.msg.startsWith('reload: ') && line !== reloaded, 30_000);
    assert.deepEqual(emptied.applied, ['guest worker "worker001" stopped (removed from the file)']);
    await client.close();
    clients.pop();
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
    assert.ok(!existsSync(dirname(socketPath)));
  });

  it('answers every call of a component\'s procedure: a Deny as the ERROR it means, a result no serializer writes with wamp.error.invalid_payload; and a joined client\'s calls while the node stops', async () => {
    const unwritable = { type: 'class', classname: 'unwritable.Unwritable', realm: 'realm1', role: 'backend' };
    // Ignores SIGTERM: the stop waits 2 s for it before the clients get their GOODBYE.
    const stubborn = {
      type: 'guest', id: 'stubborn', executable: process.execPath,
      arguments: ['-e', 'const junction = process.ppid; process.on("SIGTERM", () => {}); setInterval(() => { if (process.ppid !== junction) process.exit(0); }, 250);'],
    };
    const { home, cbdir } = cbdirWith({ version: 2, workers: [routerWorker([authenticatorComponent, unwritable]), stubborn] }, modules);
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    const port = await junction.port();
    await junction.waitForLine(fromComponents((line) => line.msg.endsWith('unwritable ready')), pythonStartMs);
    const client = await signedIn(port);
    // Without the launcher's answer these calls waited for their timeout.
    const refusal = (call: Promise<unknown>) => call.then(
      (result) => { throw new Error(`answered ${JSON.stringify(result)}`); },
      (error: { error: string; args: unknown[] }) => [error.error, error.args],
    );
    const options = { timeout: 10_000 };
    assert.deepEqual(await refusal(client.session.call('com.example.deny', [], {}, options)), ['com.example.error.not_listed', ['not on the list']]);
    const [uri, args] = await refusal(client.session.call('com.example.opaque', [], {}, options));
    assert.equal(uri, 'wamp.error.invalid_payload');
    assert.match(String((args as unknown[])[0]), /could not be serialized/);
    assert.equal(await client.session.call('com.example.plain'), 'plain', 'the component still serves');
    // The router's Python components stop after the clients have left: until its GOODBYE, a client's calls are answered.
    junction.child.kill('SIGTERM');
    await junction.waitForLine((line) => line.msg === 'shutting down');
    assert.equal(await client.session.call('com.example.plain', [], {}, options), 'plain', 'the component serves while the node stops');
    assert.equal(await junction.waitForExit(), 0);
    clients.pop();
  });

  it('with --workers 2, each worker runs its own process of them, and clients of either worker sign in', async () => {
    const { home, cbdir } = cbdirWith({ version: 2, workers: [routerWorker([authenticatorComponent])] }, modules);
    const junction = RunningJunction.start(['--cbdir', cbdir, '--workers', '2'], home);
    running.push(junction);
    // Both workers serve the one port the parent bound for them.
    const port = await junction.port();
    for (const node of ['w1', 'w2']) {
      await junction.waitForLine((line) => line.node === node && line.guest === 'worker001' && line.msg.includes('authenticator registered as'), pythonStartMs);
    }
    // The parent hands each new connection to the worker with the fewest: two open clients are one on each.
    const both = [await signedIn(port), await signedIn(port)];
    assert.deepEqual(both.map((client) => client.authrole), ['public', 'public']);
    // The workers' log lines reach the parent's output on their own way, maybe after the clients opened.
    const joinedOn = (node: string) => junction.waitForLine((line) => line.msg === 'session joined' && line.authrole === 'public' && line.node === node, 10_000);
    await Promise.all([joinedOn('w1'), joinedOn('w2')]);
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
  });
});
