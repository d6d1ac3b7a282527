import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { waitFor } from '../../../test/support/wait.js';
import { divertByFirstOctet, rawSocketFirstOctet } from './sniff.js';

describe('divertByFirstOctet', () => {
  // An HTTP server keeps a half-closed connection open (allowHalfOpen), to answer a request that came with the client's end.
  const server = createServer();
  const diverted: Socket[] = [];
  divertByFirstOctet(server, 'connection', new Map([[rawSocketFirstOctet, (socket: Socket) => diverted.push(socket)]]), 0);
  // Every connection the server accepted, ended after the tests whatever became of it.
  const accepted: Socket[] = [];
  server.on('connection', (socket: Socket) => accepted.push(socket));
  const listening = new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  after(() => {
    for (const socket of accepted) socket.destroy();
    server.close();
  });

  async function client(): Promise<{ socket: Socket; closed: () => boolean }> {
    const socket = connect(await listening, '127.0.0.1');
    socket.on('error', () => undefined);
    let closed = false;
    socket.on('close', () => (closed = true));
    await new Promise((resolve) => socket.once('connect', resolve));
    return { socket, closed: () => closed };
  }

  it('hands a connection to the route its first octet names', async () => {
    const { socket } = await client();
    socket.write(Buffer.from([rawSocketFirstOctet, 0xf1, 0, 0]));
    await waitFor(() => diverted.length === 1, 'the RawSocket route to get the connection');
    socket.destroy();
  });

  it('closes a connection whose client ended its side before sending anything (no timeout set)', async () => {
    const { socket, closed } = await client();
    socket.end();
    await waitFor(closed, 'the server to close its side');
  });
});
