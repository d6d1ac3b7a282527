import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchFormatError, joinBatch, splitBatch } from './framing.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('long-poll batch framing', () => {
  it('JSON: each message ends with 0x1e', () => {
    assert.deepEqual(joinBatch([bytes('[1]'), bytes('[2,"é"]')], false), bytes('[1]\u001e[2,"é"]\u001e'));
    assert.deepEqual(splitBatch(bytes('[1]\u001e[2,"é"]\u001e'), false).map(String), ['[1]', '[2,"é"]']);
  });

  it("JSON: accepts Autobahn|Python's 0x18 separator too", () => {
    assert.deepEqual(splitBatch(bytes('[1]\u0018[2]\u001e'), false).map(String), ['[1]', '[2]']);
  });

  it('binary: each message starts with its 32-bit big-endian length', () => {
    const joined = joinBatch([Uint8Array.of(0x91, 1), Uint8Array.of(0x80)], true);
    assert.deepEqual([...joined], [0, 0, 0, 2, 0x91, 1, 0, 0, 0, 1, 0x80]);
    assert.deepEqual(splitBatch(joined, true).map((frame) => [...frame]), [[0x91, 1], [0x80]]);
  });

  for (const [what, body, binary, message] of [
    ['an empty body', Buffer.alloc(0), false, /no message/],
    ['an empty binary body', Buffer.alloc(0), true, /no message/],
    ['a JSON message without its separator', bytes('[1]\u001e[2]'), false, /does not end with the record separator/],
    ['an empty JSON message', bytes('[1]\u001e\u001e'), false, /empty message at byte 4/],
    ['a truncated length prefix', Buffer.from([0, 0, 1]), true, /truncated length prefix at byte 0/],
    ['a length past the end', Buffer.from([0, 0, 0, 5, 1]), true, /announces 5 bytes, only 1 follow/],
    ['a zero length', Buffer.from([0, 0, 0, 0]), true, /empty message at byte 0/],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.throws(() => splitBatch(body, binary), (error: Error) => error instanceof BatchFormatError && message.test(error.message));
    });
  }
});
