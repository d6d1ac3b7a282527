import { jsonText } from '../../../codec/json.js';
import type { BoundCounter } from '../../../metrics/registry.js';
import type { Args, Dict } from '../../../protocol/messages.js';
import { programSecretsMask } from '../../../config/mask-secrets.js';
import { InternalCallError, InternalResult, type InternalSession } from '../../../router/internal-session.js';
import type { Logger } from '../../../router/log.js';
import type { ProgramSpec } from '../process/program-run.js';
import { LineSplitter } from './line-splitter.js';
import { InvalidCommand, readCommand, StdioErrorUri, type CommandId, type StdioCommand } from './stdio-protocol.js';
import { plural } from '../../../protocol/plural.js';
import { signalGroup, spawnGroupLeader } from '../../process-group.js';
import { QuietWarning } from '../../../router/limits/warning-throttle.js';

export interface LinkLimits {
  /** Longest line either way, bytes. */
  maxLineBytes: number;
  /** Lines written to stdin and not yet taken by the OS pipe; also the open invocations and calls. */
  queueLimit: number;
  /** Between SIGTERM and SIGKILL when the program is stopped. */
  killGraceMs: number;
}

export interface StdioMetrics {
  invalidLines: BoundCounter;
  /** Events not written to the program (its stdin queue full, or too long). */
  droppedEvents: BoundCounter;
}

export interface ProgramExit {
  code: number | null;
  signal: string | null;
  /** Why it could not be started, when it could not. */
  error?: string;
}

type Sent = 'sent' | 'busy' | 'too-long';

/**
 * One run of a stdio program tied to one router session: its stdout lines become the session's
 * publish, subscribe, register, call, yield and error; the session's events, invocations and
 * answers become lines on its stdin. Resolves when the program has exited and its pipes closed;
 * invocations it left open fail with junction.error.stdio.program_exited. Aborting `stop` closes
 * its stdin and terminates its process group (SIGTERM, SIGKILL after the grace).
 */
