import type { ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import type { CgiLimits } from '../../../config/model.js';
import { programSecretsMask } from '../../../config/mask-secrets.js';
import { StderrTail } from '../../bridge/process/stderr-tail.js';
import { signalGroup, spawnGroupLeader } from '../../process-group.js';
import { sendJson } from '../http-reply.js';
import { BadCgiHeaders, CgiHeadReader, type CgiHead } from './cgi-response.js';

/** One request's script and what it is given. */
export interface CgiRunSpec {
  processor: string;
  /** The script's real file: the processor's argument; its folder is the working directory (as in Crossbar). */
  script: string;
  env: Record<string, string>;
  body: Buffer;
  limits: CgiLimits;
}

/** How a script's request ended, as junction_cgi_requests_total counts it (with the outcomes decided before a script runs). */
export type CgiRunOutcome = 'answered' | 'bad_headers' | 'bad_length' | 'failed' | 'timeout' | 'cut_off' | 'client_gone' | 'stopped';

export interface CgiRunEnd {
  outcome: CgiRunOutcome;
  /** Why the script's answer failed, as the client was told. */
  message?: string;
  /** The exit code, or the signal that ended the script; undefined when it could not be started. */
  exit?: number | string;
  /** The end of the script's stderr, its secrets (and the client's credentials) masked. */
  stderr: string;
}

/** Between SIGTERM and SIGKILL to a script's process group, and how long a finished script's pipes may stay open. */
const killGraceMs = 1_000;

/**
 * Runs one CGI script: `processor script` in the script's folder, leading a process group of its
 * own, the body on stdin, the headers it writes parsed and its body streamed to the client (paused
 * while the client is slow). Its process group is killed when it runs past the timeout (504, or
 * the answer is cut off once begun), when the client leaves, or when `stop` is aborted (503).
 * A script that cannot be started, or that ends or writes bad headers before its answer, gets
 * the client a 502 saying why. Resolves once the script is gone and its pipes are closed.
 */
export function runCgiScript(spec: CgiRunSpec, response: ServerResponse, stop: AbortSignal): Promise<CgiRunEnd> {
  return new Promise((resolve) => {
    const child = spawnGroupLeader(spec.processor, [spec.script], { cwd: dirname(spec.script), env: spec.env });
    // A script may echo its environment (the client's Authorization and Cookie among it).
    const stderr = new StderrTail(programSecretsMask([spec.processor, spec.script], spec.env));
    const reader = new CgiHeadReader(spec.limits.maxResponseHeaderBytes);
    let headWritten = false;
    /** HEAD, 204 and 304 answers have no body: what the script writes after its headers is read and dropped. */
    let bodyAllowed = true;
    /**
     * Bytes of body the script's Content-Length still promises (undefined without one: the answer
     * is then chunked). Node sends whatever is written: bytes past it would reach the client as
     * the start of its next answer on the connection, and an answer short of it would hang there.
     */
    let promised: number | undefined;
    /** The first reason the run ended early; later ones change nothing. */
    let ended: { outcome: CgiRunOutcome; message?: string } | undefined;
    const timers: NodeJS.Timeout[] = [];

    const kill = (): void => {
      signalGroup(child.pid, 'SIGTERM');
      timers.push(setTimeout(() => signalGroup(child.pid, 'SIGKILL'), killGraceMs));
    };
    /** Ends the run early: the client gets `status` with the message if nothing was sent yet, else the answer is cut off. */
    const endEarly = (outcome: CgiRunOutcome, status: number, answer: { error: string; message: string }): void => {
      if (ended) return;
      ended = { outcome, message: answer.message };
      if (!response.headersSent && !response.destroyed) sendJson(response, status, answer);
      else response.destroy();
      kill();
    };
    const writeHead = (head: CgiHead): void => {
      headWritten = true;
      bodyAllowed = response.req.method !== 'HEAD' && head.status !== 204 && head.status !== 304;
      const length = head.headers['content-length'];
      promised = bodyAllowed && length !== undefined ? Number(length) : undefined;
      if (head.reason === undefined) response.writeHead(head.status, head.headers);
      else response.writeHead(head.status, head.reason, head.headers);
    };
    /** The script broke its Content-Length: the connection is closed, so the client sees the answer is not whole. */
    const breakLength = (message: string): void => {
      ended ??= { outcome: 'bad_length', message };
      response.destroy();
      kill();
    };
    const onStop = (): void => endEarly('stopped', 503, { error: 'cgi_stopped', message: 'the path stopped running scripts (a reload rebuilt it, or the router is stopping); try again' });

    child.on('error', (error) => {
      // spawn failed (no such processor, not executable): there is no process to wait for
      if (child.pid !== undefined) return;
      endEarly('failed', 502, { error: 'cgi_failed', message: `the processor ${spec.processor} could not be started: ${error.message}` });
      stop.removeEventListener('abort', onStop);
      resolve({ ...ended!, stderr: '' });
    });
    child.stdin.on('error', () => {}); // EPIPE: the script did not read its input; its exit tells the rest
    child.stdin.end(spec.body);
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdout.on('data', (chunk: Buffer) => {
      if (ended || response.destroyed) return;
      let body = chunk;
      if (!headWritten) {
        try {
          const read = reader.push(chunk);
          if (read === undefined) return;
          writeHead(read.head);
          body = read.body;
        } catch (error) {
          // BadCgiHeaders, or a header Node refuses to send (ERR_INVALID_CHAR and the like)
          const message = error instanceof BadCgiHeaders ? error.message : `the script's headers cannot be sent: ${(error as Error).message}`;
          return endEarly('bad_headers', 502, { error: 'bad_cgi_headers', message });
        }
      }
      if (promised !== undefined) {
        if (body.length > promised) return breakLength('the script wrote more than the Content-Length it gave; the answer was cut off');
        promised -= body.length;
      }
      if (body.length > 0 && bodyAllowed && !response.write(body)) {
        child.stdout.pause();
        response.once('drain', () => child.stdout.resume());
      }
    });
    /** The script's output ended after its headers: the answer is whole unless it is short of its Content-Length. */
    const endAnswer = (): void => {
      if (ended || response.writableEnded) return;
      if (promised !== undefined && promised > 0) breakLength(`the script ended its answer ${promised} bytes short of the Content-Length it gave; the answer was cut off`);
      else response.end();
    };
    child.stdout.on('end', () => {
      if (headWritten) endAnswer();
    });
    response.on('close', () => {
      if (ended || response.writableFinished) return;
      ended = { outcome: 'client_gone' };
      kill();
    });
    const deadline = setTimeout(() => {
      if (headWritten) {
        ended ??= { outcome: 'cut_off', message: `the script was still writing its answer after ${spec.limits.timeoutMs} ms (options.timeout); it was stopped and the answer cut off` };
        response.destroy();
        kill();
      } else endEarly('timeout', 504, { error: 'cgi_timeout', message: `the script did not answer within ${spec.limits.timeoutMs} ms (options.timeout); it was stopped` });
    }, spec.limits.timeoutMs);
    timers.push(deadline);
    stop.addEventListener('abort', onStop, { once: true });
    if (stop.aborted) onStop();

    child.on('exit', () => {
      clearTimeout(deadline);
      stop.removeEventListener('abort', onStop);
      // What the script left running in its group dies with it; a grandchild that escaped the
      // group and still holds the pipes cannot keep the answer open past the grace.
      signalGroup(child.pid, 'SIGKILL');
      timers.push(setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, killGraceMs));
    });
    child.on('close', (code, signal) => {
      for (const timer of timers) clearTimeout(timer);
      const exit = code ?? signal ?? undefined;
      if (!headWritten) {
        const how = code === 0 ? 'ended' : code !== null ? `exited with code ${code}` : `was ended by ${signal ?? 'a signal'}`;
        const message = reader.started ? `the script ${how} before the empty line that ends its headers` : `the script ${how} without writing an answer`;
        endEarly('failed', 502, { error: 'cgi_failed', message });
      } else endAnswer();
      resolve({ ...(ended ?? { outcome: 'answered' }), ...(exit === undefined ? {} : { exit }), stderr: stderr.text() });
    });
  });
}
