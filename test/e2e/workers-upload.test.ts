/**
 * An upload path under `junction start --workers 2`: the chunks of one file reach both workers
 * (each on a connection of its own, as a browser's parallel requests do), and the file is put
 * together once, byte-exact, with one `started` and one `finished` event.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Agent, fetch, FormData } from 'undici';
import { connect, type Session } from '../../src/client/index.js';
import { freePort, RunningJunction } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

const scratch = mkdtempSync(join(tmpdir(), 'junction-workers-upload-'));
let junction: RunningJunction | undefined;
let watcher: Session | undefined;
const agents: Agent[] = [];
after(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await watcher?.leave();
  junction?.kill();
  rmSync(scratch, { recursive: true, force: true });
});

const topic = 'app.upload.progress';

describe('an upload path with --workers 2', { timeout: 90_000 }, () => {
  it('puts together once a file whose chunks both workers took', async () => {
    const port = await freePort();
    mkdirSync(join(scratch, 'uploaded'));
    writeFileSync(join(scratch, 'config.json'), JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { publish: true, subscribe: true } }] }] }],
        transports: [{
          type: 'web', endpoint: { type: 'tcp', interface: '127.0.0.1', port },
          paths: {
            ws: { type: 'websocket' },
            health: { type: 'health' },
            upload: {
              type: 'upload', realm: 'realm1', role: 'anonymous', directory: 'uploaded',
              form_fields: { file_name: 'name', mime_type: 'type', total_size: 'size', chunk_number: 'n', chunk_size: 'size1', total_chunks: 'count', content: 'file', on_progress: 'topic' },
            },
          },
        }],
      }],
    }));
    junction = RunningJunction.start(['--config', join(scratch, 'config.json'), '--workers', '2', '--data-dir', join(scratch, 'data')]);
    for (const node of ['w1', 'w2']) await junction.started((line) => line.msg === 'worker serving' && line.node === node);
    const base = `http://127.0.0.1:${port}`;
    const events: Record<string, unknown>[] = [];
    watcher = await connect({ url: `ws://127.0.0.1:${port}/ws`, realm: 'realm1', reconnect: false });
    await watcher.subscribe<[Record<string, unknown>]>(topic, ([event]) => void events.push(event));

    const file = randomBytes(8000);
    const count = 8;
    const takenBy: string[] = [];
    for (let number = 1; number <= count; number++) {
      // A connection of its own, kept open: the parent hands each new one to the worker with fewer.
      const agent = new Agent({ connections: 1 });
      agents.push(agent);
      const health = (await (await fetch(`${base}/health`, { dispatcher: agent })).json()) as { node: string };
      const form = new FormData();
      for (const [key, value] of Object.entries({ name: 'shared.bin', type: 'application/octet-stream', size: file.length, n: number, size1: 1000, count, topic })) {
        form.append(key, String(value));
      }
      form.append('file', new Blob([new Uint8Array(file.subarray((number - 1) * 1000, number * 1000))]), 'shared.bin');
      const answer = await fetch(`${base}/upload`, { method: 'POST', body: form, dispatcher: agent });
      assert.equal(answer.status, 200, await answer.text());
      takenBy.push(health.node);
    }
    assert.deepEqual([...new Set(takenBy)].sort(), ['w1', 'w2'], `chunks taken by ${takenBy.join(', ')}`);
    assert.deepEqual(readFileSync(join(scratch, 'uploaded', 'shared.bin')), file);
    // Each worker publishes a chunk's events before it answers, in order: once every chunk's progress
    // and the finish are in, a second "started" (published before its chunk's progress) would be too.
    const progressEvents = () => events.filter((event) => event.status === 'progress').length;
    await waitFor(() => progressEvents() >= count && events.some((event) => event.status === 'finished'), 'every progress event and the finish', 10_000);
    assert.equal(events.filter((event) => event.status === 'started').length, 1);
    assert.equal(events.filter((event) => event.status === 'finished').length, 1);
    assert.equal(progressEvents(), count);
  });
});
