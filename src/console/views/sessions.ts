/**
 * Who is connected: every session of the realm with its identity, transport and what it subscribed
 * and registered; kill with a reason. Six columns (identity and connection two lines each), so that
 * a 1280 px screen shows a row whole.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Session } from '../../client/session.js';
import { useLoad } from '../live.js';
import { visible } from '../shown-text.js';
import { transportText, type SessionTransport } from '../transport-text.js';
import { clearingOutcome, Cut, ErrorText, formatTime, TableFrame, useFocusReturn } from '../ui.js';
import { listing, NodeBar, NodeCell, NodeHeader, Truncated, useNodeFilter } from './listing.js';

interface SessionRow {
  session: number;
  authid: string;
  authrole: string;
  authmethod: string;
  transport: SessionTransport & { peer: string };
  joined_at: string;
  /** The first URIs (the router lists 50 at most)... */
  subscriptions: string[];
  /** ...of this many. */
  subscription_count: number;
  registrations: string[];
  registration_count: number;
}

/** The URIs listed, and how many more the session has. */
function someOf(uris: string[], count: number): string {
  const more = count - uris.length;
  return `${visible(uris.join(', '))}${more > 0 ? ` … and ${more} more` : ''}`;
}

export function Sessions({ session, changes }: { session: Session; changes: number }) {
  const sessions = useLoad(() => listing<SessionRow>(session, 'junction.session.list'), changes);
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('wamp.close.killed');
  const [message, setMessage] = useState('');
  const [outcome, setOutcome] = useState<{ ok: string } | { error: unknown } | undefined>(undefined);
  const clearOutcome = () => setOutcome(undefined);
  const editTarget = clearingOutcome(setTarget, clearOutcome);
  const editReason = clearingOutcome(setReason, clearOutcome);
  const editMessage = clearingOutcome(setMessage, clearOutcome);
  const focus = useFocusReturn();

  const kill = async (event: Event) => {
    event.preventDefault();
    // The router answers its own ID with no_such_session (WAMP: kill closes other sessions only): say what is meant.
    if (Number(target) === session.id) return setOutcome({ error: new Error(`Session ${target} is this console's own: Kill closes other sessions; Sign out ends this one.`) });
    setOutcome(undefined);
    try {
      await session.call('wamp.session.kill', [Number(target)], { reason, ...(message ? { message } : {}) });
      setOutcome({ ok: `Session ${target} was closed with ${reason}.` });
    } catch (error) {
      setOutcome({ error });
    }
  };

  // Beside the ID rather than in a last column: a laptop's screen shows it without scrolling the table sideways.
  const killOrOwn = (id: number) => id === session.id ? html`<span class="tag">this console</span>`
    : html`<button type="button" class="small" aria-label=${`Kill session ${id}`}
        onClick=${() => { editTarget(String(id)); focus.sent(); document.getElementById('kill-reason')?.focus(); }}>Kill…</button>`;
  const { node, setNode, rows } = useNodeFilter(sessions.data);
  return html`<section aria-labelledby="sessions-title">
    <h2 id="sessions-title">Sessions <span class="count">${sessions.data?.total ?? ''}</span></h2>
    <${ErrorText} error=${sessions.error} />
    <${NodeBar} id="sessions-node" list=${sessions.data} node=${node} setNode=${setNode} />
    <${TableFrame} label="Sessions table">
      <table aria-label="Sessions">
        <thead><tr>
          <th scope="col">ID</th><${NodeHeader} list=${sessions.data} /><th scope="col">Auth ID · role · method</th>
          <th scope="col">Transport · remote address</th><th scope="col">Joined</th>
          <th scope="col">Subscriptions</th><th scope="col">Registrations</th>
        </tr></thead>
        <tbody>
          ${rows.map((row) => html`<tr key=${row.session} data-session=${row.session}>
            <td>${row.session} ${killOrOwn(row.session)}</td><${NodeCell} list=${sessions.data} row=${row} />
            <td><${Cut} text=${visible(row.authid)} /><${Cut} text=${`${visible(row.authrole)} · ${row.authmethod}`} /></td>
            <td><${Cut} text=${transportText(row.transport)} /><${Cut} text=${row.transport.peer} /></td>
            <td class="list">${formatTime(row.joined_at)}</td>
            <td class="wrap">${someOf(row.subscriptions, row.subscription_count)}</td><td class="wrap">${someOf(row.registrations, row.registration_count)}</td>
          </tr>`)}
        </tbody>
      </table>
    <//>
    ${rows.length === 0 && !sessions.loading ? html`<p class="note">No sessions.</p>` : null}
    <${Truncated} list=${sessions.data} />
    <form class="panel" onSubmit=${kill} onKeyDown=${focus.onKeyDown} aria-labelledby="kill-title">
      <h3 id="kill-title">Kill a session</h3>
      <div class="row">
        <div class="field"><label for="kill-session">Session ID</label>
          <input id="kill-session" inputmode="numeric" required pattern="[0-9]+" value=${target} onInput=${(e: Event) => editTarget((e.target as HTMLInputElement).value)} /></div>
        <div class="field"><label for="kill-reason">Reason</label>
          <input id="kill-reason" required value=${reason} onInput=${(e: Event) => editReason((e.target as HTMLInputElement).value)} /></div>
        <div class="field"><label for="kill-message">Message</label>
          <input id="kill-message" value=${message} onInput=${(e: Event) => editMessage((e.target as HTMLInputElement).value)} /></div>
      </div>
      <button type="submit" class="danger">Kill</button>
      ${outcome && 'ok' in outcome ? html`<p class="ok" role="status">${outcome.ok}</p>` : null}
      <${ErrorText} error=${outcome && 'error' in outcome ? outcome.error : undefined} />
    </form>
  </section>`;
}
