import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWapRule, type WapRule } from './wap-rule.js';

/** The keyword arguments a path gives under `rule`, or undefined when it does not match. */
function kwargs(rule: string, path: string): Record<string, unknown> | undefined {
  const parsed = parseWapRule(rule) as WapRule;
  const match = parsed.pattern.exec(path);
  return match === null ? undefined : Object.fromEntries(parsed.parameters.map((parameter, index) => [parameter.name, parameter.convert(match[index + 1]!)]));
}

describe('wap route rules (Werkzeug\'s syntax)', () => {
  it('Crossbar\'s own example: int converters give numbers, a bare variable one segment of text', () => {
    assert.deepEqual(kwargs('/product/<int:product_id>/<report>/<int:year>/<int:month>', '/product/123/total/2016/12'),
      { product_id: 123, report: 'total', year: 2016, month: 12 });
    assert.equal(kwargs('/product/<int:product_id>/<report>/<int:year>/<int:month>', '/product/abc/total/2016/12'), undefined);
    assert.equal(kwargs('/greeting/<name>', '/greeting/a/b'), undefined, 'one segment only');
    assert.deepEqual(kwargs('/greeting/<string:name>', '/greeting/joe'), { name: 'joe' });
  });

  it('float, path, uuid and any; literal text matches only itself', () => {
    assert.deepEqual(kwargs('/at/<float:x>', '/at/1.5'), { x: 1.5 });
    assert.equal(kwargs('/at/<float:x>', '/at/1'), undefined);
    assert.deepEqual(kwargs('/files/<path:rest>', '/files/a/b.txt'), { rest: 'a/b.txt' });
    assert.deepEqual(kwargs('/o/<uuid:id>', '/o/123e4567-e89b-12d3-a456-426614174000'), { id: '123e4567-e89b-12d3-a456-426614174000' });
    assert.deepEqual(kwargs('/<any(about, help):page>', '/help'), { page: 'help' });
    assert.equal(kwargs('/<any(about, help):page>', '/other'), undefined);
    assert.deepEqual(kwargs('/', '/'), {});
    assert.equal(kwargs('/a.b', '/aXb'), undefined, 'a dot is a dot');
  });

  it('refuses what Werkzeug would not read, or what Junction does not support, saying which', () => {
    assert.equal(parseWapRule('greeting'), 'a route path starts with "/", like "/greeting/<name>"');
    assert.equal(parseWapRule('/a/<int:x'), 'a variable part is written <name> or <converter:name>, like <int:year>');
    assert.equal(parseWapRule('/a/<int:x>/<x>'), 'the variable <x> appears twice');
    assert.equal(parseWapRule('/a/<date:x>'), 'unknown converter "date" in <date:x>; Junction knows default, string, int, float, path, uuid, any');
    assert.equal(parseWapRule('/a/<int(min=1):x>'), 'converter arguments are not supported (in <int(min=1):x>); use <int:x>');
    assert.equal(parseWapRule('/a/<any():x>'), '<any(...):x> needs its choices, like <any(about, help):x>');
  });
});
