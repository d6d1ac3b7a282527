import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort, RunningJunction } from '../support/cli.js';

/**
 * SSE resume across nodes: a stream's event ids are publication ids, the same on every node, and
 * every node keeps the history of every publication (a restarted one copies it), so a client that
 * reconnects to another worker with Last-Event-ID gets exactly what it missed. The parent of
 * --workers hands connections out round-robin, so consecutive fresh connections reach both workers.
 */

const running: RunningJunction[] = [];
const sessions: OpenSession[] = [];
let dir: string | undefined;
after(async () => {
  await Promise.all(sessions.map((session) => session.close()));
  running.forEach((junction) => junction.kill());
  if (dir) await rm(dir, { recursive: true, force: true });
});

const topic = 'resume.news';

function config(): object {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{
        name: 'realm1',
        roles: [{ name: 'anonymous', 'allow-by-default': true }],
        store: { type: 'memory', limit: 100, 'event-history': [{ uri: topic }] },
      }],
      transports: [{
        type: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
        paths: { ws: { type: 'websocket' }, sse: { type: 'sse', realm: 'realm1' } },
      }],
    }],
  };
}

interface SseMessage { id: number; data: string }

/** The messages of a stream on a connection of its own, read until one carries `until`. */
function readStream(url: string, lastEventId: number, until: RegExp, timeoutMs = 15_000): Promise<{ text: string; messages: SseMessage[] }> {
  return new Promise((resolve, reject) => {
    const headers = { accept: 'text/event-stream', 'last-event-id': String(lastEventId) };
    const outgoing = request(url, { agent: false, headers }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`SSE answered ${response.statusCode}`));
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (!until.test(text)) return;
        outgoing.destroy();
        const messages = text.split('\n\n').flatMap((block) => {
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          return id && data ? [{ id: Number(id), data }] : [];
        });
        resolve({ text, messages });
      });
    });
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`the SSE stream did not carry ${until} within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('SSE Last-Event-ID with --workers 2', () => {
  it('resumes on either worker, and on a restarted one, with each missed event once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-sse-resume-'));
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify(config()));
    const port = await freePort();
    const junction = RunningJunction.start(['--config', file, '--port', String(port), '--workers', '2']);
    running.push(junction);
    const pids = new Map<string, number>();
    for (const node of ['w1', 'w2']) {
      const line = await junction.waitForLine((candidate) => candidate.msg === 'worker serving' && candidate.node === node, 45_000);
      pids.set(node, Number(line.pid));
    }
    const publisher = await openAutobahn(`ws://127.0.0.1:${port}/ws`);
    sessions.push(publisher);
    const ids: number[] = [];
    for (const word of ['one', 'two', 'three']) {
      const published = await publisher.session.publish(topic, [word], {}, { acknowledge: true }) as { id: number };
      ids.push(published.id);
    }
    const url = `http://127.0.0.1:${port}/sse?topic=${topic}`;

    /** Four resumes from "one", each on a fresh connection: two per worker. */
    async function resumeEverywhere(): Promise<void> {
      for (let i = 0; i < 4; i++) {
        const { text, messages } = await readStream(url, ids[0]!, /"three"/);
        assert.doesNotMatch(text, /not in the event history/, text);
        assert.deepEqual(messages, [
          { id: ids[1], data: '{"args":["two"],"kwargs":{}}' },
          { id: ids[2], data: '{"args":["three"],"kwargs":{}}' },
        ], text);
      }
    }
    // The worker without the publisher heard the publications over the backplane; give it a moment.
    await waitUntilResumable(url, ids[0]!);
    await resumeEverywhere();

    // A worker dies and starts again: it copies the history from the other, with the same ids.
    process.kill(pids.get('w1')!, 'SIGKILL');
    await junction.waitForLine((line) => line.msg === 'worker serving' && line.node === 'w1' && Number(line.pid) !== pids.get('w1'), 45_000);
    await waitUntilResumable(url, ids[0]!);
    await resumeEverywhere();
  });
});

/** Resumes until two in a row (one per worker) replay from history; bounded in tries. */
async function waitUntilResumable(url: string, from: number): Promise<void> {
  let inARow = 0;
  for (let attempt = 0; attempt < 40 && inARow < 2; attempt++) {
    const { text } = await readStream(url, from, /^id: |not in the event history/m).catch(() => ({ text: '' }));
    inARow = /^id: /m.test(text) ? inARow + 1 : 0;
    if (inARow < 2) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
