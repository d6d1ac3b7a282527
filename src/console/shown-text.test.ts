import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cutText, MAX_SHOWN_CHARS, shownJson, visible } from './shown-text.js';

describe('shownJson', () => {
  it('shows small values whole, indented when asked', () => {
    assert.equal(shownJson([2, 3]), '[2,3]');
    assert.equal(shownJson({ a: 1 }, 2), '{\n  "a": 1\n}');
    assert.equal(shownJson(undefined), 'undefined');
  });
  it('cuts a megabyte at MAX_SHOWN_CHARS and says how long the whole was', () => {
    const shown = shownJson(['x'.repeat(1_000_000)]);
    assert.ok(shown.length < MAX_SHOWN_CHARS + 100, `${shown.length} characters`);
    assert.ok(shown.startsWith('["xxx'));
    assert.ok(shown.endsWith(`… (cut at ${MAX_SHOWN_CHARS} of 1000004 characters)`), shown.slice(-60));
  });
  it('says a value with a cycle cannot be shown instead of throwing', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.match(shownJson(cycle), /^\(not showable as JSON: /);
  });
  it('cuts at a smaller limit when given one', () => {
    assert.equal(cutText('abcdef', 3), 'abc… (cut at 3 of 6 characters)');
    assert.equal(cutText('abc', 3), 'abc');
  });
});

describe('visible', () => {
  it('writes direction controls as escapes, so a URI cannot make its end read backwards', () => {
    assert.equal(visible('com.example.\u202etxt.exe'), 'com.example.\\u202etxt.exe');
    assert.equal(visible('a\u2066b\u2069c\u200f'), 'a\\u2066b\\u2069c\\u200f');
    assert.equal(visible('plain, and other scripts: مرحبا'), 'plain, and other scripts: مرحبا');
  });
  it('keeps JSON valid: the escape inside a string reads back as the control', () => {
    const shown = shownJson(['\u202eevil']);
    assert.equal(shown, '["\\u202eevil"]');
    assert.deepEqual(JSON.parse(shown), ['\u202eevil']);
  });
});
