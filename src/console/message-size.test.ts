import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageBytes, signInTooLarge, tooLargeToSend, type OutgoingMessage } from './message-size.js';

const publication = (text: string): OutgoingMessage => ({ kind: 'publish', uri: 'chat.room1', options: { acknowledge: true }, args: [text], kwargs: {} });

describe('tooLargeToSend', () => {
  it('counts the whole WAMP message in UTF-8 bytes, request ID included', () => {
    const expected = Buffer.byteLength(JSON.stringify([16, Number.MAX_SAFE_INTEGER, { acknowledge: true }, 'chat.room1', ['é'], {}]));
    assert.equal(messageBytes(publication('é')), expected);
  });
  it('lets a message that fits through and names the sizes of one that does not', () => {
    const size = messageBytes(publication('x'.repeat(100)));
    assert.equal(tooLargeToSend(publication('x'.repeat(100)), size), undefined);
    assert.equal(tooLargeToSend(publication('x'.repeat(101)), size),
      `Too large to send: this publish is ${(size + 1).toLocaleString('en-US')} bytes of JSON, and the console's connection takes messages of at most ${size.toLocaleString('en-US')} bytes (its max_message_size). Nothing was sent.`);
  });
  it('names a call as a call', () => {
    assert.match(tooLargeToSend({ kind: 'call', uri: 'com.example.add', options: {}, args: ['x'.repeat(2000)], kwargs: {} }, 1024) ?? '', /^Too large to send: this call is 2,0\d\d bytes/);
  });
});

describe('signInTooLarge', () => {
  const authenticateBytes = (ticket: string) => Buffer.byteLength(JSON.stringify([5, ticket, {}]));
  it("lets a ticket through whose AUTHENTICATE fits, and names the ticket's bytes and limit when it does not", () => {
    const fits = 'é'.repeat(100);
    const max = authenticateBytes(fits);
    assert.equal(signInTooLarge('realm1', 'op', fits, max), undefined);
    assert.deepEqual(signInTooLarge('realm1', 'op', `${fits}x`, max), {
      field: 'ticket',
      problem: `The ticket is too long: 201 bytes, and the console's connection takes a ticket of at most 200 bytes (its max_message_size is ${max} bytes). Nothing was sent.`,
    });
  });
  it('refuses an auth ID that alone is larger than a message may be, and leaves a WAMP-CRA secret alone (never sent)', () => {
    assert.equal(signInTooLarge('realm1', 'x'.repeat(990), undefined, 1024), undefined);
    assert.deepEqual(signInTooLarge('realm1', 'x'.repeat(1024), undefined, 1024)?.field, 'authid');
    assert.match(signInTooLarge('realm1', 'x'.repeat(2000), 'short', 1024)?.problem ?? '', /^The auth ID is too long: 2,000 bytes, more than the console's connection takes in a message \(its max_message_size is 1,024 bytes\)\. Nothing was sent\.$/);
  });
});
