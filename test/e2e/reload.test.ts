import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openConnection, type OpenSession } from '../support/autobahn.js';
import { freePort, RunningJunction, runJunction } from '../support/cli.js';

/**
 * Reload without restart, through the real CLI: `junction start --config F --pid-file P`, AutobahnJS
 * clients connected, the file edited, then `junction reload --pid-file P` (and SIGHUP).
 */

const everything = { call: true, register: true, publish: true, subscribe: true };

interface Edit {
  /** Extra realms besides realm1, each with an "anonymous" role allowed everything. */
  realms: string[];
  /** Roles of realm1 besides "anonymous". */
  roles: string[];
  /** Ticket principals of the /auth path: authid -> [ticket, role]. */
  principals: Record<string, [string, string]>;
}

function configFile(port: number, edit: Edit): string {
  const realm = (name: string, roles: string[]): unknown => ({
    name,
    roles: roles.map((role) => ({ name: role, permissions: [{ uri: '*', allow: everything }] })),
  });
  return JSON.stringify({
    version: 2,
    workers: [{
      type: 'router',
      realms: [realm('realm1', ['anonymous', ...edit.roles]), ...edit.realms.map((name) => realm(name, ['anonymous']))],
      transports: [{
        type: 'web',
        endpoint: { type: 'tcp', port, interface: '127.0.0.1' },
        paths: {
          ws: { type: 'websocket' },
          metrics: { type: 'metrics' },
          auth: {
            type: 'websocket',
            auth: {
              ticket: {
                type: 'static',
                principals: Object.fromEntries(Object.entries(edit.principals).map(([authid, [ticket, role]]) => [authid, { ticket, role }])),
              },
            },
          },
        },
      }],
    }],
  }, null, 2);
}

let dir: string;
let configPath: string;
let pidFile: string;
let port: number;
let junction: RunningJunction;
let base: string;
const open: OpenSession[] = [];

function join_(realm: string): Promise<OpenSession> {
  return track(openConnection({ url: `${base}/ws`, realm }, refusal));
}

function signIn(authid: string, ticket: string): Promise<OpenSession> {
  return track(openConnection({ url: `${base}/auth`, realm: 'realm1', authmethods: ['ticket'], authid, onchallenge: () => ticket }, refusal));
}

async function track(opening: Promise<OpenSession>): Promise<OpenSession> {
  const session = await opening;
  open.push(session);
  return session;
}

function refusal(reason: string, details: { reason?: string; message?: string } | undefined): Error {
  return new Error(`refused: ${details?.reason ?? reason}: ${details?.message ?? ''}`);
}

/** The session still works: a call to a procedure it registers itself comes back. */
async function stillServes(client: OpenSession, name: string): Promise<void> {
  const procedure = `test.echo.p${Math.floor(Math.random() * 1e9)}`;
  const registration = await client.session.register(procedure, (args: unknown[]) => args[0]);
  assert.equal(await client.session.call(procedure, [name]), name);
  await client.session.unregister(registration);
}

async function reload(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runJunction(['reload', '--pid-file', pidFile], 30_000);
}

const initial: Edit = { realms: ['doomed'], roles: ['user'], principals: { alice: ['old-secret', 'user'] } };
const edited: Edit = { realms: ['fresh'], roles: ['user', 'editor'], principals: { alice: ['new-secret', 'user'], bob: ['bob-secret', 'editor'] } };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'junction-reload-'));
  configPath = join(dir, 'config.json');
  pidFile = join(dir, 'junction.pid');
  port = await freePort();
  base = `ws://127.0.0.1:${port}`;
  await writeFile(configPath, configFile(port, initial));
  junction = RunningJunction.start(['--config', configPath, '--pid-file', pidFile]);
  await junction.started((line) => /control socket/.test(line.msg));
});

after(async () => {
  await Promise.all(open.map((session) => session.close().catch(() => undefined)));
  junction.kill();
  await rm(dir, { recursive: true, force: true });
});

