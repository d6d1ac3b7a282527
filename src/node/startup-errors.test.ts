import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { configDocument, loadDocument } from '../config/test-support.js';
import type { ListenerConfig } from '../config/model.js';
import { bindFailure, checkPortsFree, StartupError } from './startup-errors.js';

function listenerOn(port: number): ListenerConfig {
  const config = loadDocument(configDocument({ transports: [{ id: 'main', type: 'websocket', endpoint: { type: 'tcp', port, interface: '127.0.0.1' } }] }));
  return config.listeners[0]!;
}

async function occupiedPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe('start-up errors', () => {
  it('a busy port fails the check with port_in_use, naming the transport, --port and endpoint.port', async () => {
    const { server, port } = await occupiedPort();
    try {
      await assert.rejects(checkPortsFree([listenerOn(port)]), (error: unknown) => {
        assert.ok(error instanceof StartupError);
        assert.equal(error.code, 'port_in_use');
        assert.equal(error.message,
          `port ${port} on 127.0.0.1 is already in use (transport "main"): stop the program using it, or choose another port with --port (first transport) or transport "main"'s endpoint.port in the config`);
        return true;
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('for the embedded default (no config to edit) a busy port names only --port, and no transport the user never named', async () => {
    const { server, port } = await occupiedPort();
    try {
      await assert.rejects(checkPortsFree([listenerOn(port)], 'command-line'), (error: unknown) => {
        assert.ok(error instanceof StartupError);
        assert.equal(error.code, 'port_in_use');
        assert.equal(error.message, `port ${port} on 127.0.0.1 is already in use: stop the program using it, or choose another port with --port`);
        return true;
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a free port passes the check and stays free', async () => {
    const { server, port } = await occupiedPort();
    await new Promise((resolve) => server.close(resolve));
    await checkPortsFree([listenerOn(port)]);
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => again.close(resolve));
  });

  it('names the other bind failures, and passes any other error on unchanged', () => {
    const listener = listenerOn(80);
    const failure = (code: string) => bindFailure(Object.assign(new Error(code), { code }), listener);
    assert.equal((failure('EACCES') as StartupError).code, 'port_not_permitted');
    assert.match((failure('EACCES') as StartupError).message, /--port/);
    assert.equal((failure('EADDRNOTAVAIL') as StartupError).code, 'address_not_available');
    assert.match((failure('EADDRNOTAVAIL') as StartupError).message, /--host .*endpoint\.interface/);
    const commandLine = (code: string) => (bindFailure(Object.assign(new Error(code), { code }), listener, 'command-line') as StartupError).message;
    assert.match(commandLine('EACCES'), /ports below 1024 need privileges; choose another port with --port$/);
    assert.match(commandLine('EADDRNOTAVAIL'), /: choose another address with --host$/);
    for (const code of ['EACCES', 'EADDRNOTAVAIL']) assert.doesNotMatch(commandLine(code), /endpoint|config|transport/);
    // Through `npm start`, an option before "--" is npm's own: the hint shows where junction's go.
    const viaNpm = (code: string) => (bindFailure(Object.assign(new Error(code), { code }), listener, 'npm-start') as StartupError).message;
    assert.match(viaNpm('EADDRINUSE'), /: stop the program using it, or choose another port: npm start -- --port PORT$/);
    assert.match(viaNpm('EADDRNOTAVAIL'), /: choose another address: npm start -- --host HOST$/);
    const other = new Error('something else');
    assert.equal(bindFailure(other, listener), other);
  });
});
