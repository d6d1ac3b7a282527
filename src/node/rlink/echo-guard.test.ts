import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordingLogger, type LogEntry } from '../../../test/support/node.js';
import type { LinkEndpoint } from '../../config/model.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import { silentLogger } from '../../router/log.js';
import { ErrorUri } from '../../protocol/errors.js';
import { echoGuard, linkSecrets, passedAsIs } from './echo-guard.js';
import type { LinkCallError } from './link-sides.js';
import { rlinkMetrics } from './rlink-metrics.js';

function guarded(secrets: string[], log = silentLogger) {
  const metrics = new MetricsRegistry();
  const guard = echoGuard(secrets, rlinkMetrics(metrics).forLink('realm1', 'to_b'), log);
  const count = (action: string) => metrics.counter('junction_rlink_secret_echoes_total', '').value({ realm: 'realm1', link: 'to_b', action });
  return { guard, count };
}

describe('a router link\'s echo guard', () => {
  it('takes the link\'s ticket, WAMP-CRA secret or SCRAM password and its URL\'s credentials, longest first, and none from the node key or a secret too short to mask', () => {
    const endpoint: LinkEndpoint = { kind: 'tcp', host: 'h', port: 8080, timeoutMs: 10_000 };
    const rawsocket = { kind: 'rawsocket' as const, endpoint, serializer: 'cbor' as const };
    const websocket = (url: string) => ({ kind: 'websocket' as const, endpoint, url, serializers: ['json' as const] });
    assert.deepEqual(linkSecrets({ auth: { method: 'ticket', authid: 'a', ticket: 'the-ticket' }, transport: rawsocket }), ['the-ticket']);
    assert.deepEqual(linkSecrets({ auth: { method: 'wampcra', authid: 'a', secret: 'cra-secret' }, transport: websocket('ws://h:8080/ws?token=not-taken') }), ['cra-secret']);
    assert.deepEqual(linkSecrets({ auth: { method: 'scram', authid: 'a', password: 'pw' }, transport: rawsocket }), []);
    assert.deepEqual(linkSecrets({ auth: { method: 'cryptosign' }, transport: websocket('ws://user:url-pass@h:8080/ws') }), ['user:url-pass', 'url-pass']);
    assert.equal(echoGuard([], { secretEchoes: { masked: { inc: () => assert.fail() }, refused: { inc: () => assert.fail() } } } as never, silentLogger), passedAsIs);
  });

  it('masks the secret in texts at any depth, in dict keys and in binary values, and changes nothing else', () => {
    const { guard, count } = guarded(['tick-et']);
    const bytes = new Uint8Array([1, ...Buffer.from('tick-et'), 2, ...Buffer.from('tick-et')]);
    const value = [1, true, null, 'said tick-et twice: tick-et', { 'tick-et': ['x tick-et', { deep: 'tick-et' }], other: 2.5 }, bytes];
    assert.deepEqual(guard.masked('event', value), [1, true, null, 'said ***** twice: *****', { '*****': ['x *****', { deep: '*****' }], other: 2.5 }, Buffer.from([1, ...Buffer.from('*****'), 2, ...Buffer.from('*****')])]);
    assert.equal(count('masked'), 1, 'one message, counted once');
  });

  it('hands back the very value when it does not quote the secret, uncounted', () => {
    const { guard, count } = guarded(['tick-et']);
    const value = { args: ['tick', 'et', new Uint8Array([1, 2])], kwargs: { ticket: 'another' } };
    assert.equal(guard.masked('event', value), value);
    assert.equal(guard.masked('event', value.args[2]), value.args[2]);
    assert.equal(count('masked'), 0);
  });

  it('refuses a message in which masking would make two keys of a dict one, counted as refused, the error quoting no secret', () => {
    const { guard, count } = guarded(['tick-et']);
    assert.throws(() => guard.masked('result of "app.x"', [{ 'a tick-et': 1, 'a *****': 2 }]), (error: LinkCallError) =>
      error.uri === ErrorUri.invalidArgument && /result of "app\.x".*dict keys that masking would merge/.test(String(error.args[0])) && !String(error.args[0]).includes('tick-et'));
    assert.equal(count('refused'), 1);
    assert.equal(count('masked'), 0);
  });

  it('masks a secret that contains another whole', () => {
    const { guard } = guarded(['abcd', 'xxabcdxx'].sort((a, b) => b.length - a.length));
    assert.equal(guard.masked('event', 'xxabcdxx and abcd'), '***** and *****');
  });

  it('refuses a URI quoting the secret, counts it, and warns naming the message, never the secret (at most once per interval)', () => {
    const lines: LogEntry[] = [];
    const { guard, count } = guarded(['tick-et'], recordingLogger(lines));
    assert.equal(guard.quotedIn('event on "app.x"', 'app.x'), false);
    assert.equal(guard.quotedIn('event on "app.tick-et"', 'app.tick-et'), true);
    assert.equal(guard.quotedIn('event on "app.tick-et.2"', 'app.tick-et.2'), true);
    assert.equal(count('refused'), 2);
    assert.deepEqual(lines.map(({ fields }) => fields), [{ what: 'event on "app.*****"', count: 1 }]);
    assert.match(lines[0]!.msg, /refused/);
  });
});
