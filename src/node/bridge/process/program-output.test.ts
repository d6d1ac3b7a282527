import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskedMark, programSecretsMask } from '../../../config/mask-secrets.js';
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
    const tail = new StderrTail(undefined, 4096, 20);
    for (let line = 1; line <= 1000; line += 1) tail.push(Buffer.from(`line ${line}\n`));
    assert.deepEqual(tail.text().split('\n'), Array.from({ length: 20 }, (_, index) => `line ${981 + index}`));
  });

  it('bounds what it keeps by bytes, whatever the chunk sizes', () => {
    const tail = new StderrTail(undefined, 10, 20);
    tail.push(Buffer.from('a'.repeat(100)));
    tail.push(Buffer.from('bc'));
    assert.equal(tail.text(), `${'a'.repeat(8)}bc`);
    assert.equal(new StderrTail().text(), '');
  });

  const secret = 's3cret-value-xyz';
  const pem = 'AAAA-first-line-xyz\nBBBB-second-line-xyz';
  const secrets = programSecretsMask(['/bin/prog', `--password=${secret}`], { PRIVATE_KEY: pem });

  it('masks a secret that straddles the byte cut whole, wherever it is cut and however it arrives', () => {
    for (let before = 1; before < secret.length; before += 1) {
      // `before` characters of the secret fall before the last 4096 bytes.
      const after = '.'.repeat(4096 - (secret.length - before));
      const written = `${'x'.repeat(100)}\n${secret}${after}`;
      for (const chunkBytes of [written.length, 1, 7]) {
        const tail = new StderrTail(secrets);
        for (let at = 0; at < written.length; at += chunkBytes) tail.push(Buffer.from(written.slice(at, at + chunkBytes)));
        assert.equal(tail.text(), `${maskedMark}${after}`, `${before} characters before the cut, chunks of ${chunkBytes}`);
      }
    }
  });

  it('masks a secret of several lines that straddles the line cut whole', () => {
    const tail = new StderrTail(secrets);
    const last = Array.from({ length: 19 }, (_, index) => `line ${index + 1}`);
    tail.push(Buffer.from(`first\n${pem}\n${last.join('\n')}\n`));
    assert.deepEqual(tail.text().split('\n'), [maskedMark, ...last]);
  });

  it('keeps the byte bound for what it reports, starting at a whole character', () => {
    const tail = new StderrTail(secrets, 10, 20);
    tail.push(Buffer.from(`${'é'.repeat(100)}abc`));
    assert.equal(tail.text(), `${'é'.repeat(3)}abc`, 'the "é" cut in half at the 10th byte from the end is left out');
  });
});