describe('reloading the configuration of a running router', () => {
  it('writes the pid file and opens the control socket beside it', async () => {
    assert.equal((await readFile(pidFile, 'utf8')).trim(), String(junction.child.pid));
    assert.ok(existsSync(join(dir, 'junction.sock')));
  });

  it('junction reload: adds a realm and a role, changes a ticket, removes a realm; connected clients keep their sessions', async () => {
    const anonymous = await join_('realm1');
    const alice = await signIn('alice', 'old-secret');
    const doomed = await join_('doomed');

    await writeFile(configPath, configFile(port, edited));
    const result = await reload();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /realm "fresh" added/);
    assert.match(result.stdout, /realm "realm1": roles added: editor/);
    assert.match(result.stdout, /realm "doomed" removed \(1 session closed\)/);
    assert.match(result.stdout, /transport "transport0": paths rebuilt \/auth/);

    // The removed realm's session was told why.
    const goodbye = await doomed.closed;
    assert.equal(goodbye.reason, 'wamp.close.close_realm');
    assert.match(goodbye.message ?? '', /realm "doomed" was removed/);

    // Sessions on what did not go away carry on, the one signed in with the old ticket too.
    await stillServes(anonymous, 'anonymous');
    await stillServes(alice, 'alice');

    // The new realm and the new role can be joined; the old ticket is refused, the new one accepted.
    await stillServes(await join_('fresh'), 'fresh');
    const bob = await signIn('bob', 'bob-secret');
    await stillServes(bob, 'bob');
    await assert.rejects(signIn('alice', 'old-secret'), /wamp\.error\.authentication_failed/);
    await stillServes(await signIn('alice', 'new-secret'), 'alice again');
    await assert.rejects(join_('doomed'), /wamp\.error\.no_such_realm/);
  });

  it('a bad edit changes nothing: junction reload prints the problem and exits 1', async () => {
    const anonymous = await join_('realm1');
    const broken = JSON.parse(configFile(port, { ...edited, realms: [] })) as { workers: { realms: unknown[] }[] };
    broken.workers[0]!.realms.push({ name: 'bad', roles: [{ name: 'r', permissions: [{ uri: '*', allow: { publish: 'yes' } }] }] });
    await writeFile(configPath, JSON.stringify(broken, null, 2));

    const result = await reload();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /refused, nothing changed/);
    assert.match(result.stderr, /realms\[1\]\.roles\[0\]\.permissions\[0\]\.allow\.publish/);
    await junction.waitForLine((line) => line.level === 50 && /reload refused/.test(line.msg));

    // Still the edited configuration: "fresh" is there (the bad file dropped it), the new ticket works.
    await stillServes(await join_('fresh'), 'fresh after a bad edit');
    await stillServes(await signIn('alice', 'new-secret'), 'alice after a bad edit');
    await stillServes(anonymous, 'anonymous after a bad edit');
  });

  it('SIGHUP reloads too; a session whose role is removed gets GOODBYE saying so', async () => {
    const bob = await signIn('bob', 'bob-secret');
    const anonymous = await join_('realm1');
    await writeFile(configPath, configFile(port, { realms: ['fresh', 'hup'], roles: ['user'], principals: { alice: ['new-secret', 'user'] } }));
    const reloadsBefore = junction.lines.filter((line) => /^reload: \d+ changes? applied/.test(line.msg)).length;
    junction.child.kill('SIGHUP');
    await junction.waitForLine((line) => /^reload: \d+ changes? applied/.test(line.msg) && junction.lines.filter((l) => /^reload: \d+ changes? applied/.test(l.msg)).length > reloadsBefore);

    const goodbye = await bob.closed;
    assert.equal(goodbye.reason, 'junction.close.role_removed');
    assert.match(goodbye.message ?? '', /role "editor" was removed from realm "realm1"/);
    await stillServes(await join_('hup'), 'hup');
    await stillServes(anonymous, 'anonymous after SIGHUP');
    await assert.rejects(signIn('bob', 'bob-secret'), /wamp\.error\.authentication_failed/);
  });

  it('reports what cannot change live (a moved port) and still applies the rest', async () => {
    const other = await freePort();
    const moved = JSON.parse(configFile(other, { realms: ['fresh', 'hup', 'late'], roles: ['user'], principals: { alice: ['new-secret', 'user'] } })) as object;
    await writeFile(configPath, JSON.stringify(moved));
    const result = await reload();
    assert.equal(result.code, 1);
    assert.match(result.stdout, /realm "late" added/);
    assert.match(result.stderr, new RegExp(`not applied:\\n  transport "transport0": its endpoint changed \\(port ${port} on 127\\.0\\.0\\.1 to port ${other} on 127\\.0\\.0\\.1\\).*restart`));
    await stillServes(await join_('late'), 'late, on the old port');

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const [outcome, count] of [['applied', 2], ['refused', 1], ['partial', 1]] as const) {
      assert.match(metrics, new RegExp(`^junction_config_reloads_total\\{outcome="${outcome}"\\} ${count}$`, 'm'));
    }
  });

  it('stops on SIGTERM and removes its pid file and control socket', async () => {
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
    assert.ok(!existsSync(pidFile));
    assert.ok(!existsSync(join(dir, 'junction.sock')));
    const unreachable = await reload();
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /no router is listening on .*junction\.sock \(ENOENT\)/);
  });
});
