import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readZeromqMessage } from './zeromq-message.js';

const loose = { strict: false };
/** The router's max_nesting_depth in these tests. */
const depth = 10;
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
    assert.deepEqual(readZeromqMessage(frames('{"topic":"orders.42","args":[1],"kwargs":{"a":2},"options":{"exclude_authrole":["bot"]}}'), undefined, loose, depth), {
      topic: 'orders.42', args: [1], kwargs: { a: 2 }, options: { exclude_authrole: ['bot'] },
    });
    assert.deepEqual(readZeromqMessage(frames('{"topic":"t"}'), undefined, loose, depth), { topic: 't', args: [], options: {} });
  });

  it('takes the last frame as the body (a SUB envelope frame before it is not read)', () => {
    assert.equal(readZeromqMessage(frames('orders', '{"topic":"orders.1"}'), undefined, loose, depth).topic, 'orders.1');
  });

  it('with a topic field, publishes the whole object as args[0] to the topic it names', () => {
    const body = '{"form":"com.example.form.example.1","status":"entity_updated","change_set":{"name":["a","b"]}}';
    assert.deepEqual(readZeromqMessage(frames(body), 'form', loose, depth), {
      topic: 'com.example.form.example.1', args: [JSON.parse(body)], options: {},
    });
  });

  it('refuses a body nested deeper than max_nesting_depth (the body is one level), with or without a topic field, naming the limit', () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    // The body is level 1, its "args" level 2: 8 more lists reach the limit of 10.
    assert.equal(readZeromqMessage(frames(`{"topic":"t","args":[${nested(8)}]}`), undefined, loose, depth).args.length, 1);
    assert.match(problem(() => readZeromqMessage(frames(`{"topic":"t","args":[${nested(9)}]}`), undefined, loose, depth)),
      /more than 10 levels deep \(the router's max_nesting_depth\)/);
    assert.equal(readZeromqMessage(frames(`{"form":"t","data":${nested(9)}}`), 'form', loose, depth).topic, 't');
    assert.match(problem(() => readZeromqMessage(frames(`{"form":"t","data":${nested(10)}}`), 'form', loose, depth)), /more than 10 levels deep/);
  });

  it('says what is wrong with a malformed message', () => {
    assert.match(problem(() => readZeromqMessage(frames('not json'), undefined, loose, depth)), /not valid JSON/);
    assert.match(problem(() => readZeromqMessage(frames('[1]'), undefined, loose, depth)), /must be a JSON object, not a list/);
    assert.match(problem(() => readZeromqMessage(frames('{"topik":"a"}'), undefined, loose, depth)), /unknown field "topik"/);
    assert.match(problem(() => readZeromqMessage(frames('{"topic":"a b"}'), undefined, loose, depth)), /not a valid URI/);
    assert.match(problem(() => readZeromqMessage(frames('{"topic":"a","args":{}}'), undefined, loose, depth)), /"args" must be a list/);
    assert.match(problem(() => readZeromqMessage(frames(Buffer.from([0xff, 0xfe]).toString('latin1')), undefined, loose, depth)), /JSON|UTF-8/);
    assert.match(problem(() => readZeromqMessage(frames('{"status":"locked"}'), 'form', loose, depth)), /topic field "form" must be a string, not missing/);
    assert.match(problem(() => readZeromqMessage(frames('{"form":7}'), 'form', loose, depth)), /must be a string, not a number/);
    assert.match(problem(() => readZeromqMessage(frames('{"form":"Com.Example"}'), 'form', { strict: true }, depth)), /topic field "form": .*not a valid URI/);
  });
});
