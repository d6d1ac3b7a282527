import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeDataDirectory } from './data-dir.js';
import { StartupError } from './startup-errors.js';

const home = mkdtempSync(join(tmpdir(), 'junction-data-dir-'));
after(() => rmSync(home, { recursive: true, force: true }));

function refusal(directory: string): StartupError {
  try {
    makeDataDirectory(directory);
  } catch (error) {
    assert.ok(error instanceof StartupError);
    return error;
  }
  assert.fail(`${directory} was made`);
}

describe('makeDataDirectory', () => {
  it('makes the folder and its missing parents, and accepts one that exists', () => {
    const deep = join(home, 'a', 'b', 'c');
    makeDataDirectory(deep);
    assert.ok(statSync(deep).isDirectory());
    makeDataDirectory(deep);
  });

  it('refuses at once under /proc, where a recursive mkdir never returns', { skip: !existsSync('/proc/self') && 'no /proc here' }, () => {
    const error = refusal('/proc/junction-data/forwarder/news');
    assert.equal(error.code, 'data_dir_unusable');
    assert.equal(error.message,
      'cannot create the folder /proc/junction-data (on the way to /proc/junction-data/forwarder/news) for durable state: ' +
        'its parent folder cannot hold folders (a virtual file system such as /proc?); ' +
        'choose a writable data folder with --data-dir (default: a ".junction" folder beside the config file)');
  });

  it('names a file in the way', () => {
    const file = join(home, 'file');
    writeFileSync(file, '');
    const error = refusal(join(file, 'outbox'));
    assert.equal(error.code, 'data_dir_unusable');
    assert.match(error.message, new RegExp(`^cannot create the folder ${file} \\(on the way to ${file}/outbox\\) for durable state: a file is in the way;`));
  });
});
