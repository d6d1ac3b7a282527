import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';

/**
 * The bench's raw HTTP publisher floor (bench/servers/http-publish-raw.mjs, system relay-http-raw)
 * must answer what the node:http floor (http-publish-floor.mjs, relay-http) answers for the
 * bench's POSTs, byte for byte apart from the Date header, or the two floors would not measure
 * the same work. Loaded by URL: the bench is not compiled.
 */

const benchServer = (name: string): Promise<any> => import(new URL(`../../../bench/servers/${name}`, import.meta.url).href);

const BODY = '{"topic":"t","args":[1]}';
const POST = `POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`;
const BAD_JSON = `POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\n{x}`;
const WRONG_PATH = `POST /other HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}`;

/** A floor server: node:http only, or with its POST connections diverted to the raw reader. */
async function floorServer(raw: boolean): Promise<{ server: Server; published: unknown[] }> {
  const { handlePublishRequest } = await benchServer('http-publish-floor.mjs');
  const { divertPosts } = await benchServer('http-publish-raw.mjs');
  const published: unknown[] = [];
  const publish = (topic: string, args: unknown[]): number => published.push([topic, args]);
  const server = createServer((request, response) => handlePublishRequest(request, response, publish));
  if (raw) divertPosts(server, publish);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, published };
}

/** Writes `chunks` one by one (each after the previous is flushed) and reads until `answers` answers came. */
async function exchange(server: Server, chunks: string[], answers: number): Promise<string> {
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  let text = '';
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only this came in 5 s: ${JSON.stringify(text)}`)), 5_000);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.split('HTTP/1.1 ').length - 1 >= answers && /\r\n\r\n[^]*$/.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    socket.on('error', reject);
  });
  for (const chunk of chunks) await new Promise((resolve) => socket.write(chunk, resolve));
  await done;
  await new Promise((resolve) => setTimeout(resolve, 50)); // nothing more must follow
  socket.destroy();
  return text.replace(/\r\nDate: [^\r]*/g, '\r\nDate: -');
}

async function bothFloors(chunks: string[], answers: number): Promise<{ node: string; raw: string; published: unknown[][] }> {
  const results = [];
  const published = [];
  for (const raw of [false, true]) {
    const floor = await floorServer(raw);
    try {
      results.push(await exchange(floor.server, chunks, answers));
      published.push(floor.published);
    } finally {
      floor.server.close();
      floor.server.closeAllConnections();
    }
  }
  return { node: results[0]!, raw: results[1]!, published };
}

test('the raw floor answers pipelined POSTs, a bad body and a wrong path as the node:http floor does', async () => {
  const { node, raw, published } = await bothFloors([POST + BAD_JSON + POST + WRONG_PATH + POST], 5);
  assert.equal(raw, node);
  assert.match(raw, /^HTTP\/1\.1 200 OK\r\ncontent-type: application\/json\r\ncontent-length: 8\r\nDate: -\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n\{"id":1\}HTTP\/1\.1 400 /);
  assert.deepEqual(published[1], published[0]);
  assert.equal(published[1]!.length, 3);
});

test('the raw floor reads a POST written one byte at a time', async () => {
  const { node, raw } = await bothFloors([...POST], 1);
  assert.equal(raw, node);
  assert.match(raw, /\{"id":1\}$/);
});

test('with the raw floor, a connection that does not start with a POST is node:http\'s', async () => {
  const { divertPosts } = await benchServer('http-publish-raw.mjs');
  const server = createServer((_request, response) => response.end('from node:http'));
  divertPosts(server, () => 1);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const answer = await exchange(server, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n'], 1);
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n[^]*from node:http$/);
  } finally {
    server.close();
    server.closeAllConnections();
  }
});
