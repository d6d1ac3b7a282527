/** Procedures: the realm's registrations, and a call tester with progressive results, timeout and cancel. */
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { WampError } from '../../client/errors.js';
import type { Session } from '../../client/session.js';
import { readJsonField } from '../json-field.js';
import { tooLargeToSend } from '../message-size.js';
import { useLoad } from '../live.js';
import { cutText, shownJson, visible } from '../shown-text.js';
import { ErrorText, JsonField, TableFrame, useFocusReturn } from '../ui.js';
import { listing, NodeBar, NodeCell, NodeHeader, rowKey, Truncated, useNodeFilter } from './listing.js';

interface RegistrationRow {
  id: number;
  uri: string;
  match: string;
  invoke: string;
  callees: number[];
}

/** Progressive results a call keeps on screen (the count says how many came)... */
const PROGRESS_SHOWN = 50;
/** ...each as this many characters of JSON at most. */
export const PROGRESS_LINE_CHARS = 8192;

interface CallState {
  procedure: string;
  startedAt: number;
  /** Each progressive result's time and JSON line, written once as it comes. */
  progress: { ms: number; line: string }[];
  progressCount: number;
  /** `ms` undefined: refused before it was sent. */
  done?: { ms?: number; json?: string; error?: unknown };
}

export function Procedures({ session, changes, maxMessageBytes }: { session: Session; changes: number; maxMessageBytes: number }) {
  const registrations = useLoad(() => listing<RegistrationRow>(session, 'junction.registration.list'), changes);
  const [procedure, setProcedure] = useState('');
  const focus = useFocusReturn();
  const { node, setNode, rows } = useNodeFilter(registrations.data);
  return html`<section aria-labelledby="procedures-title">
    <h2 id="procedures-title">Procedures <span class="count">${registrations.data?.total ?? ''}</span></h2>
    <${ErrorText} error=${registrations.error} />
    <${NodeBar} id="procedures-node" list=${registrations.data} node=${node} setNode=${setNode} />
    <${TableFrame} label="Registrations table">
      <table aria-label="Registrations">
        <thead><tr><th scope="col">Procedure</th><${NodeHeader} list=${registrations.data} /><th scope="col">Match</th><th scope="col">Invoke</th><th scope="col">Callees</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          ${rows.map((row) => html`<tr key=${rowKey(row, row.id)}>
            <td class="wrap">${visible(row.uri)}</td><${NodeCell} list=${registrations.data} row=${row} /><td>${row.match}</td><td>${row.invoke}</td><td class="list">${row.callees.join(', ')}</td>
            <td><button type="button" class="small" aria-label=${`Try ${row.uri}`} onClick=${() => { setProcedure(row.uri); focus.sent(); document.getElementById('call-args')?.focus(); }}>Try</button></td>
          </tr>`)}
        </tbody>
      </table>
    <//>
    ${rows.length === 0 && !registrations.loading ? html`<p class="note">No registrations.</p>` : null}
    <${Truncated} list=${registrations.data} />
    <${CallTester} session=${session} procedure=${procedure} setProcedure=${setProcedure} maxMessageBytes=${maxMessageBytes} onKeyDown=${focus.onKeyDown} />
  </section>`;
}

interface CallTesterProps {
  session: Session;
  procedure: string;
  setProcedure(value: string): void;
  maxMessageBytes: number;
  /** Escape in the form: back to the Try button that filled it. */
  onKeyDown(event: KeyboardEvent): void;
}

