import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { loadCbdir } from '../../../src/config/load.js';
import { startNode, type RunningNode } from '../../../src/node/node.js';
import { openAutobahn, type OpenSession } from '../../support/autobahn.js';
import { projectRoot } from '../../support/cli.js';
import { debianNeed, skipWithoutDebian } from '../../support/debian.js';
import { runOwned } from '../../support/processes.js';
import { CaptureLog } from '../../auth/support/capture-log.js';
import { websocketAt } from '../../../src/config/test-support.js';

/**
 * WAMP-SCRAM with Autobahn|Python's AuthScram (Debian's python3-autobahn; Argon2id through
 * python3-argon2) against the Crossbar-format fixture scram-authentication.json, loaded unchanged:
 * a static principal that Autobahn's own derive_scram_credential made (argon2id-13), a PBKDF2
 * principal, and a dynamic authenticator. AuthScram checks the router's server signature before
 * it joins, so a join proves both sides. The SCRAM transports allow 60 s for HELLO/AUTHENTICATE
 * (Crossbar's `open_handshake_timeout`): the client's Argon2id at Crossbar's defaults (4096
 * passes over 512 KiB) takes over 10 s, the default, on a loaded 2-core machine.
 */

const python = debianNeed('python3').file;
// From dist/test/interop/python/ the project root is four levels up; the script is not compiled.
const script = fileURLToPath(new URL('../../../../test/interop/python/scram_client.py', import.meta.url));
const missing = skipWithoutDebian('python3-autobahn') || skipWithoutDebian('python3-argon2');

type Outcome = { joined: Record<string, unknown> } | { refused: { reason: string; message: string } };

/** Runs the Python client to its one outcome line (bounded: it gives up after 60 s itself, and is killed at 90 s). */
async function pythonSignIn(url: string, authid: string, password: string, extraArgs: string[] = []): Promise<Outcome> {
  const { stdout, stderr } = await runOwned(python, [script, '--url', url, '--authid', authid, '--password', password, ...extraArgs], 90_000);
  const line = stdout.split('\n').find((text) => /^(joined|refused) /.test(text));
  assert.ok(line, `no outcome from the Python client; stdout: ${stdout} stderr: ${stderr}`);
  const [kind, ...json] = line.split(' ');
  return { [kind!]: JSON.parse(json.join(' ')) } as Outcome;
}

