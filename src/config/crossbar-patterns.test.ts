import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { loadCbdir } from './load.js';
import type { JunctionConfig } from './model.js';
import { ConfigError } from './problems.js';
import { configDocument, plain, problemsOf, websocketAt } from './test-support.js';

/**
 * Patterns of real Crossbar configs that Junction refused or read wrongly, as our own small
 * configs (test/fixtures/crossbar-configs, see its README), each loaded from a `.crossbar` folder
 * as `junction start --cbdir` reads it.
 */

// dist/src/config/ -> the repository's test/fixtures/crossbar-configs/.
const fixtures = fileURLToPath(new URL('../../../test/fixtures/crossbar-configs/', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'junction-cbpatterns-'));
after(() => rmSync(home, { recursive: true, force: true }));

function load(name: string): Promise<JunctionConfig> {
  const cbdir = join(mkdtempSync(join(home, 'node-')), '.crossbar');
  mkdirSync(cbdir);
  copyFileSync(join(fixtures, name), join(cbdir, 'config.json'));
  return loadCbdir(cbdir, { env: {} });
}

const cookieNotice = 'Junction sets the tracking cookie only where cookie authentication ("auth": {"cookie": {}}) is on: here every connection signs in with the methods offered, and anonymous sessions get a random authid, not the cookie [config.notice.cookie_tracking]';