function CallTester({ session, procedure, setProcedure, maxMessageBytes, onKeyDown }: CallTesterProps) {
  const [args, setArgs] = useState('');
  const [kwargs, setKwargs] = useState('');
  const [timeout, setTimeoutMs] = useState('');
  const [receiveProgress, setReceiveProgress] = useState(false);
  const [call, setCall] = useState<CallState | undefined>(undefined);
  const abort = useRef<AbortController | undefined>(undefined);
  const parsedArgs = readJsonField(args, 'list');
  const parsedKwargs = readJsonField(kwargs, 'dict');
  const timeoutValid = timeout === '' || (/^\d+$/.test(timeout) && Number(timeout) > 0);
  const running = call !== undefined && call.done === undefined;

  const start = async (event: Event) => {
    event.preventDefault();
    if (!parsedArgs.ok || !parsedKwargs.ok || !timeoutValid) return;
    const args = (parsedArgs.value as unknown[] | undefined) ?? [];
    const kwargs = (parsedKwargs.value as Record<string, unknown> | undefined) ?? {};
    const startedAt = performance.now();
    const state: CallState = { procedure, startedAt, progress: [], progressCount: 0 };
    const wireOptions = { ...(timeout ? { timeout: Number(timeout) } : {}), ...(receiveProgress ? { receive_progress: true } : {}) };
    const tooLarge = tooLargeToSend({ kind: 'call', uri: procedure, options: wireOptions, args, kwargs }, maxMessageBytes);
    if (tooLarge) return setCall({ ...state, done: { error: new Error(tooLarge) } });
    const controller = new AbortController();
    abort.current = controller;
    const elapsed = () => Math.round(performance.now() - startedAt);
    setCall({ ...state });
    try {
      const result = await session.call(procedure, args, kwargs, {
        signal: controller.signal,
        ...(timeout ? { timeout: Number(timeout) } : {}),
        ...(receiveProgress ? {
          onProgress: (progress) => {
            state.progressCount++;
            state.progress = [...state.progress, { ms: elapsed(), line: progressLine(progress.args, progress.kwargs) }].slice(-PROGRESS_SHOWN);
            setCall({ ...state });
          },
        } : {}),
      });
      setCall({ ...state, done: { ms: elapsed(), json: shownJson(resultShown(result), 2) } });
    } catch (error) {
      setCall({ ...state, done: { ms: elapsed(), error } });
    } finally {
      abort.current = undefined;
    }
  };

  return html`<form class="panel" onSubmit=${start} onKeyDown=${onKeyDown} aria-labelledby="call-title">
    <h3 id="call-title">Call tester</h3>
    <div class="field"><label for="call-procedure">Procedure</label>
      <input id="call-procedure" required placeholder="com.example.add" value=${procedure} onInput=${(e: Event) => setProcedure((e.target as HTMLInputElement).value)} /></div>
    <${JsonField} id="call-args" label="Arguments" kind="list" value=${args} placeholder="[2, 3]" onInput=${setArgs} />
    <${JsonField} id="call-kwargs" label="Keyword arguments" kind="dict" value=${kwargs} placeholder="{}" onInput=${setKwargs} />
    <div class="row">
      <div class="field"><label for="call-timeout">Timeout (ms)</label>
        <input id="call-timeout" inputmode="numeric" placeholder="none" value=${timeout} aria-invalid=${timeoutValid ? 'false' : 'true'}
          onInput=${(e: Event) => setTimeoutMs((e.target as HTMLInputElement).value)} />
        ${timeoutValid ? null : html`<p class="field-error" role="alert">Timeout: a whole number of milliseconds above 0</p>`}</div>
      <label class="check"><input type="checkbox" checked=${receiveProgress} onChange=${() => setReceiveProgress(!receiveProgress)} /> Receive progress</label>
    </div>
    <div class="buttons">
      <button type="submit" disabled=${!parsedArgs.ok || !parsedKwargs.ok || !timeoutValid || running}>Call</button>
      <button type="button" disabled=${!running} onClick=${() => abort.current?.abort(new WampError('wamp.error.canceled', ['cancelled from the console (CANCEL sent, mode kill)']))}>Cancel</button>
    </div>
    ${call ? html`<div class="outcome" role="region" aria-label="Call outcome">
      ${call.progressCount > 0 ? html`<p>${call.progressCount} progressive result(s)${call.progressCount > call.progress.length ? ` (last ${call.progress.length} shown)` : ''}:</p>
        <ol class="events" tabindex="0" aria-label="Progressive results">${call.progress.map((item, index) => html`<li key=${index}><span class="ms">+${item.ms} ms</span> ${item.line}</li>`)}</ol>` : null}
      ${call.done === undefined ? html`<p role="status">Calling ${call.procedure}…</p>`
        : call.done.error !== undefined ? html`<div><p class="note">${call.done.ms === undefined ? 'Not sent' : `Failed after ${call.done.ms} ms`}</p><${ErrorText} error=${call.done.error} /></div>`
        : html`<div data-call-result><p class="ok" role="status">Result after ${call.done.ms} ms</p><pre class="json" tabindex="0">${call.done.json}</pre></div>`}
    </div>` : null}
  </form>`;
}

/** A progressive result on one line: its arguments, then its keyword arguments if any. */
function progressLine(args: unknown[], kwargs: Record<string, unknown>): string {
  return cutText(`${shownJson(args, undefined, Infinity)}${Object.keys(kwargs).length ? ` ${shownJson(kwargs, undefined, Infinity)}` : ''}`, PROGRESS_LINE_CHARS);
}

/** A plain answer shows as its single value (5), a richer one as {args, kwargs}. */
function resultShown(result: { args: unknown[]; kwargs: Record<string, unknown> }): unknown {
  if (Object.keys(result.kwargs).length === 0 && result.args.length === 1) return result.args[0];
  return Object.keys(result.kwargs).length === 0 ? result.args : result;
}
