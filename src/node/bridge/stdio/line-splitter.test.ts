import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter } from './line-splitter.js';

function split(max: number, chunks: string[]): { lines: string[]; tooLong: number[] } {
  const lines: string[] = [];
  const tooLong: number[] = [];
  const splitter = new LineSplitter(max, (line) => lines.push(line), (bytes) => tooLong.push(bytes));
  for (const chunk of chunks) splitter.push(Buffer.from(chunk));
  return { lines, tooLong };
}

describe('LineSplitter', () => {
  it('joins lines across chunks, strips "\\r", skips blank lines, keeps an unfinished line back', () => {
    assert.deepEqual(split(100, ['{"a":', '1}\r\n\n{"b"', ':2}\n{"c"']), { lines: ['{"a":1}', '{"b":2}'], tooLong: [] });
  });

  it('drops a line over the limit up to its newline, reporting its length, and goes on', () => {
    assert.deepEqual(split(5, ['12345\n123456', '789\nok\n']), { lines: ['12345', 'ok'], tooLong: [9] });
    assert.deepEqual(split(5, ['1234567890', '1234567890', '\nnext\n']), { lines: ['next'], tooLong: [20] });
  });

  it('measures the limit in bytes, not characters', () => {
    assert.deepEqual(split(4, ['ééé\néé\n']), { lines: ['éé'], tooLong: [6] });
  });
});
