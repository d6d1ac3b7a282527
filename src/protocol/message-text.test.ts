import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType } from './codes.js';
import { ErrorUri } from './errors.js';
import { abortText, errorText, goodbyeAnswer } from './message-text.js';

describe('message texts', () => {
  it("reads an ERROR's first argument when it is text, else its URI", () => {
    const error = { type: MessageType.ERROR, requestType: MessageType.SUBSCRIBE, request: 1, details: {}, error: ErrorUri.notAuthorized } as const;
    assert.equal(errorText({ ...error, args: ['not allowed here'] }), 'not allowed here');
    assert.equal(errorText({ ...error, args: [42] }), ErrorUri.notAuthorized);
    assert.equal(errorText(error), ErrorUri.notAuthorized);
  });

  it("reads an ABORT's details.message when given, else its reason", () => {
    assert.equal(abortText({ type: MessageType.ABORT, details: { message: 'no such realm' }, reason: ErrorUri.noSuchRealm }), 'no such realm');
    assert.equal(abortText({ type: MessageType.ABORT, details: {}, reason: ErrorUri.noSuchRealm }), ErrorUri.noSuchRealm);
  });

  it('answers a GOODBYE with goodbye_and_out, a new message each time', () => {
    assert.deepEqual(goodbyeAnswer(), { type: MessageType.GOODBYE, details: {}, reason: 'wamp.close.goodbye_and_out' });
    assert.notEqual(goodbyeAnswer(), goodbyeAnswer());
  });
});
