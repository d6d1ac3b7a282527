/** The forwarders of the realm: queue depth per URL, dead letters, retry (junction.forwarder.<id>.*). */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Session } from '../../client/session.js';
import { useLoad } from '../live.js';
import { shownJson, visible } from '../shown-text.js';
import { ErrorText, formatTime, TableFrame } from '../ui.js';
import type { NodeStats } from './overview.js';

/** Dead letters a panel lists: the oldest (the procedure's order). */
export const DEAD_LETTERS_SHOWN = 20;
/** Forwarder status is read this often while the view is open. */
const STATUS_EVERY_MS = 2000;

interface ForwarderStatus {
  pending: number;
  dead_letters: number;
  truncated: boolean;
  queues: { url: string; topic: string; pending: number; oldest_age_ms: number; head_attempts: number; next_attempt_in_ms: number | null; last_error?: string }[];
}

/** A dead letter as junction.forwarder.<id>.dead_letters lists it, with its JSON as shown. */
interface DeadLetter {
  id: number;
  url: string;
  dead_at: string;
  last_error: string;
  json: string;
}

export function Forwarders({ session }: { session: Session }) {
  const stats = useLoad(async () => (await session.call('junction.node.stats')).args[0] as NodeStats, session);
  const ids = stats.data?.forwarders ?? [];
  return html`<section aria-labelledby="forwarder-title">
    <h2 id="forwarder-title">Forwarder</h2>
    <${ErrorText} error=${stats.error} />
    ${stats.data && ids.length === 0 ? html`<p class="note">No forwarder component delivers this realm's events.</p>` : null}
    ${ids.map((id) => html`<${Forwarder} key=${id} session=${session} id=${id} />`)}
  </section>`;
}

function Forwarder({ session, id }: { session: Session; id: string }) {
  const base = `junction.forwarder.${id}`;
  const status = useLoad(async () => (await session.call(`${base}.status`)).args[0] as ForwarderStatus, id, STATUS_EVERY_MS);
  const [letters, setLetters] = useState<{ list?: DeadLetter[]; note?: string; error?: unknown } | undefined>(undefined);
  const [retry, setRetry] = useState<{ ok: string } | { error: unknown } | undefined>(undefined);
  const showLetters = async () => {
    try {
      const list = (await session.call(`${base}.dead_letters`, [], { limit: DEAD_LETTERS_SHOWN })).args[0] as Omit<DeadLetter, 'json'>[];
      const total = status.data?.dead_letters ?? 0;
      // Written out once here, not at every status redraw: a letter holds an event of up to 1 MiB.
      setLetters({
        list: list.map((letter) => ({ ...letter, json: shownJson(letter, 2) })),
        ...(total > list.length ? { note: `The oldest ${list.length} of ${total} dead letters.` } : {}),
      });
    } catch (error) {
      setLetters({ error });
    }
  };
  const retryAll = async () => {
    try {
      const answer = (await session.call(`${base}.retry_dead_letters`)).args[0] as { retried: number };
      setRetry({ ok: `${answer.retried} dead letter(s) back in the outbox.` });
      status.reload();
    } catch (error) {
      setRetry({ error });
    }
  };
  const data = status.data;
  return html`<div class="panel" role="region" aria-label=${`Forwarder ${id}`}>
    <h3>${id}</h3>
    <${ErrorText} error=${status.error} />
    ${data ? html`<p>${data.pending} pending · ${data.dead_letters} dead letter(s)</p>
      <${TableFrame} label=${`Queues of ${id} table`}><table aria-label=${`Queues of ${id}`}>
        <thead><tr><th scope="col">URL</th><th scope="col">Topic</th><th scope="col">Pending</th><th scope="col">Oldest (s)</th><th scope="col">Attempts</th><th scope="col">Last error</th></tr></thead>
        <tbody>${data.queues.map((queue) => html`<tr key=${queue.url + queue.topic}>
          <td class="wrap">${visible(queue.url)}</td><td class="wrap">${visible(queue.topic)}</td><td>${queue.pending}</td><td>${Math.round(queue.oldest_age_ms / 1000)}</td><td>${queue.head_attempts}</td><td class="wrap">${visible(queue.last_error ?? '')}</td></tr>`)}</tbody>
      </table><//>` : null}
    <div class="buttons">
      <button type="button" onClick=${showLetters}>Show dead letters</button>
      <button type="button" onClick=${retryAll}>Retry dead letters</button>
    </div>
    ${retry && 'ok' in retry ? html`<p class="ok" role="status">${retry.ok}</p>` : null}
    <${ErrorText} error=${retry && 'error' in retry ? retry.error : undefined} />
    ${letters ? html`<${ErrorText} error=${letters.error} />${letters.list?.length === 0 ? html`<p class="note" role="status">No dead letters.</p>` : null}${letters.note ? html`<p class="note">${letters.note}</p>` : null}${letters.list?.length ? html`<ol class="events" tabindex="0" aria-label="Dead letters">${letters.list.map((letter) =>
      html`<li key=${letter.id}>#${letter.id} ${visible(letter.url)} · ${formatTime(letter.dead_at)} · ${visible(letter.last_error)}<details><summary>JSON</summary><pre class="json" tabindex="0">${letter.json}</pre></details></li>`)}</ol>` : null}` : null}
  </div>`;
}
