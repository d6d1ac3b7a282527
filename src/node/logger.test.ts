import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { aboutConfig, createLogger, type LoggerOptions } from './logger.js';

/** The level and message of each line `write` logs. */
function levels(options: LoggerOptions, write: (log: ReturnType<typeof createLogger>) => void): [number, string][] {
  const out = new PassThrough();
  const lines: string[] = [];
  out.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const log = createLogger('debug', out, options);
  write(log);
  log.flush?.();
  return lines.map((line) => JSON.parse(line) as { level: number; msg: string }).map(({ level, msg }) => [level, msg]);
}

describe('createLogger', () => {
  const write = (log: ReturnType<typeof createLogger>): void => {
    log.warn({ ...aboutConfig }, 'the folder does not exist');
    log.child({ transport: 'web' }).warn({ directory: '/x', ...aboutConfig }, 'a path\'s folder does not exist');
    log.warn({}, 'a slow consumer');
  };

  it('writes warnings about the configuration at warn level by default', () => {
    assert.deepEqual(levels({}, write), [[40, 'the folder does not exist'], [40, 'a path\'s folder does not exist'], [40, 'a slow consumer']]);
  });

  it('with configWarnings "debug", writes those (and only those) at debug level, also through a child', () => {
    assert.deepEqual(levels({ configWarnings: 'debug' }, write), [[20, 'the folder does not exist'], [20, 'a path\'s folder does not exist'], [40, 'a slow consumer']]);
  });
});
