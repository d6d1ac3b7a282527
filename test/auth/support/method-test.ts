import assert from 'node:assert/strict';
import type { Challenge, MethodOutcome } from '../../../src/auth/method.js';
import { MessageType } from '../../../src/protocol/codes.js';
import type { Authenticate, Dict } from '../../../src/protocol/messages.js';
import type { AuthRequest } from '../../../src/router/hooks.js';

/** Helpers for the unit tests of one auth method: what its begin() receives, and what its challenge verifies. */

export const localTransport = { type: 'websocket', serializer: 'json', peer: 'tcp4:127.0.0.1:5000' };

/** A sign-in to realm1 over a local WebSocket whose HELLO offers `authmethod`, with `details` added. */
export function authRequest(authmethod: string, sessionId: number, details: Dict): AuthRequest {
  return { realm: 'realm1', details: { authmethods: [authmethod], ...details }, transport: localTransport, sessionId };
}

/** The client's AUTHENTICATE with this signature. */
export function authenticate(signature: string): Authenticate {
  return { type: MessageType.AUTHENTICATE, signature, extra: {} };
}

/** The outcome, which must be a challenge. */
export async function challenged(outcome: MethodOutcome | Promise<MethodOutcome>): Promise<Challenge> {
  const result = await outcome;
  assert.equal(result.kind, 'challenge', JSON.stringify(result));
  return result as Challenge;
}
