import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDocument, loadDocument, plain, problemsOf, websocketAt } from './test-support.js';

/** TLS client-certificate sign-in (`auth.tls`) on the WAMP doors, as Crossbar writes it. */

const sha1 = 'B6:E5:E6:F2:2A:86:DB:3C:DC:9F:51:42:58:39:9B:14:92:5D:A1:EB';
const tls = { type: 'static', principals: { backend: { 'certificate-sha1': sha1, role: 'backend' } } };
const dynamicTls = { type: 'dynamic', authenticator: 'com.example.authenticate' };
const asking = { type: 'tcp', port: 0, tls: { key: 'server.key', certificate: 'server.crt', ca_certificates: ['ca.crt'] } };
const notAsking = { type: 'tcp', port: 0, tls: { key: 'server.key', certificate: 'server.crt' } };

const problemsWith = (transport: Record<string, unknown>): string[] => problemsOf(configDocument({ transports: [transport] }));

describe('tls authentication on WAMP transports', () => {
  it("reads Crossbar's static and dynamic tls on a websocket transport, a web transport's websocket path, rawsocket and universal parts", () => {
    const principals = { backend: { role: 'backend', certificateSha1: sha1 } };
    const websocket = loadDocument(configDocument({ transports: [{ type: 'websocket', endpoint: asking, auth: { tls } }] })).listeners[0]!;
    assert.deepEqual(plain(websocketAt(websocket, '/').auth.tls), { type: 'static', principals });
    const web = loadDocument(configDocument({ transports: [{ type: 'web', endpoint: asking, paths: { ws: { type: 'websocket', auth: { tls: dynamicTls } } } }] })).listeners[0]!;
    assert.equal(websocketAt(web, '/ws').auth.tls?.type, 'dynamic');
    const rawsocket = loadDocument(configDocument({ transports: [{ type: 'rawsocket', endpoint: asking, auth: { tls } }] })).listeners[0]!;
    assert.deepEqual(plain(rawsocket.rawsocket!.auth.tls), { type: 'static', principals });
    const universal = loadDocument(configDocument({ transports: [{ type: 'universal', endpoint: asking, rawsocket: { auth: { tls } }, websocket: { ws: { auth: { tls: dynamicTls, anonymous: { type: 'static' } } } } }] })).listeners[0]!;
    assert.equal(universal.rawsocket!.auth.tls?.type, 'static');
    assert.deepEqual(Object.keys(websocketAt(universal, '/ws').auth), ['anonymous', 'tls']);
  });

  it('tls needs ca_certificates on the endpoint, naming both keys', () => {
    assert.deepEqual(problemsWith({ type: 'websocket', endpoint: notAsking, auth: { tls } }), [
      'workers[0].transports[0].auth.tls: tls authentication needs client certificates: give the endpoint tls.ca_certificates (the authorities whose certificates are accepted)',
    ]);
    assert.deepEqual(problemsWith({ type: 'web', endpoint: notAsking, paths: { api: { type: 'path', paths: { ws: { type: 'websocket', auth: { tls } } } } } }).map((line) => line.split(':')[0]),
      ['workers[0].transports[0].paths.api.paths.ws.auth.tls'], 'a nested path is found');
  });

  it('ca_certificates without a tls sign-in: the TLS handshake itself requires a valid client certificate, as in Crossbar', () => {
    for (const transport of [
      { type: 'websocket', endpoint: asking },
      { type: 'rawsocket', endpoint: asking, auth: { ticket: { type: 'static', principals: { a: { ticket: 't', role: 'backend' } } } } },
      { type: 'universal', endpoint: asking, websocket: { ws: {} }, web: { paths: { '/': { type: 'static', directory: '.' } } } },
    ]) {
      const listener = loadDocument(configDocument({ transports: [transport] })).listeners[0]!;
      assert.equal(listener.endpoint.tls?.clientCertificateAtHandshake, true, transport.type);
    }
    const reading = loadDocument(configDocument({ transports: [{ type: 'websocket', endpoint: asking, auth: { tls } }] })).listeners[0]!;
    assert.equal(reading.endpoint.tls?.clientCertificateAtHandshake, false, 'a door that reads it decides at sign-in');
  });

  it('a long-poll path cannot sign in by certificate: its session spans many requests', () => {
    const problems = problemsWith({ type: 'web', endpoint: asking, paths: { lp: { type: 'longpoll', auth: { tls } }, ws: { type: 'websocket', auth: { tls } } } });
    assert.deepEqual(problems, [
      'workers[0].transports[0].paths.lp.auth.tls: tls authentication needs one TLS connection per session; a long-poll session spans many HTTP requests: offer tls on a WebSocket path or a RawSocket transport',
    ]);
  });

  it('a static principal\'s role must exist, and certificate-sha1 must be a SHA-1 fingerprint', () => {
    assert.deepEqual(problemsWith({ type: 'rawsocket', endpoint: asking, auth: { tls: { type: 'static', principals: { x: { role: 'ghost' } } } } }), [
      'workers[0].transports[0].auth.tls.principals.x.role: role "ghost" is not defined in any realm, so signing in as this principal would always fail with wamp.error.no_such_role',
    ]);
    assert.match(problemsWith({ type: 'websocket', endpoint: asking, auth: { tls: { type: 'static', principals: { x: { 'certificate-sha1': 'abc', role: 'backend' } } } } })[0]!,
      /\["certificate-sha1"\]: expected a SHA-1 fingerprint/);
  });
});
