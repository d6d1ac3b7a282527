import { pino } from 'pino';
import type { Logger } from '../router/log.js';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Structured JSON lines on stdout. Secrets never reach it: nothing logs credentials. */
export function createLogger(level: LogLevel = 'info', destination?: NodeJS.WritableStream): Logger & { flush?: () => void } {
  const options = { level, base: { name: 'junction' }, timestamp: pino.stdTimeFunctions.isoTime };
  return (destination ? pino(options, destination) : pino(options)) as unknown as Logger;
}

/**
 * A log file the log lines are appended to (its folder made when missing). Written synchronously,
 * as Crossbar's log file is, so that no line is lost when the process ends; throws when the file
 * cannot be opened.
 */
export function logFileDestination(path: string): NodeJS.WritableStream {
  return pino.destination({ dest: path, append: true, mkdir: true, sync: true }) as unknown as NodeJS.WritableStream;
}
