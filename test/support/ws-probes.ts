/**
 * A test's WebSocket client of a node, and the node's metrics: waits for what a client sees
 * (open, a message, the close, a refused upgrade's answer), each as a promise.
 */
import { WebSocket } from 'ws';
import type { RunningNode } from '../../src/node/node.js';

export interface Received {
  data: Buffer;
  isBinary: boolean;
}

export function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

export function nextMessage(ws: WebSocket): Promise<Received> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })));
}

export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** The HTTP answer to an upgrade the server refuses. */
export function refusal(url: string, protocols: string[] = []): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    ws.on('error', () => {});
  });
}

/** The value of the node's series `name` with these labels (among others), 0 when it has none. */
export function labelledMetric(node: RunningNode, name: string, labels: Record<string, string>): number {
  const line = node.metrics.exposition().split('\n').find((candidate) =>
    candidate.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => candidate.includes(`${key}="${value}"`)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}
