import { setTimeout as sleep } from 'node:timers/promises';
import type { StdioComponentConfig } from '../../../config/model.js';
import type { InternalSession } from '../../../router/internal-session.js';
import { UnsupportedConfigError } from '../../auth-wiring.js';
import { joinComponentSession } from '../component-session.js';
import type { ComponentFactory } from '../component-types.js';
import { guestEnvironment } from '../../workers/guest-launch.js';
import { checkProgram, programEnvironment } from '../process/program-environment.js';
import { runLinkedProgram, type ProgramExit } from './program-link.js';

/** Between SIGTERM and SIGKILL when the program is stopped. */
const killGraceMs = 2_000;

/**
 * Junction's `stdio` component (websocketd's model applied to WAMP): a long-running program
 * speaking JSON lines (docs/stdio.md), each run joined to the realm as one session in the
 * configured role. When the program exits, its session leaves (its subscriptions and
 * registrations go with it) and it is started again with a fresh session, after a pause that
 * doubles while it keeps exiting soon after starting.
 */
export const stdioComponent: ComponentFactory<StdioComponentConfig> = async (config, context) => {
  const env = config.inherit === undefined ? programEnvironment(config.env) : guestEnvironment({ inherit: config.inherit, vars: config.env });
  try {
    await checkProgram(config.command, config.cwd, env);
  } catch (error) {
    throw new UnsupportedConfigError(`component "${config.id}": ${(error as Error).message}`);
  }
  const log = context.log;
  const spec = { command: config.command, cwd: config.cwd, env, secrets: config.secrets ?? [] };
  const limits = { maxLineBytes: config.maxLineBytes, queueLimit: config.queueLimit, killGraceMs };
  const labels = { component: config.id };
  const metrics = {
    invalidLines: context.metrics.counter('junction_stdio_invalid_lines_total', 'Lines a stdio program wrote that were not commands, by component').bind(labels),
    droppedEvents: context.metrics.counter('junction_stdio_dropped_events_total', 'Events not written to a stdio program (queue full or too long), by component').bind(labels),
  };
  const restarts = context.metrics.counter('junction_stdio_restarts_total', 'Times a stdio program was started again after it exited, by component').bind(labels);
  const stopping = new AbortController();

  let session: InternalSession;
  try {
    session = await joinComponentSession(config, context);
  } catch (error) {
    throw new Error(`component "${config.id}" could not join realm "${config.realm}": ${(error as Error).message}`);
  }

  const runs = async (): Promise<void> => {
    let delayMs = config.restart.initialDelayMs;
    for (;;) {
      const started = Date.now();
      log.info({ program: config.command[0] }, 'stdio program started');
      // The run ends when the node stops, or when the router closes its session (killed through
      // the meta API): the program then starts again with a new one.
      const sessionClosed = new AbortController();
      void session.closed.then(() => sessionClosed.abort());
      const exit = await runLinkedProgram(spec, session, limits, log, metrics, AbortSignal.any([stopping.signal, sessionClosed.signal]));
      session.leave();
      if (stopping.signal.aborted) return;
      // A program that ran a good while is not in a crash loop: back to the shortest pause.
      if (Date.now() - started >= config.restart.maxDelayMs) delayMs = config.restart.initialDelayMs;
      log.warn({ ...describeExit(exit), restartInMs: delayMs }, 'stdio program exited; starting it again');
      restarts.inc();
      session = await pauseAndJoin(delayMs);
      delayMs = Math.min(delayMs * 2, config.restart.maxDelayMs);
      if (stopping.signal.aborted) return;
    }
  };
  /** Waits, then joins a new session, waiting again while joining fails (the realm's role may be gone). */
  const pauseAndJoin = async (delayMs: number): Promise<InternalSession> => {
    for (;;) {
      await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      if (stopping.signal.aborted) return session;
      try {
        return await joinComponentSession(config, context);
      } catch (error) {
        log.error({ error: (error as Error).message, retryInMs: delayMs }, 'the stdio program\'s session could not join; retrying');
      }
    }
  };
  const running = runs();

  return {
    async stop() {
      stopping.abort(new Error('the router is shutting down'));
      await running;
    },
  };
};

function describeExit(exit: ProgramExit): Record<string, unknown> {
  if (exit.error !== undefined) return { error: exit.error };
  return exit.signal === null ? { code: exit.code } : { signal: exit.signal };
}
