import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonObject, readArgs, readKwargs, readOptions, readUri } from './json-request.js';
import { readPublishOptions } from './publish-options.js';
import { refusalOf } from './test-support.js';

const fields = ['topic', 'args', 'kwargs', 'options'];


function parse(text: string): Record<string, unknown> {
  return parseJsonObject(Buffer.from(text), fields);
}

describe('reading a bridge request body', () => {
  it('refuses bytes that are not UTF-8, text that is not JSON, and JSON that is not an object', () => {
    assert.equal(refusalOf(() => parseJsonObject(Buffer.from([0x7b, 0xff, 0x7d]), fields)).code, 'invalid_utf8');
    const notJson = refusalOf(() => parse('{"topic": '));
    assert.equal(notJson.code, 'invalid_json');
    assert.ok(notJson.detail, 'the parser says where');
    assert.equal(notJson.message, 'the body is not valid JSON', 'the logged part quotes nothing of the body');
    assert.match(refusalOf(() => parse('[1, 2]')).message, /must be a JSON object, not a list/);
    assert.match(refusalOf(() => parse('null')).message, /not null/);
  });

  it('names unknown fields', () => {
    const unknown = refusalOf(() => parse('{"topic": "a", "kwarg": {}}'));
    assert.equal(unknown.code, 'unknown_field');
    assert.match(unknown.message, /"kwarg"/);
  });

  it('checks the topic: present, a string, a valid URI under the realm rule', () => {
    const strict = { strict: true };
    assert.equal(readUri(parse('{"topic": "com.myapp.topic1"}'), 'topic', strict), 'com.myapp.topic1');
    assert.equal(refusalOf(() => readUri(parse('{}'), 'topic', strict)).code, 'missing_field');
    assert.match(refusalOf(() => readUri(parse('{"topic": 5}'), 'topic', strict)).message, /"topic" must be a string, not a number/);
    const invalid = refusalOf(() => readUri(parse('{"topic": "Com.My App"}'), 'topic', strict));
    assert.equal(invalid.code, 'invalid_uri');
    assert.match(invalid.message, /^"topic" "Com.My App" is not a valid URI/);
    assert.doesNotMatch(invalid.message, /uri_check/, 'no hint when the loose rule would refuse it too');
    const hyphen = refusalOf(() => readUri(parse('{"topic": "some-channel"}'), 'topic', strict));
    assert.match(hyphen.message, /the realm checks URIs strictly; its options.uri_check "loose" would accept this one/);
    assert.equal(readUri(parse('{"topic": "Com.MyApp"}'), 'topic', { strict: false }), 'Com.MyApp');
  });

  it('reads args and kwargs, null meaning none, and refuses other types', () => {
    assert.deepEqual(readArgs(parse('{"args": [{"foo": "bar"}]}')), [{ foo: 'bar' }]);
    assert.deepEqual(readArgs(parse('{"args": null}')), []);
    assert.deepEqual(readKwargs(parse('{}')), {});
    assert.match(refusalOf(() => readArgs(parse('{"args": {"a": 1}}'))).message, /"args" must be a list, not an object/);
    assert.match(refusalOf(() => readKwargs(parse('{"kwargs": [1]}'))).message, /"kwargs" must be an object, not a list/);
  });

  it('accepts the publish options of issue #5 with their types, and names an unknown one', () => {
    const options = readOptions(parse('{"options": {"exclude": [12], "eligible_authrole": ["a"], "retain": true}}'),
      ['exclude', 'eligible_authrole', 'retain']);
    assert.deepEqual(readPublishOptions(options), { exclude: [12], eligible_authrole: ['a'], retain: true });
    const unknown = refusalOf(() => readOptions(parse('{"options": {"exclude_me": false}}'), ['exclude']));
    assert.equal(unknown.code, 'unknown_option');
    assert.match(unknown.message, /"exclude_me"/);
    assert.match(refusalOf(() => readPublishOptions({ exclude: ['12'] })).message, /"exclude" must be a list of session IDs/);
    assert.match(refusalOf(() => readPublishOptions({ exclude_authid: 'bob' })).message, /"exclude_authid" must be a list of strings, not a string/);
    assert.match(refusalOf(() => readPublishOptions({ retain: 'yes' })).message, /"retain" must be a boolean/);
    assert.deepEqual(readPublishOptions({ _mqtt: { qos: 1 } }), { _mqtt: { qos: 1 } });
    assert.match(refusalOf(() => readPublishOptions({ _mqtt: { qos: 5 } })).message, /"_mqtt\.qos" must be 0, 1 or 2/);
  });
});
