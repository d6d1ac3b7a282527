import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidCommand, readCommand } from './stdio-protocol.js';

function refusal(line: string): InvalidCommand {
  try {
    readCommand(line);
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
