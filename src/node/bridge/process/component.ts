import { jsonText } from '../../../codec/json.js';
import type { ProcessComponentConfig } from '../../../config/model.js';
import type { Args, Dict } from '../../../protocol/messages.js';
import { InternalCallError, InternalResult, type InternalSession } from '../../../router/internal-session.js';
import { UnsupportedConfigError } from '../../auth-wiring.js';
import { joinComponentSession } from '../component-session.js';
import type { ComponentFactory } from '../component-types.js';
import { ProcessErrorUri } from './errors.js';
import { checkProgram, programEnvironment } from './program-environment.js';
import { readProgramOutput } from './program-output.js';
import { runProgram, type RunOutcome } from './program-run.js';
import { QueueFullError, RunSlots } from './run-slots.js';
import { QuietWarning } from '../../../router/limits/warning-throttle.js';

/** Between SIGTERM and SIGKILL when a run is terminated. */
const killGraceMs = 2_000;

/**
 * Junction's `process` component: registers `procedure`; each call runs `command` once (no
 * shell), with {"args", "kwargs", "details"} as JSON on stdin, and answers with what the program
 * printed on stdout (see program-output.ts), or a WAMP error with the end of its stderr.
 */
export const processComponent: ComponentFactory<ProcessComponentConfig> = async (config, context) => {
  const env = programEnvironment(config.env);
  try {
    await checkProgram(config.command, config.cwd, env);
  } catch (error) {
    throw new UnsupportedConfigError(`component "${config.id}": ${(error as Error).message}`);
  }
  const spec = { command: config.command, cwd: config.cwd, env };
  const limits = { timeoutMs: config.timeoutMs, maxOutputBytes: config.maxOutputBytes, killGraceMs };
  const slots = new RunSlots(config.concurrency, config.queueLimit);
  // Callers can fill the line faster than programs run: each refusal counted, warned at most every 10 s.
  const busyRefusals = context.metrics.counter('junction_process_busy_total',
    'Calls of a process component refused as busy (concurrency runs going and queue_limit calls waiting), by component').bind({ component: config.id });
  const busyWarning = new QuietWarning(context.log);
  const stopping = new AbortController();
  const runs = new Set<Promise<RunOutcome>>();

  const serve = async (args: Args, kwargs: Dict, details: Dict, cancelled: AbortSignal): Promise<InternalResult> => {
    // A run ends early when the node stops or the caller cancels (the dealer's INTERRUPT).
    const ended = AbortSignal.any([stopping.signal, cancelled]);
    try {
      await slots.acquire(ended);
    } catch (error) {
      if (cancelled.aborted) throw cancelled.reason;
      if (!(error instanceof QueueFullError)) throw shuttingDown();
      busyRefusals.inc();
      busyWarning.warn({ procedure: config.procedure, concurrency: config.concurrency, queueLimit: config.queueLimit },
        'a call of a program-backed procedure was refused as busy (junction.error.process.busy): raise concurrency or queue_limit if the calls are legitimate');
      throw new InternalCallError(ProcessErrorUri.busy, [`"${config.procedure}" is busy: ${error.message}; try again later`], { concurrency: config.concurrency, queue_limit: config.queueLimit });
    }
    const started = Date.now();
    let outcome: RunOutcome;
    try {
      const run = runProgram(spec, programInput(config.procedure, args, kwargs, details), limits, ended);
      runs.add(run);
      outcome = await run;
      runs.delete(run);
    } finally {
      slots.release();
    }
    if (cancelled.aborted) throw cancelled.reason; // the caller already has its answer
    const ms = Date.now() - started;
    if (outcome.kind === 'exited' && outcome.code === 0) {
      context.log.debug({ procedure: config.procedure, ms }, 'program answered');
      const result = readProgramOutput(outcome.stdout);
      return new InternalResult(result.args, result.kwargs);
    }
    const failure = callError(outcome, config); // its stderr is masked (runProgram)
    context.log.warn({ procedure: config.procedure, error: failure.uri, reason: failure.args[0], ms }, 'program run failed');
    throw failure;
  };

  let session: InternalSession | undefined;
  try {
    session = await joinComponentSession(config, context);
    await session.register(config.procedure, serve);
  } catch (error) {
    session?.leave();
    const reason = error instanceof InternalCallError ? `${error.uri} ${String(error.args[0] ?? '')}` : (error as Error).message;
    throw new Error(`component "${config.id}": could not register "${config.procedure}" in realm "${config.realm}": ${reason}`);
  }
  const joined = session;
  context.log.info({ procedure: config.procedure, program: config.command[0] }, 'program-backed procedure registered');
  return {
    async stop() {
      stopping.abort(new Error('the router is shutting down'));
      slots.rejectWaiting(new Error('the router is shutting down'));
      joined.leave();
      await Promise.all(runs); // every program is gone (SIGKILL follows SIGTERM after the grace)
    },
  };
};

/** What the program reads on stdin. Caller details appear when the caller is disclosed. */
export function programInput(procedure: string, args: Args, kwargs: Dict, details: Dict): string {
  const about: Dict = { procedure: typeof details.procedure === 'string' ? details.procedure : procedure };
  for (const key of ['caller', 'caller_authid', 'caller_authrole'] as const) {
    if (details[key] !== undefined) about[key] = details[key];
  }
  return jsonText({ args, kwargs, details: about });
}

function callError(outcome: Exclude<RunOutcome, { kind: 'exited'; code: 0 }>, config: ProcessComponentConfig): InternalCallError {
  const withStderr = (message: string, stderr: string) => (stderr === '' ? message : `${message}; stderr:\n${stderr}`);
  switch (outcome.kind) {
    case 'exited':
      return new InternalCallError(ProcessErrorUri.failed, [withStderr(`the program exited with code ${outcome.code}`, outcome.stderr)], { exit_code: outcome.code, signal: null, stderr: outcome.stderr });
    case 'killed-by-signal':
      return new InternalCallError(ProcessErrorUri.failed, [withStderr(`the program was killed by ${outcome.signal}`, outcome.stderr)], { exit_code: null, signal: outcome.signal, stderr: outcome.stderr });
    case 'not-started':
      return new InternalCallError(ProcessErrorUri.failed, [`the program could not be started: ${outcome.message}`], { exit_code: null, signal: null, stderr: '' });
    case 'timeout':
      return new InternalCallError(ProcessErrorUri.timeout, [withStderr(`the program did not finish within ${config.timeoutMs} ms and was killed`, outcome.stderr)], { timeout_ms: config.timeoutMs, stderr: outcome.stderr });
    case 'output-too-large':
      return new InternalCallError(ProcessErrorUri.outputTooLarge, [`the program wrote more than ${config.maxOutputBytes} bytes to stdout and was killed`], { max_output_bytes: config.maxOutputBytes, stderr: outcome.stderr });
    case 'aborted':
      return shuttingDown();
  }
}

function shuttingDown(): InternalCallError {
  return new InternalCallError(ProcessErrorUri.canceled, ['the router is shutting down; the program was stopped']);
}
