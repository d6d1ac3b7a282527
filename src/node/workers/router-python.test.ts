import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, describe, it } from 'node:test';
import type { JunctionConfig, PythonComponentRun, RealmConfig, RouterPythonConfig } from '../../config/model.js';
import { defaultRealmLimits } from '../../config/schema-router.js';
import { guestOutputDefaults } from '../../config/schema-guest.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import { Router } from '../../router/router.js';
import { CaptureLog } from '../../../test/auth/support/capture-log.js';
import { RawSocketClient } from '../../../test/transport/rawsocket-client.js';
import { NodeAuth } from '../auth-wiring.js';
import { RouterPython } from './router-python.js';

const allowed = { call: true, register: true, publish: true, subscribe: true };

function realm(name: string): RealmConfig {
  return {
    name,
    roles: [{ name: 'backend', permissions: [{ uri: '', match: 'prefix', allow: allowed, disclose: { caller: false, publisher: false }, cache: true }] }],
    options: { enableMetaApi: false, uriCheck: 'strict', limits: defaultRealmLimits },
    store: { eventHistory: [], callQueue: [] },
  };
}

/** A router with realm1 and realm2 and the private entry of its router components, as startNode wires them. */
function node() {
  const log = new CaptureLog();
  const config = { realms: [realm('realm1'), realm('realm2')], maxNestingDepth: 64 } as unknown as JunctionConfig;
  const auth = new NodeAuth(config, { log });
  const router = new Router({ realms: config.realms.map((r) => auth.realmSettings(r)), log, helloTimeoutMs: 0 });
  auth.attach(router);
  const entry = new RouterPython({ router, auth, log, metrics: new MetricsRegistry(), config });
  return { router, entry, log };
}

function worker(components: RouterPythonConfig['components']): RouterPythonConfig {
  return {
    guest: {
      id: 'worker001', at: 'workers[0]', executable: '/usr/bin/python3', arguments: [], workdir: '/srv', env: { inherit: true, vars: {} },
      stdin: { kind: 'open' }, stdout: 'log', stderr: 'log', maxLineBytes: guestOutputDefaults.maxLineBytes, linesPerSecond: guestOutputDefaults.linesPerSecond,
    },
    interpreterGiven: false,
    pythonpath: ['/srv'],
    components,
  };
}

const authenticator = { id: 'component0', type: 'class' as const, classname: 'auth.Authenticator', realm: 'realm1', role: 'backend', extra: { cbdir: '/srv' } };
const hooks = { id: 'component1', type: 'function' as const, callbacks: { join: 'hooks.on_join' }, realm: 'realm2', role: 'anonymous', extra: { cbdir: '/srv' } };

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

async function started(components: RouterPythonConfig['components']) {
  const parts = node();
  stops.push(async () => {
    await parts.entry.close();
    await parts.router.shutdown(0);
  });
  const [guest] = await parts.entry.guests([worker(components)]);
  assert.ok(guest?.python);
  return { ...parts, guest, runs: guest.python.components };
}

function socketOf(run: PythonComponentRun): string {
  return (run.transport as { endpoint: { path: string } }).endpoint.path;
}

/** HELLO with WAMP-Ticket through the private entry; the WELCOME or ABORT. */
async function signIn(path: string, realmName: string, authid: string | undefined, ticket: string, authmethods = ['ticket']): Promise<unknown[]> {
  const client = await RawSocketClient.open({ path }, { serializer: 'cbor' });
  try {
    client.send([1, realmName, { roles: { caller: {} }, authmethods, ...(authid === undefined ? {} : { authid }) }]);
    const first = await client.next((message) => [2, 3, 4].includes(message[0] as number));
    if (first[0] !== 4) return first;
    client.send([5, ticket, {}]);
    return await client.next((message) => message[0] === 2 || message[0] === 3);
  } finally {
    client.close();
  }
}

