import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunningJunction } from '../support/cli.js';
import { fuzzTimeout, gauges, gaugesBackTo, WampBystander } from '../support/fuzz.js';
import { leaveDoorsAtRandom, noCgiProgramLeft, openGauges, playEveryDoor, prepareResetFuzz, scrape, type Door } from '../support/reset-fuzz.js';

/**
 * Clients that leave at every stage of every door: one `junction start` serving a web transport
 * (WebSocket with WAMP v1, long-poll, SSE, the HTTP bridge, static, upload, console and its
 * WebSocket, nodeinfo, metrics, HTTP and WebSocket reverse proxies, MQTT over WebSocket, CGI
 * scripts and a WSGI app), the same over TLS, universal ports plain and over TLS, RawSocket and
 * MQTT plain and over TLS, a Pusher app, WebSocket and TCP echo servers and a Flash policy port.
 * Each case plays a valid exchange up to a random point (mid request line, mid headers, mid body,
 * after a refusal, mid handshake of WebSocket, TLS, RawSocket or MQTT, after WELCOME, mid frame,
 * mid close, while a long-poll receive or an SSE stream is held, while a CGI script or the WSGI
 * app reads the body or streams its answer, an HTTP request pipelined behind a long answer or
 * behind an upgrade), maybe stops reading, then resets the connection (RST, as Autobahn's abort),
 * ends it (FIN, reading on: the door must close its side too) or closes it (the doors and steps:
 * test/support/reset-fuzz.ts). After each, the node still serves a WAMP session; at the end every
 * open-connection gauge is back where it was, no program a CGI script started still runs, and the
 * process never exited. reset-fuzz-workers.test.ts plays the same against `--workers 2`.
 */

const CASES = 160;

describe('clients that reset, end or close at every stage of every door', { timeout: fuzzTimeout(180_000) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-reset-fuzz-'));
  let junction: RunningJunction;
  let bystander: WampBystander;
  let doors: Door[];
  let web: number;
  /** The gauges with only the bystander connected (and the scrape's own connection). */
  let baseline: Record<string, number>;

  before(async () => {
    ({ doors, web } = await prepareResetFuzz(dir));
    junction = RunningJunction.start(['--cbdir', dir], dir);
    await junction.url();
    bystander = await WampBystander.join(`ws://127.0.0.1:${web}/ws`);
    baseline = gauges(await scrape(web), openGauges);
  });

  after(async () => {
    await bystander?.close().catch(() => undefined);
    junction?.kill();
    await junction?.waitForExit();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plays every door to its last answer (the cases below cut these exchanges)', async () => {
    await playEveryDoor(doors, bystander);
  });

  it('each ends that connection only; every open-connection gauge comes back', async () => {
    await leaveDoorsAtRandom('reset-fuzz', doors, junction, (what) => bystander.works(what), CASES);
    // The last resets reach the node after their case ended: give them time, then the node must still serve.
    await bystander.works('after the last case');
    // Each scrape is a connection of its own, as the baseline's was; a long-poll transport outlives its client by session_timeout.
    let exposition = await scrape(web);
    const refresh = setInterval(() => void scrape(web).then((text) => (exposition = text), () => undefined), 250);
    try {
      await gaugesBackTo(() => exposition, baseline, openGauges, 20_000);
    } finally {
      clearInterval(refresh);
    }
    await noCgiProgramLeft(dir);
    assert.equal(junction.child.exitCode, null, `the node exited: ${junction.stderr}`);
    // Leaving is the client's right: nothing of it is an internal error (pino's error level is 50).
    assert.deepEqual(junction.lines.filter((line) => line.level >= 50), [], 'error-level log lines');
  });
});
