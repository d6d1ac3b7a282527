import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LinkEndpoint } from '../../config/model.js';
import { recordingLogger, type LogEntry } from '../../../test/support/node.js';
import { linkLogger } from './link-log.js';

const endpoint: LinkEndpoint = { kind: 'tcp', host: '127.0.0.1', port: 8080, timeoutMs: 10_000 };
const websocket = (url: string) => ({ kind: 'websocket' as const, endpoint, url, serializers: ['json' as const] });

describe('a router link\'s logger', () => {
  it('shows the link\'s ticket as the mark where the other router quotes it, in fields, messages and children', () => {
    const lines: LogEntry[] = [];
    const log = linkLogger(recordingLogger(lines), { auth: { method: 'ticket', authid: 'node1', ticket: 's3cret-ticket' }, transport: websocket('ws://h/ws') });
    log.warn({ error: "wamp.error.not_authorized: invalid ticket 's3cret-ticket'", attempts: 2 }, 'router link: cannot join the other router');
    log.child({ part: 'mirror' }).info({}, 'quoted s3cret-ticket twice: s3cret-ticket');
    assert.deepEqual(lines.map(({ fields, msg }) => ({ fields, msg })), [
      { fields: { error: "wamp.error.not_authorized: invalid ticket '*****'", attempts: 2 }, msg: 'router link: cannot join the other router' },
      { fields: { part: 'mirror' }, msg: 'quoted ***** twice: *****' },
    ]);
  });

  it('masks a WAMP-CRA secret and a SCRAM password the same way, and a URL\'s credentials and query values', () => {
    const lines: LogEntry[] = [];
    const url = 'ws://user:pw-in-url@h:8080/ws?token=url-token';
    for (const auth of [{ method: 'wampcra' as const, authid: 'a', secret: 'cra-secret' }, { method: 'scram' as const, authid: 'a', password: 'scram-password' }]) {
      linkLogger(recordingLogger(lines), { auth, transport: websocket(url) }).warn({ error: `cannot connect to ${url}: refused` }, `said ${Object.values(auth)[2]}`);
    }
    assert.deepEqual(lines.map(({ fields, msg }) => [fields.error, msg]), [
      ['cannot connect to ws://*****@h:8080/ws?token=*****: refused', 'said *****'],
      ['cannot connect to ws://*****@h:8080/ws?token=*****: refused', 'said *****'],
    ]);
  });

  it('masks a secret before it clips a long text: no cut leaves half of one', () => {
    const lines: LogEntry[] = [];
    const ticket = 'ticket-cut-in-half';
    linkLogger(recordingLogger(lines), { auth: { method: 'ticket', authid: 'a', ticket }, transport: websocket('ws://h/ws') })
      .warn({ message: `${'x'.repeat(490)}${ticket}${'y'.repeat(100)}`, authid: 'z'.repeat(600) }, 'router link down: its session to the other router ended');
    const { message, authid } = lines[0]!.fields as { message: string; authid: string };
    assert.ok(message.startsWith(`${'x'.repeat(490)}*****${'y'.repeat(5)}… (`), message);
    assert.ok(!message.includes(ticket.slice(0, 5)), message);
    assert.match(authid, /^z{500}… \(600 characters\)$/);
  });

  it('leaves a text alone when the link has no secret of its own (the node key) and its URL none', () => {
    const lines: LogEntry[] = [];
    linkLogger(recordingLogger(lines), { auth: { method: 'cryptosign' }, transport: { kind: 'rawsocket', endpoint, serializer: 'cbor' } })
      .warn({ reason: 'wamp.error.authentication_failed' }, 'router link: cannot join the other router');
    assert.deepEqual(lines[0]!.fields, { reason: 'wamp.error.authentication_failed' });
  });
});