describe("a router worker's Python components: their launch and their private entry", () => {
  it("are the worker's Python process running the launcher's components, each with a transport to the entry and a sign-in of its own", async () => {
    const { guest, runs } = await started([authenticator, hooks]);
    assert.deepEqual({ ...guest, python: undefined }, { ...worker([]).guest, python: undefined });
    assert.deepEqual([guest.python!.router, guest.python!.pythonpath], [true, ['/srv']]);
    const path = socketOf(runs[0]!);
    assert.deepEqual(runs.map(({ signIn: given, ...run }) => [run, /^[0-9a-f-]{36}$/.test(given!.authid), given!.ticket.length >= 43]), [
      [{ type: 'class', classname: 'auth.Authenticator', id: 'component0', realm: 'realm1', extra: { cbdir: '/srv' }, transport: { type: 'rawsocket', endpoint: { type: 'unix', path }, serializer: 'cbor' } }, true, true],
      [{ type: 'function', callbacks: { join: 'hooks.on_join' }, id: 'component1', realm: 'realm2', extra: { cbdir: '/srv' }, transport: { type: 'rawsocket', endpoint: { type: 'unix', path }, serializer: 'cbor' } }, true, true],
    ]);
    assert.notEqual(runs[0]!.signIn!.ticket, runs[1]!.signIn!.ticket);
    // Only this user can enter the folder of the socket.
    assert.equal(statSync(dirname(path)).mode & 0o777, 0o700);
  });

  it('signs a component in with its ticket: its realm, its role and its authid, whatever the HELLO asks for', async () => {
    const { runs } = await started([authenticator, hooks]);
    const [own, other] = runs as [PythonComponentRun, PythonComponentRun];
    const welcome = await signIn(socketOf(own), 'realm1', own.signIn!.authid, own.signIn!.ticket);
    assert.equal(welcome[0], 2);
    assert.deepEqual((({ authid, authrole, authmethod, authprovider }) => ({ authid, authrole, authmethod, authprovider }))(welcome[2] as Record<string, unknown>),
      { authid: own.signIn!.authid, authrole: 'backend', authmethod: 'ticket', authprovider: 'junction' });
    const anonymousRole = await signIn(socketOf(other), 'realm2', other.signIn!.authid, other.signIn!.ticket);
    assert.equal((anonymousRole[2] as Record<string, unknown>).authrole, 'anonymous');
  });

  it('refuses anyone else who finds the socket: no ticket, a wrong ticket, another component\'s ticket, another realm', async () => {
    const { runs, log } = await started([authenticator, hooks]);
    const [own, other] = runs as [PythonComponentRun, PythonComponentRun];
    const path = socketOf(own);
    const abort = (message: unknown[]) => [message[0], message[2]];
    assert.deepEqual(abort(await signIn(path, 'realm1', undefined, '', ['anonymous'])), [3, 'wamp.error.no_auth_method']);
    assert.deepEqual(abort(await signIn(path, 'realm1', own.signIn!.authid, 'guessed')), [3, 'wamp.error.authentication_failed']);
    assert.deepEqual(abort(await signIn(path, 'realm1', own.signIn!.authid, other.signIn!.ticket)), [3, 'wamp.error.authentication_failed']);
    assert.deepEqual(abort(await signIn(path, 'realm2', own.signIn!.authid, own.signIn!.ticket)), [3, 'wamp.error.authentication_failed']);
    assert.ok(log.lines.some((line) => line.fields.why === 'asked for realm "realm2"; its component joins "realm1"'));
    // The tickets are never logged.
    assert.ok(!JSON.stringify(log.lines).includes(own.signIn!.ticket));
  });

  it('keeps a component\'s sign-in while the component stays (its process is then not restarted), and forgets a removed one\'s', async () => {
    const { entry, runs } = await started([authenticator, hooks]);
    const [own, other] = runs as [PythonComponentRun, PythonComponentRun];
    const [again] = await entry.guests([worker([authenticator])]);
    assert.deepEqual(again!.python!.components[0]!.signIn, own.signIn);
    assert.deepEqual((await signIn(socketOf(own), 'realm2', other.signIn!.authid, other.signIn!.ticket))[2], 'wamp.error.authentication_failed');
    const [changed] = await entry.guests([worker([{ ...authenticator, role: 'anonymous' }])]);
    assert.notDeepEqual(changed!.python!.components[0]!.signIn, own.signIn);
  });

  it('opens no entry for a node without router components, and removes its folder when closed', async () => {
    const { entry, router } = node();
    stops.push(() => router.shutdown(0));
    assert.deepEqual(await entry.guests([]), []);
    const [guest] = await entry.guests([worker([authenticator])]);
    const folder = dirname(socketOf(guest!.python!.components[0]!));
    assert.ok(existsSync(folder));
    await entry.close();
    assert.ok(!existsSync(folder));
  });
});
