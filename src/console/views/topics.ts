/** Topics: the realm's subscriptions, a live tap on any topic or pattern, and a publish form. */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { InvalidUriError } from '../../client/errors.js';
import type { Session } from '../../client/session.js';
import type { Subscription } from '../../client/subscription.js';
import { readJsonField } from '../json-field.js';
import { tooLargeToSend } from '../message-size.js';
import { useLoad } from '../live.js';
import { MAX_PAYLOAD_CHARS, TapBuffer, tapEvent, type TapEvent } from '../tap-buffer.js';
import { shownJson, visible } from '../shown-text.js';
import { clearingOutcome, ErrorText, JsonField, TableFrame, useFocusReturn } from '../ui.js';
import { listing, NodeBar, NodeCell, NodeHeader, rowKey, Truncated, useNodeFilter } from './listing.js';

interface SubscriptionRow {
  id: number;
  uri: string;
  match: string;
  subscribers: number;
  retained_topics: number;
  history: number | null;
}

type MatchPolicy = 'exact' | 'prefix' | 'wildcard';
/** What a row's Tap button asks the tap for: a new object per click, so a second click taps again. */
interface TapTarget { topic: string; match: MatchPolicy }

/** Events a tap keeps (older ones are dropped and counted)... */
export const TAP_CAPACITY = 1000;
/** ...of which the newest are shown. */
const TAP_SHOWN = 100;
/** The tap's list is redrawn at most this often, however fast events come. */
const TAP_REDRAW_MS = 250;
/** Characters of an event's arguments shown on its line (the JSON view shows all). */
const LINE_CHARS = 200;
/** Events a History panel shows: the newest. */
export const HISTORY_SHOWN = 20;
/** Retained events a Retained panel shows (a prefix may cover thousands of topics); the rest are counted. */
export const RETAINED_SHOWN = 20;

