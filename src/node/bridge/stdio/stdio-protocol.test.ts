import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskedMark, programSecretsMask } from '../../../config/mask-secrets.js';
import { InvalidCommand, readCommand } from './stdio-protocol.js';

function refusal(line: string, masked?: (text: string) => string): InvalidCommand {
  try {
    readCommand(line, masked);
  } catch (error) {
    assert.ok(error instanceof InvalidCommand);
    return error;
  }
  assert.fail(`expected ${line} to be refused`);
}

describe('stdio protocol: reading commands', () => {
  it('reads each command with its defaults', () => {
    assert.deepEqual(readCommand('{"type":"publish","topic":"sensor.temp","args":[21.5]}'), { type: 'publish', topic: 'sensor.temp', args: [21.5], options: {} });
    assert.deepEqual(readCommand('{"type":"publish","id":1,"topic":"t","kwargs":{"a":1},"options":{"exclude_me":false}}'),
      { type: 'publish', id: 1, topic: 't', args: [], kwargs: { a: 1 }, options: { exclude_me: false } });
    assert.deepEqual(readCommand('{"type":"subscribe","id":"s1","topic":"a.","match":"prefix"}'), { type: 'subscribe', id: 's1', topic: 'a.', match: 'prefix' });
    assert.deepEqual(readCommand('{"type":"register","procedure":"board.led"}'), { type: 'register', procedure: 'board.led', match: 'exact' });
    assert.deepEqual(readCommand('{"type":"call","id":7,"procedure":"p","args":[1],"timeout":500}'), { type: 'call', id: 7, procedure: 'p', args: [1], timeout: 500 });
    assert.deepEqual(readCommand('{"type":"yield","request":3,"args":["on"]}'), { type: 'yield', request: 3, args: ['on'] });
    assert.deepEqual(readCommand('{"type":"error","request":3,"error":"app.error.off"}'), { type: 'error', request: 3, error: 'app.error.off', args: [] });
  });

  it("quotes nothing of the program's secrets in what it says, not even a piece of one cut by the quote", () => {
    const secret = 's3cret-value-xyz';
    const masked = programSecretsMask(['/bin/prog'], { DB_PASSWORD: secret });
    for (const line of [secret, `DB_PASSWORD=${secret}`, `{"type": ${secret}}`, `{"type":"publish","topic":"t","${secret}":1}`]) {
      const { message } = refusal(line, masked);
      for (let length = 4; length <= secret.length; length += 1) {
        for (let start = 0; start + length <= secret.length; start += 1) {
          assert.ok(!message.includes(secret.slice(start, start + length)), `${secret.slice(start, start + length)} in ${message}`);
        }
      }
      assert.ok(message.includes(maskedMark), message);
    }
  });

  it('says what is wrong, keeping the id for the answer when it is usable', () => {
    assert.match(refusal('publish sensor 1').message, /^not JSON/);
    assert.match(refusal('[1]').message, /a command is a JSON object/);
    assert.match(refusal('{"type":"pub"}').message, /"type" must be one of "publish", "subscribe"/);
    const missing = refusal('{"type":"subscribe","id":4}');
    assert.equal(missing.message, 'subscribe needs "topic", a non-empty string');
    assert.equal(missing.id, 4);
    assert.match(refusal('{"type":"publish","topic":"t","arg":[1]}').message, /unknown field "arg" in a publish command/);
    assert.match(refusal('{"type":"publish","topic":"t","args":{}}').message, /"args" must be a list/);
    assert.match(refusal('{"type":"yield","request":"x"}').message, /yield needs "request"/);
    assert.match(refusal('{"type":"subscribe","topic":"t","match":"glob"}').message, /"match" must be one of/);
    assert.match(refusal('{"type":"call","id":{},"procedure":"p"}').message, /"id" must be a string or a number/);
  });
});
