import { pino } from 'pino';
import type { Logger } from '../router/log.js';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * The fields that mark a warning as one about the configuration itself (a static folder that does
 * not exist, a console open to anonymous sign-in): spread into the line's fields. A node says each
 * once: the workers of `--workers` build the same configuration, and only the first one writes
 * these at warn level (createLogger's `configWarnings`).
 */
export const aboutConfig = { about: 'config' } as const;

export interface LoggerOptions {
  /** 'debug' in a `--workers` worker but the first: the first says the node's warnings about its configuration. Default 'warn'. */
  configWarnings?: 'warn' | 'debug';
}

/** Structured JSON lines on stdout. Secrets never reach it: nothing logs credentials. */
export function createLogger(level: LogLevel = 'info', destination?: NodeJS.WritableStream, { configWarnings = 'warn' }: LoggerOptions = {}): Logger & { flush?: () => void } {
  const options = {
    level, base: { name: 'junction' }, timestamp: pino.stdTimeFunctions.isoTime,
    ...(configWarnings === 'debug' && {
      hooks: {
        logMethod(this: pino.Logger, args: Parameters<pino.LogFn>, write: pino.LogFn, methodLevel: number): void {
          if (methodLevel === this.levels.values.warn && isAboutConfig(args[0])) return this.debug(...args);
          write.apply(this, args);
        },
      },
    }),
  };
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

function isAboutConfig(fields: unknown): boolean {
  return typeof fields === 'object' && fields !== null && (fields as { about?: unknown }).about === aboutConfig.about;
}
