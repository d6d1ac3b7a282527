import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../../../src/node/node.js';
import { debianNeed, skipWithoutDebian } from '../../support/debian.js';
import { startTestNode } from '../../support/node.js';
import { runOwned } from '../../support/processes.js';

/**
 * The router's answer to a client's GOODBYE as Autobahn|Python (Debian's python3-autobahn) sees
 * it: Crossbar answers wamp.close.normal, and Crossbar's example clients exit 1 on anything else.
 */

const python = debianNeed('python3').file;
// From dist/test/interop/python/ the project root is four levels up; the script is not compiled.
const script = fileURLToPath(new URL('../../../../test/interop/python/goodbye_client.py', import.meta.url));
const missing = skipWithoutDebian('python3-autobahn');

describe('GOODBYE with Autobahn|Python', { skip: missing }, () => {
  let node: RunningNode & { url: string };
  before(async () => {
    node = await startTestNode();
  });
  after(async () => {
    await node?.stop();
  });

  it('answers the client\'s GOODBYE with wamp.close.normal, as Crossbar does', async () => {
    const { stdout, stderr } = await runOwned(python, [script, '--url', node.url], 60_000);
    const line = stdout.split('\n').find((text) => text.startsWith('left '));
    assert.ok(line, `the Python client did not leave; stdout: ${stdout} stderr: ${stderr}`);
    assert.deepEqual(JSON.parse(line.slice('left '.length)), { reason: 'wamp.close.normal' });
  });
});
