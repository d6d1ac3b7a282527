import type { Invocation } from '../protocol/messages.js';
import { WampError } from './errors.js';
import type { Link } from './link.js';
import type { Registration } from './registration.js';
import { Result } from './result.js';
import type { Args, InvocationDetails, Kwargs } from './types.js';
import { ERROR, INVOCATION, YIELD, CANCELED_URI } from './wire.js';

/** Signals a running invocation's endpoint (INTERRUPT, or the connection lost); the first reason stays. */
export type Interrupt = (reason: unknown) => void;

function toResult(value: unknown): Result {
  if (value instanceof Result) return value;
  return value === undefined ? new Result() : new Result([value]);
}

function isAsyncIterator(value: unknown): value is AsyncIterator<unknown> {
  return (
    typeof value === 'object' && value !== null && Symbol.asyncIterator in value && typeof (value as { next?: unknown }).next === 'function'
  );
}

/** Why the endpoint failed, as the ERROR its caller receives. */
function errorReply(error: unknown, interrupted: boolean): WampError {
  if (interrupted) return new WampError(CANCELED_URI, ['the call was canceled']);
  if (error instanceof WampError) return error;
  return new WampError('wamp.error.runtime_error', [error instanceof Error ? error.message : String(error)]);
}

/**
 * Runs one INVOCATION: calls the endpoint, streams its progressive results, and answers with
 * YIELD or ERROR on the link it came on. `running` maps the request to its Interrupt so that
 * INTERRUPT (or a lost connection) can signal the endpoint.
 */
export function invoke(link: Link, message: Invocation, registration: Registration, running: Map<number, Interrupt>): void {
  // The AbortController is made only when the endpoint reads `details.signal`: many never do, and
  // one per INVOCATION was a measurable share of a router link's work (bench/RESULTS.md). An
  // interruption that comes first is kept, and the signal made afterwards is already aborted.
  let controller: AbortController | undefined;
  let interrupted: { reason: unknown } | undefined;
  const { request } = message;
  running.set(request, (reason) => {
    interrupted ??= { reason };
    controller?.abort(interrupted.reason);
  });
  const raw = message.details;
  const receiveProgress = raw.receive_progress === true;
  let settled = false;

  const sendYield = (result: Result, progress: boolean): void => {
    const options = progress ? { progress: true } : {};
    link.send({ type: YIELD, request, options, args: result.args, kwargs: result.kwargs });
  };
  // Caller disclosure (caller, caller_authid, caller_authrole) comes as the router sent it.
  const details: InvocationDetails = {
    ...(raw as Pick<InvocationDetails, 'caller' | 'caller_authid' | 'caller_authrole'>),
    procedure: typeof raw.procedure === 'string' ? raw.procedure : registration.procedure,
    receive_progress: receiveProgress,
    get signal() {
      controller ??= new AbortController();
      if (interrupted) controller.abort(interrupted.reason);
      return controller.signal;
    },
    progress(args?: Args, kwargs?: Kwargs) {
      if (receiveProgress && !settled && !interrupted) sendYield(new Result(args, kwargs), true);
    },
    raw,
  };

  const finish = (outcome: Result | WampError): void => {
    settled = true;
    running.delete(request);
    if (outcome instanceof Result) {
      sendYield(outcome, false);
    } else {
      link.send({ type: ERROR, requestType: INVOCATION, request, details: {}, error: outcome.uri, args: outcome.args, kwargs: outcome.kwargs });
    }
  };

  run(registration, message, details).then(
    (result) => finish(interrupted ? errorReply(undefined, true) : result),
    (error: unknown) => finish(errorReply(error, !!interrupted)),
  );
}

async function run(registration: Registration, message: Invocation, details: InvocationDetails): Promise<Result> {
  const returned = await registration.endpoint(message.args ?? [], message.kwargs ?? {}, details);
  if (!isAsyncIterator(returned)) return toResult(returned);
  // An async generator: each yield is a progressive result, the return value the final one.
  for (;;) {
    const step = await returned.next();
    if (step.done) return toResult(step.value);
    if (details.signal.aborted) {
      await returned.return?.();
      throw details.signal.reason;
    }
    const partial = toResult(step.value);
    details.progress(partial.args, partial.kwargs);
  }
}
