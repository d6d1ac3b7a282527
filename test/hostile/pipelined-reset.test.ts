/**
 * A client that pipelines a request behind a long answer and then resets the connection. Node
 * tells only the connection's current response that the client left: the one queued behind it
 * heard nothing, so its SSE stream (and its session) and its reverse proxy slot were held for
 * good (found by reset-fuzz.test.ts). They must end with the connection.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, openRouterConfig, RunningJunction } from '../support/cli.js';
import { metric } from '../support/node-probes.js';
import { eventually } from '../support/wait.js';

/** Larger than the socket buffers hold: a client that does not read keeps this answer unfinished. */
const LONG_ANSWER = 'long answer\n'.repeat(400_000);

describe('a request pipelined behind a long answer, then a reset', { timeout: 120_000 }, () => {
  let dir: string;
  let port: number;
  let junction: RunningJunction;

  /** Waits until the gauge `series` (a full series name with its labels) reads `value`. */
  const gaugeReaches = (series: string, value: number) => eventually(async () => ((await metric(port, series)) === value ? true : undefined), `${series} to be ${value}`);

  /** Sends a GET of the long answer and `pipelined` on one connection, never reading; once `held` is 1, resets it. */
  async function resetBehindLongAnswer(pipelined: string, held: string): Promise<void> {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause();
    socket.write(`GET /static/long.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n${pipelined}`);
    await gaugeReaches(held, 1);
    socket.resetAndDestroy();
    await gaugeReaches(held, 0);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-pipelined-reset-'));
    await writeFile(join(dir, 'long.txt'), LONG_ANSWER);
    port = await freePort();
    const config = openRouterConfig({
      ws: { type: 'websocket' },
      static: { type: 'static', directory: dir },
      sse: { type: 'sse', realm: 'realm1' },
      metrics: { type: 'metrics' },
      // Back to this transport's own static path.
      forwarded: { type: 'reverseproxy', host: '127.0.0.1', port, path: '/static' },
    });
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    junction = RunningJunction.start(['--cbdir', dir, '--port', String(port)], dir);
    await junction.url();
  });

  after(async () => {
    junction.kill();
    await junction.waitForExit();
    await rm(dir, { recursive: true, force: true });
  });

  it('ends the queued SSE stream and its session', async () => {
    await resetBehindLongAnswer('GET /sse?topic=news HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'junction_sse_streams_open');
    await gaugeReaches('junction_sessions{origin="client",realm="realm1"}', 0);
  });

  it('frees the queued forwarded request\'s slot', async () => {
    await resetBehindLongAnswer('GET /forwarded/long.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      'junction_http_forward_requests_in_flight{path="/forwarded",service="reverseproxy",transport="transport0"}');
  });
});
