import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readZeromqMessage } from './zeromq-message.js';

const loose = { strict: false };
const frames = (...texts: string[]) => texts.map((text) => Buffer.from(text));
const problem = (action: () => unknown): string => {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('expected a refusal');
};

describe('readZeromqMessage', () => {
  it('reads the HTTP publisher\'s body: topic, args, kwargs and publish options', () => {
    assert.deepEqual(readZeromqMessage(frames('{"topic":"orders.42","args":[1],"kwargs":{"a":2},"options":{"exclude_authrole":["bot"]}}'), undefined, loose), {
      topic: 'orders.42', args: [1], kwargs: { a: 2 }, options: { exclude_authrole: ['bot'] },
    });
    assert.deepEqual(readZeromqMessage(frames('{"topic":"t"}'), undefined, loose), { topic: 't', args: [], options: {} });
  });

  it('takes the last frame as the body (a SUB envelope frame before it is not read)', () => {
    assert.equal(readZeromqMessage(frames('orders', '{"topic":"orders.1"}'), undefined, loose).topic, 'orders.1');
  });

  it('with a topic field, publishes the whole object as args[0] to the topic it names', () => {
    const body = '{"form":"com.example.form.example.1","status":"entity_updated","change_set":{"name":["a","b"]}}';
    assert.deepEqual(readZeromqMessage(frames(body), 'form', loose), {
      topic: 'com.example.form.example.1', args: [JSON.parse(body)], options: {},
    });
  });

  it('says what is wrong with a malformed message', () => {
    assert.match(problem(() => readZeromqMessage(frames('not json'), undefined, loose)), /not valid JSON/);
    assert.match(problem(() => readZeromqMessage(frames('[1]'), undefined, loose)), /must be a JSON object, not a list/);
    assert.match(problem(() => readZeromqMessage(frames('{"topik":"a"}'), undefined, loose)), /unknown field "topik"/);
    assert.match(problem(() => readZeromqMessage(frames('{"topic":"a b"}'), undefined, loose)), /not a valid URI/);
    assert.match(problem(() => readZeromqMessage(frames('{"topic":"a","args":{}}'), undefined, loose)), /"args" must be a list/);
    assert.match(problem(() => readZeromqMessage(frames(Buffer.from([0xff, 0xfe]).toString('latin1')), undefined, loose)), /JSON|UTF-8/);
    assert.match(problem(() => readZeromqMessage(frames('{"status":"locked"}'), 'form', loose)), /topic field "form" must be a string, not missing/);
    assert.match(problem(() => readZeromqMessage(frames('{"form":7}'), 'form', loose)), /must be a string, not a number/);
    assert.match(problem(() => readZeromqMessage(frames('{"form":"Com.Example"}'), 'form', { strict: true })), /topic field "form": .*not a valid URI/);
  });
});