export function runLinkedProgram(
  spec: ProgramSpec,
  session: InternalSession,
  limits: LinkLimits,
  log: Logger,
  metrics: StdioMetrics,
  stop: AbortSignal,
): Promise<ProgramExit> {
  const [executable, ...args] = spec.command;
  // Its own process group, so that stopping it reaches whatever it started.
  const child = spawnGroupLeader(executable!, args, spec);
  const invalid = new QuietWarning(log);
  const dropped = new QuietWarning(log);
  const invocations = new Map<number, { resolve(result: InternalResult): void; reject(error: Error): void }>();
  let nextInvocation = 0;
  let openCalls = 0;
  let queued = 0;
  let exited = false;

  child.stdin.on('error', () => {}); // EPIPE once the program is gone: its exit is reported instead

  /** Writes one message as a JSON line, within the line and queue limits. */
  const send = (message: Dict): Sent => {
    if (exited) return 'busy';
    const line = jsonText(message) + '\n';
    if (Buffer.byteLength(line) - 1 > limits.maxLineBytes) return 'too-long';
    if (queued >= limits.queueLimit) return 'busy';
    queued += 1;
    child.stdin.write(line, () => (queued -= 1));
    return 'sent';
  };
  const answer = (message: Dict): void => {
    const sent = send(message);
    if (sent === 'sent') return;
    // An answer the program asked for could not be written: tell it so, in a line that fits.
    send({ type: 'error', ...(message.id === undefined ? {} : { id: message.id }), error: sent === 'busy' ? StdioErrorUri.busy : StdioErrorUri.tooLong, args: [unsent(sent, limits)] });
  };
  const failure = (command: string, id: CommandId | undefined, error: unknown): void => {
    const wamp = error instanceof InternalCallError ? error : new InternalCallError('wamp.error.runtime_error', [(error as Error).message]);
    answer({ type: 'error', ...(id === undefined ? {} : { id }), command, error: wamp.uri, args: wamp.args, kwargs: wamp.kwargs });
  };
  const refuseLine = (message: string, id?: CommandId): void => {
    metrics.invalidLines.inc();
    invalid.warn({ reason: message }, 'the program wrote a line that is not a command');
    answer({ type: 'error', ...(id === undefined ? {} : { id }), error: StdioErrorUri.invalidCommand, args: [message] });
  };

  const execute = (command: StdioCommand): void => {
    switch (command.type) {
      case 'publish':
        session.publishAcknowledged(command.topic, command.args, command.kwargs, command.options).then(
          (publication) => command.id !== undefined && answer({ type: 'published', id: command.id, publication }),
          (error) => failure('publish', command.id, error),
        );
        return;
      case 'subscribe': {
        const onEvent = (eventArgs: Args, kwargs: Dict, details: Dict & { publication: number }): void => {
          const topic = typeof details.topic === 'string' ? details.topic : command.topic;
          const sent = send({ type: 'event', topic, args: eventArgs, kwargs, publication: details.publication });
          if (sent === 'sent') return;
          metrics.droppedEvents.inc();
          dropped.warn({ topic, reason: unsent(sent, limits) }, 'an event was not written to the program');
        };
        session.subscribe(command.topic, onEvent, command.match === 'exact' ? {} : { match: command.match }).then(
          (subscription) => command.id !== undefined && answer({ type: 'subscribed', id: command.id, subscription }),
          (error) => failure('subscribe', command.id, error),
        );
        return;
      }
      case 'register':
        session.register(command.procedure, (callArgs, kwargs, details, signal) => invoke(command.procedure, callArgs, kwargs, details, signal),
          command.match === 'exact' ? {} : { match: command.match }).then(
          (registration) => command.id !== undefined && answer({ type: 'registered', id: command.id, registration }),
          (error) => failure('register', command.id, error),
        );
        return;
      case 'call':
        if (openCalls >= limits.queueLimit) return failure('call', command.id, new InternalCallError(StdioErrorUri.busy, [`the program has ${plural(limits.queueLimit, 'call')} open already (queue_limit)`]));
        openCalls += 1;
        session.call(command.procedure, command.args, command.kwargs, command.timeout === undefined ? {} : { timeout: command.timeout })
          .then(
            (result) => answer({ type: 'result', ...(command.id === undefined ? {} : { id: command.id }), args: result.args, kwargs: result.kwargs }),
            (error) => failure('call', command.id, error),
          )
          .finally(() => (openCalls -= 1));
        return;
      case 'yield':
      case 'error': {
        const open = invocations.get(command.request);
        if (!open) return refuseLine(`no open invocation ${command.request} (answered already, interrupted, or never sent)`);
        invocations.delete(command.request);
        if (command.type === 'yield') open.resolve(new InternalResult(command.args, command.kwargs));
        else open.reject(new InternalCallError(command.error, command.args, command.kwargs ?? {}));
        return;
      }
    }
  };

  const invoke = (procedure: string, callArgs: Args, kwargs: Dict, details: Dict, signal: AbortSignal): Promise<InternalResult> => {
    if (invocations.size >= limits.queueLimit) {
      return Promise.reject(new InternalCallError(StdioErrorUri.busy, [`the program has ${plural(limits.queueLimit, 'invocation')} open (queue_limit)`]));
    }
    const request = ++nextInvocation;
    const sent = send({ type: 'invocation', request, procedure: typeof details.procedure === 'string' ? details.procedure : procedure, args: callArgs, kwargs });
    if (sent !== 'sent') return Promise.reject(new InternalCallError(sent === 'busy' ? StdioErrorUri.busy : StdioErrorUri.tooLong, [unsent(sent, limits)]));
    return new Promise<InternalResult>((resolve, reject) => {
      invocations.set(request, { resolve, reject });
      signal.addEventListener('abort', () => {
        if (!invocations.delete(request)) return;
        send({ type: 'interrupt', request });
        reject(signal.reason as Error);
      }, { once: true });
    });
  };

  // A program may echo the secrets it was given (an unknown option, its environment): the log must not show them.
  const maskSecrets = programSecretsMask(spec.command, spec.env, spec.secrets);
  const stdout = new LineSplitter(limits.maxLineBytes, (line) => {
    try {
      execute(readCommand(line, maskSecrets));
    } catch (error) {
      if (!(error instanceof InvalidCommand)) throw error;
      refuseLine(error.message, error.id);
    }
  }, (bytes) => refuseLine(`a line of ${bytes} bytes is longer than max_line_bytes (${limits.maxLineBytes})`));
  const stderr = new LineSplitter(limits.maxLineBytes, (line) => log.info({ stderr: maskSecrets(line) }, 'program stderr'),
    (bytes) => log.warn({ bytes }, 'the program wrote a stderr line longer than max_line_bytes; not logged'));
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

  let killTimer: NodeJS.Timeout | undefined;
  const terminate = (): void => {
    child.stdin.end();
    signalGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), limits.killGraceMs);
  };
  if (stop.aborted) terminate();
  else stop.addEventListener('abort', terminate, { once: true });

  return new Promise<ProgramExit>((resolve) => {
    const finish = (exit: ProgramExit): void => {
      if (exited) return;
      exited = true;
      clearTimeout(killTimer);
      stop.removeEventListener('abort', terminate);
      signalGroup(child.pid, 'SIGKILL'); // whatever it left running in its group
      for (const open of invocations.values()) {
        open.reject(new InternalCallError(StdioErrorUri.programExited, ['the program exited before it answered']));
      }
      invocations.clear();
      resolve(exit);
    };
    child.once('error', (error) => finish({ code: null, signal: null, error: error.message }));
    child.once('close', (code, signal) => finish({ code, signal }));
  });
}

function unsent(sent: Exclude<Sent, 'sent'>, limits: LinkLimits): string {
  return sent === 'busy'
    ? `the program is not reading its stdin: ${plural(limits.queueLimit, 'line')} waiting already (queue_limit)`
    : `the message is longer than max_line_bytes (${limits.maxLineBytes})`;
}