describe('WAMP-SCRAM with Autobahn|Python', { skip: missing }, () => {
  const home = mkdtempSync(join(tmpdir(), 'junction-scram-'));
  const log = new CaptureLog();
  let node: RunningNode;
  let backend: OpenSession;
  const authenticatorCalls: unknown[][] = [];

  before(async () => {
    const cbdir = join(home, '.crossbar');
    mkdirSync(cbdir);
    copyFileSync(join(projectRoot, 'test', 'fixtures', 'crossbar-configs', 'scram-authentication.json'), join(cbdir, 'config.json'));
    const config = await loadCbdir(cbdir, { env: {} });
    node = await startNode(config, { log, shutdownGraceMs: 100, dataDir: join(home, 'data') });
    // The dynamic authenticator answers as a Crossbar one does: the principal's keys and role.
    const scram = websocketAt(config.listeners[0], '/').auth.scram;
    assert.equal(scram?.type, 'static');
    const carol = scram.principals['carol@example.com']!;
    backend = await openAutobahn(node.urls[2]!);
    await backend.session.register('com.example.authenticate', (args: unknown[]) => {
      authenticatorCalls.push(args);
      if (args[1] !== 'erin') throw new Error('no such user');
      // A client that named no realm (HELLO realm null) is placed in realm1, as a Crossbar authenticator may.
      const placed = args[0] === null ? { realm: 'realm1' } : {};
      return { kdf: carol.kdf, memory: carol.memory, iterations: carol.iterations, salt: carol.salt, 'stored-key': carol.storedKey, 'server-key': carol.serverKey, role: 'user', extra: { plan: 'gold' }, ...placed };
    });
  });
  after(async () => {
    await backend?.close();
    await node?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('signs in a principal made by Autobahn\'s derive_scram_credential (argon2id-13) and checks the server signature', async () => {
    const outcome = await pythonSignIn(node.urls[0]!, 'carol@example.com', 'carol-pw');
    assert.ok('joined' in outcome, JSON.stringify(outcome));
    const { authextra, ...identity } = outcome.joined;
    assert.deepEqual(identity, { authid: 'carol@example.com', authrole: 'user', authmethod: 'scram', authprovider: 'static', realm: 'realm1' });
    assert.match(String((authextra as Record<string, unknown>).scram_server_signature), /^[A-Za-z0-9+/]{43}=$/);
  });

  it('signs in a PBKDF2 principal (with the salt workaround for Autobahn\'s PBKDF2 path)', async () => {
    const outcome = await pythonSignIn(node.urls[0]!, 'dave', 'dave-pw', ['--decode-pbkdf2-salt']);
    assert.ok('joined' in outcome, JSON.stringify(outcome));
    assert.equal(outcome.joined.authrole, 'device');
  });

  it('refuses a wrong password and an unknown authid alike, and logs why', async () => {
    const wrong = await pythonSignIn(node.urls[0]!, 'carol@example.com', 'guess');
    const unknown = await pythonSignIn(node.urls[0]!, 'mallory', 'guess', ['--decode-pbkdf2-salt']);
    assert.deepEqual(wrong, { refused: { reason: 'wamp.error.authentication_failed', message: 'authentication failed' } });
    assert.deepEqual(unknown, wrong);
    const whys = log.lines.filter((line) => line.message === 'authentication failed').map((line) => line.fields.why);
    assert.ok(whys.includes('the client proof does not verify (wrong password)'), JSON.stringify(whys));
    assert.ok(whys.includes('no principal "mallory" is configured'), JSON.stringify(whys));
    assert.ok(!log.text().includes('778faae5b615483c') && !log.text().includes('32f8800ec7c15354'), 'keys are never logged');
    assert.match(node.metrics.exposition(), /^junction_sign_ins_total\{method="scram",outcome="refused"\} [2-9]$/m);
  });

  it('signs in through a dynamic authenticator, which gets (realm, authid, details) and answers the principal', async () => {
    const outcome = await pythonSignIn(node.urls[1]!, 'erin', 'carol-pw');
    assert.ok('joined' in outcome, JSON.stringify(outcome));
    assert.deepEqual([outcome.joined.authid, outcome.joined.authrole, outcome.joined.authprovider], ['erin', 'user', 'dynamic']);
    assert.equal((outcome.joined.authextra as Record<string, unknown>).plan, 'gold');
    const [realm, authid, details] = authenticatorCalls.at(-1)! as [string, string, Record<string, unknown>];
    assert.deepEqual([realm, authid, details.authmethod], ['realm1', 'erin', 'scram']);
    assert.equal(typeof (details.authextra as Record<string, unknown>).nonce, 'string');

    const refused = await pythonSignIn(node.urls[1]!, 'frank', 'carol-pw');
    assert.deepEqual(refused, { refused: { reason: 'wamp.error.authentication_failed', message: 'authentication failed' } });
  });

  it('signs in a client that names no realm (Autobahn sends HELLO realm null) where the authenticator assigns one', async () => {
    const outcome = await pythonSignIn(node.urls[1]!, 'erin', 'carol-pw', ['--no-realm']);
    assert.ok('joined' in outcome, JSON.stringify(outcome));
    assert.deepEqual([outcome.joined.realm, outcome.joined.authid], ['realm1', 'erin']);
    assert.equal(authenticatorCalls.at(-1)![0], null, 'the authenticator got realm null, as from Crossbar');
  });
});
