import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { openAutobahn } from '../support/autobahn.js';
import { skipWithoutDebian } from '../support/debian.js';
import { mqttTestConfig } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { Arrivals, waitFor } from '../support/wait.js';
import { spawnOwned } from '../support/processes.js';

const mosquittoPub = '/usr/bin/mosquitto_pub';
const mosquittoSub = '/usr/bin/mosquitto_sub';
const skip = skipWithoutDebian('mosquitto-clients');

/**
 * mosquitto_sub -v -d: message lines are "topic payload"; debug lines ("Client ... received SUBACK",
 * "Subscribed (mid: 1): 1") tell when it has subscribed.
 */
class MosquittoSub {
  readonly messages: string[] = [];
  private subscribed = false;
  private exited: string | undefined;
  private readonly arrivals = new Arrivals({ stopped: () => this.exited, received: () => `received ${JSON.stringify(this.messages)}` });
  private child: ChildProcess | undefined;

  /** Starts it at once unless `startNow` is false (then: start()). */
  constructor(private readonly port: number, private readonly args: string[], startNow = true) {
    if (startNow) this.start();
  }

  start(): void {
    // -W bounds its life should the test process die; stdbuf makes its debug lines arrive as they are written.
    const child = spawnOwned('stdbuf', ['-oL', mosquittoSub, '-h', '127.0.0.1', '-p', String(this.port), '-v', '-d', '-W', '30', ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('Client ') || line.startsWith('Subscribed (')) {
          if (line.includes('received SUBACK')) this.subscribed = true;
        } else if (line.length > 0) {
          this.messages.push(line);
        }
      }
      this.arrivals.wake();
    });
    child.on('exit', (code, signal) => {
      this.exited = `mosquitto_sub exited (${code ?? signal})`;
      this.arrivals.wake();
    });
  }

  // Generous: the CPU is shared with other suites.
  ready(): Promise<void> {
    return this.arrivals.until(() => this.subscribed, 'SUBACK', 15_000);
  }

  until(count: number, what: string): Promise<void> {
    return this.arrivals.until(() => this.messages.length >= count, what, 15_000);
  }

  /** Resolves when it has exited by itself (-C: after that many messages it disconnects as a client should). */
  exit(): Promise<void> {
    return this.arrivals.until(() => this.exited !== undefined, 'mosquitto_sub to exit', 15_000);
  }

  /**
   * Ends it if it is still running. SIGKILL, not SIGINT: mosquitto_sub's SIGINT handler can
   * deadlock on the stdout lock that stdbuf's line buffering holds, leaving it hung.
   */
  kill(): void {
    if (this.child && this.exited === undefined) this.child.kill('SIGKILL');
  }
}

function mosquittoPublish(port: number, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnOwned(mosquittoPub, ['-h', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`mosquitto_pub exited with ${code}: ${stderr}`));
    });
  });
}

describe("Debian's mosquitto clients on the realm of WAMP clients (issue 18's \"Done when\")", { skip }, () => {
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let port: number;
  after(() => node?.stop());

  it('mosquitto_sub on sensors/# and AutobahnJS on the prefix sensors. both receive a mosquitto_pub reading', async () => {
    node = await startTestNode(mqttTestConfig());
    port = node.ports.get('mqtt')!;
    const wamp = await openAutobahn(node.url);
    const sub = new MosquittoSub(port, ['-t', 'sensors/#', '-q', '1', '-C', '2']);
    try {
      const readings: unknown[] = [];
      await wamp.session.subscribe('sensors.', (args: unknown[], _kwargs: unknown, details: { topic: string }) => readings.push([details.topic, args]), { match: 'prefix' });
      await sub.ready();
      await mosquittoPublish(port, ['-t', 'sensors/kitchen/temp', '-m', '{"args": [21.5]}', '-q', '1']);
      await sub.until(1, 'the reading');
      assert.deepEqual(sub.messages, ['sensors/kitchen/temp {"args":[21.5]}']);
      await waitFor(() => readings.length === 1, 'the reading over WAMP');
      assert.deepEqual(readings, [['sensors.kitchen.temp', [21.5]]]);

      await wamp.session.publish('sensors.kitchen.setpoint', [20]);
      await sub.until(2, 'the AutobahnJS publication');
      assert.equal(sub.messages[1], 'sensors/kitchen/setpoint {"args":[20]}');
      await sub.exit();
    } finally {
      sub.kill();
      await wamp.close();
    }
  });

  for (const [version, extra] of [['3.1.1', ['-V', 'mqttv311']], ['5', ['-V', 'mqttv5', '-x', '60']]] as const) {
    it(`a clean_session=false device (MQTT ${version}) that was offline gets the QoS 1 messages it missed`, async () => {
      const id = `boiler-${version}`;
      const args = ['-c', '-i', id, '-t', 'boiler/cmd', '-q', '1', ...extra];
      // The device subscribes, takes one command and goes offline (DISCONNECT after -C 1).
      const first = new MosquittoSub(port, [...args, '-C', '1']);
      const wamp = await openAutobahn(node.url);
      const back = new MosquittoSub(port, [...args, '-C', '2'], false);
      try {
        await first.ready();
        await wamp.session.publish('boiler.cmd', ['hello'], {}, { acknowledge: true, _mqtt: { qos: 1 } });
        await first.exit();
        assert.deepEqual(first.messages, ['boiler/cmd {"args":["hello"]}']);
        // While it is away: a WAMP publication that asks for QoS 1, and a QoS 1 one from mosquitto_pub.
        await wamp.session.publish('boiler.cmd', ['on'], {}, { acknowledge: true, _mqtt: { qos: 1 } });
        await mosquittoPublish(port, ['-t', 'boiler/cmd', '-m', '{"args": [{"target": 55}]}', '-q', '1']);
        back.start();
        await back.until(2, 'the missed messages');
        assert.deepEqual(back.messages, ['boiler/cmd {"args":["on"]}', 'boiler/cmd {"args":[{"target":55}]}']);
        await back.exit();
      } finally {
        first.kill();
        back.kill();
        await wamp.close();
      }
    });
  }
});
