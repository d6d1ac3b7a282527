import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaptureLog } from '../../test/auth/support/capture-log.js';
import { allRoles, flush, RouterHarness } from '../../test/support/router-harness.js';
import { MessageType } from '../protocol/codes.js';
import type { AuthGate } from './hooks.js';

/**
 * What a client or an authenticator chose reaches the router's sign-in log lines clipped: an
 * authenticator may hand back an authid or authrole of any length, and a HELLO's realm may be a
 * URI of thousands of characters.
 */

const long = (start: string, length: number): string => start + 'x'.repeat(length - start.length);
const clippedTo = (length: number): RegExp => new RegExp(`^.{500}… \\(${length} characters\\)$`, 'u');

describe('sign-in log lines', () => {
  it("'session joined' clips the authid and authrole an authenticator chose", async () => {
    const log = new CaptureLog();
    const authid = long('dynamic-', 5_000);
    const authrole = long('role-', 3_000);
    const gate: AuthGate = { hello: () => ({ kind: 'welcome', identity: { authid, authrole, authmethod: 'ticket', authprovider: 'dynamic' } }) };
    const { id, welcome } = await new RouterHarness({ gate, log }).join();
    assert.equal(welcome.authid, authid, 'the client is told its whole authid');
    const joined = log.lines.find((line) => line.message === 'session joined' && line.fields.session === id);
    assert.match(String(joined?.fields.authid), clippedTo(5_000));
    assert.match(String(joined?.fields.authrole), clippedTo(3_000));
    assert.equal(joined?.fields.authmethod, 'ticket');
  });

  it("'authentication refused' clips the realm the client's HELLO named", async () => {
    const log = new CaptureLog();
    const gate: AuthGate = { hello: () => ({ kind: 'deny', reason: 'wamp.error.not_authorized', message: 'no' }) };
    const harness = new RouterHarness({ gate, log });
    const peer = harness.connect();
    peer.deliver({ type: MessageType.HELLO, realm: long('com.example.', 4_000), details: { roles: allRoles } });
    await flush();
    assert.equal(peer.take()[0]?.type, MessageType.ABORT);
    assert.match(String(log.find('authentication refused')?.fields.realm), clippedTo(4_000));
  });
});
