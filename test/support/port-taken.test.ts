import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { RunningNginx } from '../e2e/support/nginx-server.js';
import { skipWithoutDebian } from './debian.js';
import { freePort, onFreePort, PortTaken } from './cli.js';
import { RunningMosquitto } from './mosquitto.js';
import { RunningRedis } from './redis-server.js';

/**
 * The servers a test starts on a port picked beforehand (they cannot take port 0 and say which
 * they got: redis-server, mosquitto, nginx) find out when another process took it first, instead
 * of taking that process, which accepts connections on the port, for themselves; onFreePort then
 * picks another port.
 */

const holders: Server[] = [];
after(() => Promise.all(holders.map((holder) => new Promise((resolve) => holder.close(resolve)))));

/** A port another server of this process listens on. */
async function takenPort(): Promise<number> {
  const holder = createServer((socket) => socket.destroy());
  holders.push(holder);
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  return (holder.address() as AddressInfo).port;
}

describe('a port picked for a server that cannot take port 0', () => {
  const range = existsSync('/proc/sys/net/ipv4/ip_local_port_range') ? readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8') : undefined;

  it('is below the ports the system gives outgoing connections, which one made meanwhile could take, and free', { skip: range === undefined && 'not Linux' }, async () => {
    const ephemeralStart = Number(range!.trim().split(/\s+/)[0]);
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      assert.ok(port > 1024 && port < ephemeralStart, `${port} is outside 1025..${ephemeralStart - 1}`);
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a server started on a port another process took', () => {
  it('onFreePort starts it again on another port when it says PortTaken, and gives up after five', async () => {
    const tried: number[] = [];
    const started = await onFreePort(async (port) => {
      tried.push(port);
      if (tried.length < 3) throw new PortTaken('a server', port);
      return port;
    });
    assert.equal(tried.length, 3);
    assert.equal(started, tried[2]);
    let attempts = 0;
    await assert.rejects(onFreePort(async (port) => {
      attempts++;
      throw new PortTaken('a server', port);
    }), PortTaken);
    assert.equal(attempts, 5);
    await assert.rejects(onFreePort(() => Promise.reject(new Error('a config error'))), /a config error/, 'any other failure is not retried');
  });

  it('redis-server: PortTaken, not the other process taken for it', { skip: skipWithoutDebian('redis-server') }, async () => {
    await assert.rejects(RunningRedis.startOn(await takenPort()), PortTaken);
  });

  it('mosquitto: PortTaken, not the other process taken for it', { skip: skipWithoutDebian('mosquitto') }, async () => {
    await assert.rejects(RunningMosquitto.startOn(await takenPort()), PortTaken);
  });

  it('nginx: PortTaken, not the other process taken for it', { skip: skipWithoutDebian('nginx') }, async () => {
    const port = await takenPort();
    await assert.rejects(RunningNginx.startOn(port, (listen) => `server { listen 127.0.0.1:${listen}; location / { return 204; } }`), PortTaken);
  });
});
