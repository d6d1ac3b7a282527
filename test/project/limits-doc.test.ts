import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { usage as startUsage } from '../../src/cli/commands/start.js';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { projectRoot } from '../support/cli.js';

/**
 * The README's limits table names settings and metrics that exist: each option in its setting
 * column is a key of the config's JSON Schema (or a `junction start` flag), and each `junction_*`
 * metric the README names anywhere is a row of docs/metrics.md (which metrics-doc.test.ts ties to
 * the metrics the code registers); and the reverse: every schema option named like a limit is in
 * some row, or is listed here as bounding nothing. The defaults are the rows' text and are not parsed here.
 */

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
const metricsDoc = readFileSync(join(projectRoot, 'docs', 'metrics.md'), 'utf8');

/** Every property name in the schema, and (unless `namesOnly`) every string a `type`-like key may take (`zeromq`, `stdio`...). */
function schemaWords(namesOnly = false): Set<string> {
  const words = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    if (object.properties && typeof object.properties === 'object') Object.keys(object.properties).forEach((key) => words.add(key));
    if (!namesOnly && typeof object.const === 'string') words.add(object.const);
    if (!namesOnly && Array.isArray(object.enum)) object.enum.forEach((value) => typeof value === 'string' && words.add(value));
    Object.values(object).forEach(walk);
  };
  walk(configJsonSchema());
  return words;
}

/** The limits table's rows, each as its first cell and its last (the setting). */
function limitRows(): { limit: string; setting: string }[] {
  const start = readme.indexOf('## Limits and policies');
  assert.ok(start >= 0, 'the README has its limits section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return section.split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| limit |') && !line.startsWith('| ---'))
    .map((line) => {
      const cells = line.slice(2, -2).split(' | ');
      return { limit: cells[0]!, setting: cells.at(-1)! };
    });
}

describe('the README limits table', () => {
  const rows = limitRows();

  it('has its rows, the newest among them', () => {
    const limits = rows.map((row) => row.limit);
    for (const limit of ['Redis command wait', 'retained events', 'MQTT clients', 'Pusher HTTP API requests']) assert.ok(limits.includes(limit), limit);
  });

  it("names only options the config's JSON Schema has, and flags `junction start` takes", () => {
    const words = schemaWords();
    const unknown: string[] = [];
    for (const { limit, setting } of rows) {
      for (const [, code] of setting.matchAll(/`([^`]+)`/g)) {
        if (code!.startsWith('junction start ')) {
          for (const [flag] of code!.matchAll(/--[a-z-]+/g)) if (!startUsage.includes(`[${flag} `)) unknown.push(`${limit}: ${flag}`);
          continue;
        }
        if (code!.startsWith('net.')) continue; // a kernel setting (net.core.somaxconn)
        for (const word of code!.split('.')) {
          if (/^[a-z][a-z0-9_]*$/.test(word) && !words.has(word)) unknown.push(`${limit}: ${word}`);
        }
      }
    }
    assert.deepEqual(unknown, []);
  });

  it('names every limit option of the schema in some row', () => {
    // Options whose names look like limits but bound nothing a client makes the router hold.
    const notLimits: Record<string, string> = {
      cache_timeout: 'how long browsers cache static files',
      max_attempts: "the forwarder's retries of one message (its outbox is the bound)",
      max_delay: 'a backoff between retries or restarts',
      client_timeout: "a Crossbar option Junction ignores (notice)",
      close_handshake_timeout: 'a Crossbar WebSocket tuning option Junction ignores (notice)',
      max_frame_size: 'a Crossbar WebSocket tuning option Junction ignores (notice)',
      user_timeout: 'a Crossbar endpoint option Junction ignores (notice)',
      max_window_bits: 'WebSocket compression tuning',
      memory_level: 'WebSocket compression tuning',
      memory: "a WAMP-SCRAM principal's Argon2 memory cost, spent by the client (the router never runs Argon2)",
    };
    const named = new Set(rows.flatMap(({ setting }) => [...setting.matchAll(/`([^`]+)`/g)].flatMap(([, code]) => code!.split(/[.\s,]+/))));
    const limitLike = [...schemaWords(true)].filter((word) => /^max_|limit|^concurrency|timeout$|_rate$|memory/.test(word));
    assert.deepEqual(limitLike.filter((word) => !named.has(word) && !(word in notLimits)).sort(), []);
    assert.deepEqual(Object.keys(notLimits).filter((word) => !limitLike.includes(word)), [], 'every exception is still an option of the schema');
  });

  it('names only metrics that docs/metrics.md lists', () => {
    const documented = new Set([...metricsDoc.matchAll(/^\| `(junction_[a-z0-9_]+)` \|/gm)].map((match) => match[1]!));
    const named = new Set([...readme.matchAll(/\b(junction_[a-z0-9_]+)/g)].map((match) => match[1]!));
    assert.ok(named.has('junction_cluster_redis_timeouts_total') && named.has('junction_retained_replay_held_bytes'));
    assert.deepEqual([...named].filter((name) => !documented.has(name)).sort(), []);
  });
});