export function Topics({ session, changes, maxMessageBytes }: { session: Session; changes: number; maxMessageBytes: number }) {
  const subscriptions = useLoad(() => listing<SubscriptionRow>(session, 'junction.subscription.list'), changes);
  const [tapTopic, setTapTopic] = useState<TapTarget | undefined>(undefined);
  // The events' JSON is written once, when the panel opens, not at every redraw of the list.
  const [history, setHistory] = useState<{ title: string; json?: string; note?: string; error?: unknown } | undefined>(undefined);
  // The panel takes the keyboard's focus when it opens, and gives it back to the button that opened it when it closes (Close or Escape).
  const focus = useFocusReturn();
  const panelTitle = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (history) panelTitle.current?.focus();
  }, [history?.title]);
  const openPanel = (panel: NonNullable<typeof history>) => {
    focus.sent();
    setHistory(panel);
  };
  const closePanel = () => {
    setHistory(undefined);
    focus.back();
  };

  const showHistory = async (row: SubscriptionRow) => {
    try {
      // reverse: the newest events (without it, the spec's order gives the oldest ones first).
      const result = await session.call('wamp.subscription.get_events', [row.id], { limit: HISTORY_SHOWN, reverse: true });
      const events = result.args[0] as unknown[];
      const kept = row.history !== null && row.history > events.length ? ` of the ${row.history} kept` : '';
      openPanel({ title: `History of ${visible(row.uri)}`, json: shownJson(events, 2), note: `The newest ${events.length} event(s)${kept}, newest first.` });
    } catch (error) {
      openPanel({ title: `History of ${visible(row.uri)}`, error });
    }
  };

  // No procedure returns retained events: a short subscription with get_retained receives them,
  // and the router sends them before the answer to any later call on the same session while they
  // fit in half the connection's max_buffered_bytes (beyond that they are paced, and the count of
  // those not shown may fall short).
  const showRetained = async (row: SubscriptionRow) => {
    const title = `Retained on ${visible(row.uri)}`;
    const events: unknown[] = [];
    let more = 0;
    try {
      const probe = await session.subscribe(row.uri, (args, kwargs, details) => {
        if (!details.retained) return;
        if (events.length < RETAINED_SHOWN) events.push({ topic: details.topic ?? row.uri, args, kwargs });
        else more++;
      }, { match: row.match as MatchPolicy, get_retained: true });
      await session.call('junction.node.stats').catch(() => undefined);
      await probe.unsubscribe().catch(() => undefined);
      openPanel({ title, json: shownJson(events, 2), ...(more > 0 ? { note: `${more} more retained event(s) not shown.` } : {}) });
    } catch (error) {
      openPanel({ title, error });
    }
  };

  const { node, setNode, rows } = useNodeFilter(subscriptions.data);
  return html`<section aria-labelledby="topics-title">
    <h2 id="topics-title">Topics <span class="count">${subscriptions.data?.total ?? ''}</span></h2>
    <${ErrorText} error=${subscriptions.error} />
    <${NodeBar} id="topics-node" list=${subscriptions.data} node=${node} setNode=${setNode} />
    <${TableFrame} label="Subscriptions table">
      <table aria-label="Subscriptions">
        <thead><tr><th scope="col">Topic</th><${NodeHeader} list=${subscriptions.data} /><th scope="col">Match</th><th scope="col">Subscribers</th>
          <th scope="col">Retained</th><th scope="col">History</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          ${rows.map((row) => html`<tr key=${rowKey(row, row.id)}>
            <td class="wrap">${visible(row.uri)}</td><${NodeCell} list=${subscriptions.data} row=${row} /><td>${row.match}</td><td>${row.subscribers}</td>
            <td>${row.retained_topics > 0 ? html`<button type="button" class="small" aria-label=${`Retained on ${row.uri}: ${row.retained_topics} topic(s)`} onClick=${() => showRetained(row)}>${row.retained_topics} topic(s)</button>` : '–'}</td>
            <td>${row.history === null ? '–' : html`<button type="button" class="small" aria-label=${`History of ${row.uri}: ${row.history} event(s)`} onClick=${() => showHistory(row)}>${row.history} event(s)</button>`}</td>
            <td><button type="button" class="small" aria-label=${`Tap ${row.uri}`} onClick=${() => setTapTopic({ topic: row.uri, match: row.match as MatchPolicy })}>Tap</button></td>
          </tr>`)}
        </tbody>
      </table>
    <//>
    ${rows.length === 0 && !subscriptions.loading ? html`<p class="note">No subscriptions.</p>` : null}
    <${Truncated} list=${subscriptions.data} />
    ${history ? html`<div class="panel" role="region" aria-label=${history.title} onKeyDown=${(e: KeyboardEvent) => { if (e.key === 'Escape') closePanel(); }}>
      <h3 ref=${panelTitle} tabindex="-1">${history.title}</h3>
      <${ErrorText} error=${history.error} />
      ${history.json !== undefined ? html`<pre class="json" tabindex="0">${history.json}</pre>` : null}
      ${history.note ? html`<p class="note">${history.note}</p>` : null}
      <button type="button" onClick=${closePanel}>Close</button>
    </div>` : null}
    <div class="split">
      <${Tap} session=${session} preset=${tapTopic} />
      <${PublishForm} session=${session} maxMessageBytes=${maxMessageBytes} />
    </div>
  </section>`;
}

