import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { waitFor } from './wait.js';

/** A stand-in for the app a forwarder posts to, on a free loopback port. */
export interface WebhookApp {
  /** Where the forwarder posts events: `/hook`. */
  url: string;
  /** args[0] of each POST accepted on /hook, in arrival order. */
  received: unknown[];
  /** args[0] (the session id) of each POST accepted on /leave. */
  leaves: unknown[];
  /** While true, every POST is answered 503 (and not recorded). */
  down: boolean;
  close(): Promise<void>;
}

export async function startWebhookApp(): Promise<WebhookApp> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (app.down) return void response.writeHead(503).end();
      (request.url === '/leave' ? app.leaves : app.received).push((JSON.parse(body) as { args: unknown[] }).args[0]);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const app: WebhookApp = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    received: [], leaves: [], down: false,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return app;
}

/** Every value once, in order: the app may see a repeat only if a holder died mid-request, which these tests avoid. */
export async function appGetsExactly(app: { received: unknown[] }, values: number[]): Promise<void> {
  await waitFor(() => app.received.length >= values.length, `the app received ${values.length} events (got ${app.received.length})`, 20_000);
  await new Promise((resolve) => setTimeout(resolve, 300)); // a repeat would arrive now
  assert.deepEqual(app.received, values);
}

/** from, from + 1, ... to - 1. */
export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, index) => from + index);
