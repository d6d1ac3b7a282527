/**
 * Where a cluster's nodes find Redis (the router worker's `cluster.redis`, a Junction extension):
 * one server by URL, or the primary that Redis Sentinel names, which the nodes follow when the
 * sentinels promote a replica. Exactly one of the two.
 */

import * as z from 'zod';
import { nonEmptyString, port } from './schema-parts.js';

const sentinelAddress = z
  .strictObject({
    host: nonEmptyString.describe('Host name or address of a sentinel.'),
    port: port.refine((value) => value > 0, { error: 'expected a port number from 1 to 65535' })
      .describe('Its port (Sentinel\'s usual one is 26379); also a string of digits or "${PORT}".'),
  })
  .describe('One Redis Sentinel process.');

/** The Redis URL's form; the credentials are in it or beside it, never both. */
const redisUrl = /^rediss?:\/\/\S+$/;
const urlCredentials = /^rediss?:\/\/[^/@]*@/;

/** The keys that say where Redis is, with their check; `cluster.redis` adds its own (prefix, bounds). */
export const redisServerShape = {
  url: z.string().regex(redisUrl, { error: 'expected a Redis URL: redis://HOST:PORT/DB or rediss://... (TLS)' }).optional()
    .describe('One Redis server, e.g. redis://127.0.0.1:6379/0; ${ENV} references are allowed. Give this or "sentinels".'),
  sentinels: z.array(sentinelAddress).min(1, { error: 'needs at least one sentinel' }).optional()
    .describe('Redis Sentinel instead of "url": the sentinels asked for the current primary of "name" (three or more, on different machines, in production).'),
  name: nonEmptyString.optional().describe('With "sentinels": the name the sentinels monitor the primary under (their "sentinel monitor NAME ...").'),
  sentinel_password: nonEmptyString.optional().describe('With "sentinels": the password of the sentinels themselves (their "requirepass"), if they have one.'),
  username: nonEmptyString.optional().describe('The Redis user (ACL) for the Redis servers; with "url" it may be in the URL instead.'),
  password: nonEmptyString.optional().describe('The password of the Redis servers ("requirepass" or the ACL user\'s); with "url" it may be in the URL instead; ${ENV} references are allowed.'),
};

interface RedisServerFile {
  url?: string | undefined;
  sentinels?: unknown[] | undefined;
  name?: string | undefined;
  sentinel_password?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

/** Exactly one of `url` and `sentinels` (with `name`); sentinel-only keys only with sentinels; credentials once. */
export function checkRedisServer(redis: RedisServerFile, ctx: z.RefinementCtx): void {
  const conflict = (message: string, key: string): void => ctx.addIssue({ code: 'custom', message, path: [key], params: { code: 'config.conflict' } });
  const missing = (message: string, key: string): void => ctx.addIssue({ code: 'custom', message, path: [key], params: { code: 'config.missing' } });
  if (redis.url !== undefined && redis.sentinels !== undefined) {
    conflict('give either "url" (one Redis server) or "sentinels" (Redis Sentinel), not both', 'sentinels');
    return;
  }
  if (redis.url === undefined && redis.sentinels === undefined) {
    missing('missing: "url" (one Redis server, redis://HOST:PORT/DB) or "sentinels" and "name" (Redis Sentinel)', 'url');
    return;
  }
  if (redis.sentinels !== undefined && redis.name === undefined) missing('missing: "name", the name the sentinels monitor the primary under', 'name');
  if (redis.url !== undefined) {
    for (const key of ['name', 'sentinel_password'] as const) {
      if (redis[key] !== undefined) conflict(`"${key}" applies with "sentinels" only`, key);
    }
    if (urlCredentials.test(redis.url)) {
      for (const key of ['username', 'password'] as const) {
        if (redis[key] !== undefined) conflict(`the URL already has credentials: give "${key}" in it or here, not both`, key);
      }
    }
  }
}