function Tap({ session, preset }: { session: Session; preset: TapTarget | undefined }) {
  const buffer = useRef(new TapBuffer(TAP_CAPACITY));
  const subscription = useRef<Subscription | undefined>(undefined);
  const [topic, setTopic] = useState('');
  const [match, setMatch] = useState<MatchPolicy>('prefix');
  const [tapping, setTapping] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [jsonView, setJsonView] = useState(false);
  const [, setShownVersion] = useState(0);

  // A row's Tap button fills the form and starts tapping at once.
  useEffect(() => {
    if (!preset) return;
    setMatch(preset.match);
    setTopic(preset.topic);
    void tapInto(preset.topic, preset.match);
  }, [preset]);

  // Redraw on a timer, not per event: a burst costs one render per tick.
  useEffect(() => {
    let seen = -1;
    const timer = setInterval(() => {
      if (buffer.current.version !== seen) {
        seen = buffer.current.version;
        setShownVersion(seen);
      }
    }, TAP_REDRAW_MS);
    return () => clearInterval(timer);
  }, []);

  const stop = async () => {
    const current = subscription.current;
    subscription.current = undefined;
    setTapping(undefined);
    await current?.unsubscribe().catch(() => undefined);
  };
  useEffect(() => () => void stop(), []);

  const tapInto = async (topic: string, match: MatchPolicy) => {
    setError(undefined);
    await stop();
    const tap = buffer.current;
    try {
      subscription.current = await session.subscribe(topic, (args, kwargs, details) => {
        tap.push(tapEvent(details.topic ?? topic, args, kwargs, details.publisher, performance.now()));
      }, { match });
      setTapping(`${visible(topic)} (${match})`);
    } catch (failure) {
      setError(failure instanceof InvalidUriError && match === 'exact' && topic.split('.').includes('')
        ? new Error(`${failure.message}. An empty component is a wildcard's: choose Match: wildcard to tap every topic it matches.`)
        : failure);
    }
  };
  const start = (event: Event) => {
    event.preventDefault();
    void tapInto(topic, match);
  };

  const tap = buffer.current;
  const events = tap.newest(TAP_SHOWN);
  // The status announces only whether it taps: the counts change with every event, and a screen reader would read them on and on.
  return html`<form class="panel" onSubmit=${start} aria-labelledby="tap-title">
    <h3 id="tap-title">Live tap</h3>
    <div class="row">
      <div class="field grow"><label for="tap-topic">Tap topic</label>
        <input id="tap-topic" required placeholder="chat." value=${topic} onInput=${(e: Event) => setTopic((e.target as HTMLInputElement).value)} /></div>
      <div class="field"><label for="tap-match">Match</label>
        <select id="tap-match" value=${match} onChange=${(e: Event) => setMatch((e.target as HTMLSelectElement).value as MatchPolicy)}>
          <option value="exact">exact</option><option value="prefix">prefix</option><option value="wildcard">wildcard</option>
        </select></div>
    </div>
    <div class="buttons">
      <button type="submit">Tap</button>
      <button type="button" disabled=${!tapping} onClick=${stop}>Stop</button>
      <button type="button" aria-pressed=${tap.paused ? 'true' : 'false'} onClick=${() => { tap.paused = !tap.paused; setShownVersion(-tap.version); }}>${tap.paused ? 'Resume' : 'Pause'}</button>
      <button type="button" onClick=${() => tap.clear()}>Clear</button>
      <label class="check"><input type="checkbox" checked=${jsonView} onChange=${() => setJsonView(!jsonView)} /> JSON view</label>
    </div>
    <${ErrorText} error=${error} />
    <p class="note" data-tap-status>
      <span role="status">${tapping ? `Tapping ${tapping}` : 'Not tapping'}</span> · ${tap.received} received · ${tap.size} kept · ${tap.dropped} dropped · ${tap.skipped} skipped while paused
    </p>
    <ol class="events" tabindex="0" aria-label="Tapped events">
      ${events.map((item, index) => html`<li key=${index}>${jsonView ? html`<pre class="json">${eventJson(item)}</pre>` : eventLine(item)}</li>`)}
    </ol>
  </form>`;
}

