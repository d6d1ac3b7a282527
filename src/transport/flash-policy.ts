/**
 * Adobe Flash's socket policy protocol (Crossbar's `flashpolicy` transport): before Flash opens a
 * socket to a host it asks that host (port 843) with `<policy-file-request/>` and a NUL; the
 * server answers with a cross-domain policy and a NUL, and closes. Crossbar's limits carry over: a
 * request must come within 5 s and 200 bytes; anything that cannot become one is closed at once.
 */

import type { Socket } from 'node:net';
import type { BoundCounter, MetricsRegistry } from '../metrics/registry.js';
import type { RawSocketAcceptor } from './rawsocket/sniff.js';

export const flashPolicyLimits = {
  /** Bytes a client may send before its request is complete (Crossbar's REQUESTMAXLEN). */
  maxRequestBytes: 200,
  /** Ms a connection is held in all, its answer included (Crossbar's REQUESTTIMEOUT). */
  requestTimeoutMs: 5_000,
  /** Connections held at once; more are closed as they arrive. */
  maxConnections: 1_000,
};

const REQUEST_TAG = '<policy-file-request';
/** A complete request, leading whitespace and a NUL or anything after it allowed (as Crossbar matches it). */
const COMPLETE = /^\s*<policy-file-request\s*\/>/;
/** A start that may still become a request. */
const STARTED = /^\s*<policy-file-request\s*\/?$/;

/** What became of a connection: the `outcome` label of junction_flashpolicy_requests_total. */
type PolicyOutcome = 'answered' | 'not_a_request' | 'too_long' | 'timeout' | 'too_many_connections';

/** The policy document: any host of `domain` may open sockets to `ports` ("*" or "843,8080"). */
export function policyDocument(domain: string, ports: string): string {
  return `<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="${domain}" to-ports="${ports}" /></cross-domain-policy>\0`;
}

/** Whether the bytes received so far are a request, may still become one, or cannot. */
export function requestState(received: string): 'complete' | 'partial' | 'invalid' {
  if (COMPLETE.test(received)) return 'complete';
  const text = received.trimStart();
  return REQUEST_TAG.startsWith(text) || STARTED.test(text) ? 'partial' : 'invalid';
}

export class FlashPolicyService implements RawSocketAcceptor {
  private readonly answer: Buffer;
  private readonly open = new Set<Socket>();
  private readonly outcomes: Record<PolicyOutcome, BoundCounter>;

  constructor(
    policy: { allowedDomain: string; allowedPorts: string },
    metrics: MetricsRegistry,
    labels: Record<string, string>,
    private readonly limits: typeof flashPolicyLimits = flashPolicyLimits,
  ) {
    this.answer = Buffer.from(policyDocument(policy.allowedDomain, policy.allowedPorts));
    const counter = metrics.counter('junction_flashpolicy_requests_total', 'Connections to flashpolicy transports, by outcome');
    const outcomes = ['answered', 'not_a_request', 'too_long', 'timeout', 'too_many_connections'] as const;
    this.outcomes = Object.fromEntries(outcomes.map((outcome) => [outcome, counter.bind({ ...labels, outcome })])) as Record<PolicyOutcome, BoundCounter>;
  }

  accept(socket: Socket): void {
    if (this.open.size >= this.limits.maxConnections) {
      this.outcomes.too_many_connections.inc();
      socket.destroy();
      return;
    }
    this.open.add(socket);
    let received = '';
    let answered = false;
    const end = (outcome: PolicyOutcome): void => {
      this.outcomes[outcome].inc();
      socket.destroy();
    };
    // The one bound on the whole connection: a client that does not read its answer is dropped too.
    const deadline = setTimeout(() => (answered ? socket.destroy() : end('timeout')), this.limits.requestTimeoutMs);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      clearTimeout(deadline);
      this.open.delete(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      received += chunk.toString('latin1');
      const state = requestState(received);
      if (state === 'complete') {
        answered = true;
        this.outcomes.answered.inc();
        socket.end(this.answer);
      } else if (received.length > this.limits.maxRequestBytes) end('too_long');
      else if (state === 'invalid') end('not_a_request');
    });
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
  }
}
