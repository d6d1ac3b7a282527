import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { redisNodeId } from '../../src/node/cluster/backplane-choice.js';
import { workerNodeId } from '../../src/node/cluster/ipc-messages.js';
import { projectRoot } from '../support/cli.js';

/** docs/cluster.md's node names are the ones the code gives (with Redis a worker is not plain "w2"). */
describe('docs/cluster.md node names', () => {
  const doc = readFileSync(join(projectRoot, 'docs', 'cluster.md'), 'utf8');
  const table = doc.slice(doc.indexOf('### Node names'));
  const row = (startedWith: string) => table.split('\n').find((line) => line.startsWith(`| ${startedWith} |`)) ?? assert.fail(`no row for ${startedWith}`);
  const asOnMyhost = (name: string) => name.replace(hostname(), 'myhost');

  it('names workers without Redis w1, w2...', () => {
    assert.ok(row('`--workers N`, no `cluster`').includes(`\`${workerNodeId(1)}\`, \`${workerNodeId(2)}\``));
  });

  it('names a Redis node by node_id or host name and suffix, and its workers by that name and the worker\'s', () => {
    assert.ok(row('`cluster` (Redis), one process').includes(`\`${redisNodeId('n1', undefined)}\`, \`${asOnMyhost(redisNodeId(undefined, undefined, '3f9a1c'))}\``));
    const both = row('`cluster` (Redis) and `--workers N`');
    assert.ok(both.includes(`\`${redisNodeId('n1', workerNodeId(2))}\`, \`${asOnMyhost(redisNodeId(undefined, workerNodeId(2), '3f9a1c'))}\``), both);
  });

  it('does not say a session\'s node is always a plain worker name', () => {
    assert.doesNotMatch(doc, /names the worker a session is on \(`w1`/);
  });
});