describe('Crossbar patterns found in real configs', () => {
  it('cookie-tracking: a tracking cookie without cookie authentication loads with a notice each; sign-in stays as configured', async () => {
    const config = await load('cookie-tracking.json');
    assert.deepEqual(config.notices, [
      `workers[0].transports[0].websocket.live.cookie: ${cookieNotice}`,
      `workers[0].transports[1].cookie: ${cookieNotice}`,
    ]);
    const live = websocketAt(config.listeners[0], '/live');
    assert.deepEqual(live.auth?.anonymous, { type: 'static', role: 'reader' });
    assert.equal(live.auth?.ticket, undefined);
    assert.equal(live.cookieAuth, undefined);
  });

  it('cookie-authentication: tracking plus auth.cookie loads with Crossbar\'s cookie defaults and a notice about allowed_origins "*"', async () => {
    const config = await load('cookie-authentication.json');
    assert.deepEqual(config.notices, [
      'workers[0].transports[0].options.allowed_origins: cookie authentication with allowed_origins "*": pages of other sites may connect, but only a page of this host or of an origin listed here explicitly signs in by cookie; list your sites to make that plain [config.notice.cookie_any_origin]',
    ]);
    const ws = websocketAt(config.listeners[0], '/');
    assert.deepEqual(ws.cookieAuth, {
      name: 'cbtid', length: 24, maxAgeSeconds: 7 * 86400, store: { type: 'memory' }, maxEntries: 100_000, maxEntriesPerAuthid: 100, sameSite: 'Lax', alwaysSecure: false,
    });
    assert.deepEqual(Object.keys(ws.auth).sort(), ['ticket', 'wampcra']);
  });

  it('realm-stats: the statistics block loads with Crossbar\'s defaults for the keys it leaves out', async () => {
    const config = await load('realm-stats.json');
    assert.deepEqual(config.notices, []);
    assert.deepEqual(config.realms[0]!.options.stats, { ratedMessageSize: 1024, afterRatedMessages: 50, afterDurationMs: 0, onJoin: false, onLeave: true });
  });

  it('realm-trace: a key Crossbar itself does not read loads with a notice', async () => {
    const config = await load('realm-trace.json');
    assert.deepEqual(config.notices, [
      "workers[0].realms[0].trace: realm tracing (trace; Crossbar's router does not read it either) is not needed by Junction and was ignored [config.notice.ignored]",
    ]);
    assert.deepEqual(config.realms.map((realm) => realm.name), ['devices']);
  });

  it('web-only-router: a router worker without realms loads (as in Crossbar), with a notice that WAMP joins are refused', async () => {
    const config = await load('web-only-router.json');
    assert.deepEqual(config.realms, []);
    assert.deepEqual(Object.keys(config.listeners[0]!.paths).sort(), ['/', '/status', '/wamp']);
    assert.deepEqual(config.notices, [
      'workers[0].realms: no realms defined: the web paths are served, and every WAMP or MQTT client is refused with wamp.error.no_such_realm; add a realm for them [config.notice.no_realms]',
    ]);
  });

  it('shared-port-workers: router workers with the same web transport on one "shared": true port (crossbar-examples benchmark/web) are one listener', async () => {
    const config = await load('shared-port-workers.json');
    assert.deepEqual(config.listeners.map((listener) => [listener.id, listener.endpoint.port, Object.keys(listener.paths).sort()]), [
      ['transport0', 18080, ['/', '/json', '/ws']],
    ]);
    assert.deepEqual(config.realms.map((realm) => realm.name), ['realm1']);
    assert.ok(config.notices.some((line) => line.startsWith('workers[1].transports[0]: the same transport as workers[0].transports[0], of another router worker') && line.endsWith('[config.notice.port_shared]')), config.notices.join('\n'));
  });

  it('smp-realm-workers: eight router workers that each define realm1, linked to each other (crossbar-examples rlinks/smp_setup), are one realm without links', async () => {
    const config = await load('smp-realm-workers.json');
    assert.deepEqual(config.realms.map((realm) => [realm.name, realm.roles.map((role) => role.name)]), [['realm1', ['anonymous', 'router2router']]]);
    assert.deepEqual(config.listeners.map((listener) => [listener.kind, listener.endpoint.path?.replace(/^.*\//, '') ?? listener.endpoint.port]), [
      ['rawsocket', 'edge1.sock'], ['web', 18081], ...[2, 3, 4, 5, 6, 7, 8].map((index) => ['rawsocket', `edge${index}.sock`]),
    ]);
    assert.deepEqual(config.rlinks, []);
    const notices = (code: string) => config.notices.filter((line) => line.endsWith(`[${code}]`));
    assert.equal(notices('config.notice.realm_merged').length, 7);
    assert.deepEqual(notices('config.notice.rlinks_to_itself').map((line) => line.slice(0, line.indexOf(' lead'))), ['workers[0].realms[0].rlinks: 56 router links of realm "realm1"']);
  });

  it('fabric-without-uplink: a Crossbar FX fabric block that connects no uplink and enable_docker false load with a notice each; an uplink is refused', async () => {
    const config = await load('fabric-without-uplink.json');
    assert.deepEqual(config.notices, [
      'controller.fabric: a Crossbar FX management block without an uplink (fabric) is not needed by Junction and was ignored [config.notice.ignored]',
      'controller.enable_docker: Docker control switched off (enable_docker: false) is not needed by Junction and was ignored [config.notice.ignored]',
    ]);
    assert.deepEqual(config.realms.map((realm) => realm.name), ['telemetry']);
    await assert.rejects(load('fabric-controller.json'), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems.map((problem) => [problem.path, problem.code]), [[['controller', 'fabric'], 'config.unsupported']]);
      return true;
    });
    assert.deepEqual(problemsOf({ ...configDocument({}), controller: { enable_docker: true } }), [
      'controller.enable_docker: not supported by Junction: Docker control from the node controller (enable_docker)',
    ]);
  });

  it('scram-authentication: static WAMP-SCRAM principals (argon2id-13 from Autobahn\'s derive_scram_credential, pbkdf2 with Crossbar\'s required memory) and a dynamic authenticator load as written', async () => {
    const config = await load('scram-authentication.json');
    assert.deepEqual(config.notices, []);
    const scram = websocketAt(config.listeners[0], '/').auth.scram;
    assert.equal(scram?.type, 'static');
    assert.deepEqual(Object.keys(scram.principals), ['carol@example.com', 'dave']);
    assert.deepEqual(scram.principals.dave, {
      kdf: 'pbkdf2', iterations: 4096, memory: 512, salt: 'b93474c71e302e76895f997e0bfd3982',
      storedKey: 'e5afa43b5ee5c2ee73203511d4a0b8839c9beb4201fcfd75438224c34a4e4e0f',
      serverKey: 'dd6d024e5c95d0783fe7c1114c4ed4e73a21fd0098061d3d32d4b28385be0898',
      role: 'device',
    });
    assert.deepEqual(websocketAt(config.listeners[1], '/').auth.scram, { type: 'dynamic', authenticator: 'com.example.authenticate', authenticatorRealm: 'realm1' });
  });

  it('tls-client-certificates: auth.tls on a web transport\'s websocket path and a rawsocket transport, ca_certificates beside the key', async () => {
    const config = await load('tls-client-certificates.json');
    const [web, rawsocket] = config.listeners;
    assert.deepEqual(plain(websocketAt(web, '/ws').auth?.tls), {
      type: 'static', principals: { client_0: { certificateSha1: 'B6:E5:E6:F2:2A:86:DB:3C:DC:9F:51:42:58:39:9B:14:92:5D:A1:EB', role: 'backend' } },
    });
    assert.equal(rawsocket!.rawsocket?.auth.tls?.type, 'dynamic');
    const cbdir = join(web!.endpoint.tls!.key, '..');
    assert.deepEqual(web!.endpoint.tls?.caCertificates, [join(cbdir, 'ca.cert.pem'), join(cbdir, 'intermediate.cert.pem')]);
    assert.deepEqual(config.notices, []);
  });

  it('rlinks: Crossbar\'s rlink test shape loads unchanged, the node key taken from the .crossbar folder', async () => {
    const config = await load('rlinks.json');
    assert.deepEqual(config.notices, []);
    const [link] = config.rlinks;
    assert.equal(config.rlinks.length, 1);
    assert.deepEqual(plain({ ...link!, nodeKeyFile: link!.nodeKeyFile.endsWith('/.crossbar/key.priv') }), {
      id: 'rlink000', localRealm: 'realm1', realm: 'realm1', auth: { method: 'cryptosign' },
      transport: { kind: 'rawsocket', endpoint: { kind: 'tcp', host: 'localhost', port: 8091, timeoutMs: 10_000 }, serializer: 'cbor' },
      excludeAuthid: [], forwardLocalEvents: true, forwardRemoteEvents: false, forwardLocalInvocations: true, forwardRemoteInvocations: false,
      limits: { maxCallsInFlight: 1000, maxCallBytesInFlight: 16_777_216, maxEventsInFlight: 1000, maxEventBytesInFlight: 16_777_216, maxSubscriptions: 10000, maxRegistrations: 10000, maxMessageSize: 1_048_576, maxBufferedBytes: 67_108_864 }, nodeKeyFile: true,
    });
  });
});
