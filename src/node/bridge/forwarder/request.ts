import { createHmac } from 'node:crypto';
import { jsonText } from '../../../codec/json.js';
import type { Args, Dict } from '../../../protocol/messages.js';

/**
 * What the app receives for one event: Crossbar's MessageForwarder body, and Junction's headers.
 */

/**
 * The request body: {"args": [...], "kwargs": {...}} as compact JSON, as Crossbar's forwarder
 * sends it (both keys always present), written as the json codec writes (docs/payloads.md):
 * bytes as a string of a NUL character followed by their base64, big integers as exact digits.
 */
export function forwardBody(args: Args, kwargs: Dict): string {
  return jsonText({ args, kwargs });
}

/** "sha256=<hex HMAC-SHA256 of the exact body bytes>", the X-Junction-Signature value. */
export function bodySignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The facts of one delivery attempt that its headers carry. */
export interface DeliveryFacts {
  topic: string;
  publication: number;
  /** 1 for the first attempt. */
  attempt: number;
}

/**
 * The request headers: the configured ones first (names lower-cased), then Junction's, which win
 * on a clash so that no configured header can forge the topic or the signature. The topic is
 * percent-encoded as encodeURIComponent does: plain topics ("breaking-news.politics") are
 * unchanged, and a topic with characters a header cannot carry still arrives intact.
 */
export function forwardHeaders(configured: Record<string, string>, facts: DeliveryFacts, body: string, signingSecret: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(configured)) headers[name.toLowerCase()] = value;
  headers['content-type'] = 'application/json';
  headers['x-junction-topic'] = encodeURIComponent(facts.topic);
  headers['x-junction-publication'] = String(facts.publication);
  headers['x-junction-delivery-attempt'] = String(facts.attempt);
  if (signingSecret !== undefined) headers['x-junction-signature'] = bodySignature(signingSecret, body);
  return headers;
}
