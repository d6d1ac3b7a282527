import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readProgramOutput } from './program-output.js';
import { StderrTail } from './stderr-tail.js';

const read = (text: string) => readProgramOutput(Buffer.from(text));

describe('readProgramOutput', () => {
  it('uses {"args", "kwargs"} as the result', () => {
    assert.deepEqual(read('{"args": [1, "two"], "kwargs": {"k": true}}\n'), { args: [1, 'two'], kwargs: { k: true } });
    assert.deepEqual(read('{"kwargs": {"only": 1}}'), { args: [], kwargs: { only: 1 } });
    assert.deepEqual(read('{"args": []}'), { args: [] });
  });

  it('answers any other JSON value as the single result', () => {
    assert.deepEqual(read('42'), { args: [42] });
    assert.deepEqual(read('{"total": 3}'), { args: [{ total: 3 }] });
    assert.deepEqual(read('{"args": [1], "extra": 2}'), { args: [{ args: [1], extra: 2 }] }, 'other keys: a plain dict');
    assert.deepEqual(read('{"args": "not a list"}'), { args: [{ args: 'not a list' }] });
    assert.deepEqual(read('{}'), { args: [{}] });
    assert.deepEqual(read('null'), { args: [null] });
    assert.deepEqual(read('"text"'), { args: ['text'] });
  });

  it('answers text that is not JSON as one string without its final line break', () => {
    assert.deepEqual(read('hello world\n'), { args: ['hello world'] });
    assert.deepEqual(read('two\nlines\r\n'), { args: ['two\nlines'] });
  });

  it('answers nothing for empty output', () => {
    assert.deepEqual(read(''), { args: [] });
    assert.deepEqual(read(' \n'), { args: [] });
  });
});

describe('StderrTail', () => {
  it('keeps the last lines of the last bytes', () => {
    const tail = new StderrTail(4096, 20);
    for (let line = 1; line <= 1000; line += 1) tail.push(Buffer.from(`line ${line}\n`));
    assert.deepEqual(tail.text().split('\n'), Array.from({ length: 20 }, (_, index) => `line ${981 + index}`));
  });

  it('bounds what it keeps by bytes, whatever the chunk sizes', () => {
    const tail = new StderrTail(10, 20);
    tail.push(Buffer.from('a'.repeat(100)));
    tail.push(Buffer.from('bc'));
    assert.equal(tail.text(), `${'a'.repeat(8)}bc`);
    assert.equal(new StderrTail().text(), '');
  });
});