/** The event indented; one that was cut is shown as kept, saying so. */
function eventJson(event: TapEvent): string {
  if (event.cut) return visible(`${event.topic}\nargs: ${event.args}…\nkwargs: ${event.kwargs}\n(cut at ${MAX_PAYLOAD_CHARS} characters each)`);
  const kwargs = event.kwargs ? JSON.parse(event.kwargs) as unknown : {};
  return shownJson({ topic: event.topic, args: JSON.parse(event.args) as unknown, kwargs, ...(event.publisher === undefined ? {} : { publisher: event.publisher }) }, 2);
}

function eventLine(event: TapEvent): string {
  const text = visible(`${event.topic} ${event.args}${event.kwargs ? ` ${event.kwargs}` : ''}`);
  return text.length > LINE_CHARS ? `${text.slice(0, LINE_CHARS)}…` : text;
}

function PublishForm({ session, maxMessageBytes }: { session: Session; maxMessageBytes: number }) {
  const [topic, setTopic] = useState('');
  const [args, setArgs] = useState('');
  const [kwargs, setKwargs] = useState('');
  const [acknowledge, setAcknowledge] = useState(true);
  const [excludeMe, setExcludeMe] = useState(false);
  const [retain, setRetain] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: string } | { error: unknown } | undefined>(undefined);
  const parsedArgs = readJsonField(args, 'list');
  const parsedKwargs = readJsonField(kwargs, 'dict');
  const valid = parsedArgs.ok && parsedKwargs.ok;
  const clearOutcome = () => setOutcome(undefined);
  const editTopic = clearingOutcome(setTopic, clearOutcome);
  const editArgs = clearingOutcome(setArgs, clearOutcome);
  const editKwargs = clearingOutcome(setKwargs, clearOutcome);

  const publish = async (event: Event) => {
    event.preventDefault();
    if (!parsedArgs.ok || !parsedKwargs.ok) return;
    const args = (parsedArgs.value as unknown[] | undefined) ?? [];
    const kwargs = (parsedKwargs.value as Record<string, unknown> | undefined) ?? {};
    const options = { acknowledge, exclude_me: excludeMe, ...(retain ? { retain: true } : {}) };
    const tooLarge = tooLargeToSend({ kind: 'publish', uri: topic, options, args, kwargs }, maxMessageBytes);
    if (tooLarge) return setOutcome({ error: new Error(tooLarge) });
    setOutcome(undefined);
    try {
      const publication = await session.publish(topic, args, kwargs, options);
      setOutcome({ ok: publication === undefined ? `Sent to ${topic} (no acknowledgement asked).` : `Published to ${topic} (publication ${publication}).` });
    } catch (error) {
      setOutcome({ error });
    }
  };

  return html`<form class="panel" onSubmit=${publish} aria-labelledby="publish-title">
    <h3 id="publish-title">Publish</h3>
    <div class="field"><label for="publish-topic">Topic</label>
      <input id="publish-topic" required placeholder="chat.room1" value=${topic} onInput=${(e: Event) => editTopic((e.target as HTMLInputElement).value)} /></div>
    <${JsonField} id="publish-args" label="Arguments" kind="list" value=${args} placeholder='["hello"]' onInput=${editArgs} />
    <${JsonField} id="publish-kwargs" label="Keyword arguments" kind="dict" value=${kwargs} placeholder='{"from": "console"}' onInput=${editKwargs} />
    <div class="buttons">
      <label class="check"><input type="checkbox" checked=${acknowledge} onChange=${() => setAcknowledge(!acknowledge)} /> Acknowledge</label>
      <label class="check"><input type="checkbox" checked=${excludeMe} onChange=${() => setExcludeMe(!excludeMe)} /> Exclude me</label>
      <label class="check"><input type="checkbox" checked=${retain} onChange=${() => setRetain(!retain)} /> Retain</label>
    </div>
    <button type="submit" disabled=${!valid}>Publish</button>
    ${outcome && 'ok' in outcome ? html`<p class="ok" role="status">${outcome.ok}</p>` : null}
    <${ErrorText} error=${outcome && 'error' in outcome ? outcome.error : undefined} />
  </form>`;
}
