import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Refusal } from './refusal.js';

/**
 * GitHub's webhook signature: header X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256 of the raw
 * body under the shared secret. (Crossbar checked the older SHA-1 X-Hub-Signature only.)
 */
export function checkGithubSignature(secret: string, headers: IncomingHttpHeaders, body: Buffer): void {
  const header = headers['x-hub-signature-256'];
  if (header === undefined) throw new Refusal(401, 'signature_missing', 'the X-Hub-Signature-256 header is required (github_secret is set)');
  const match = typeof header === 'string' ? /^sha256=([0-9a-f]{64})$/i.exec(header.trim()) : null;
  if (!match) throw new Refusal(401, 'signature_malformed', 'X-Hub-Signature-256 must be "sha256=" followed by 64 hex digits');
  const expected = createHmac('sha256', secret).update(body).digest();
  if (!timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected)) {
    throw new Refusal(401, 'signature_mismatch', 'X-Hub-Signature-256 does not match the body under the configured github_secret');
  }
}
