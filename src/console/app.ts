/** The console's shell: sign-in, then a header, the view navigation and the current view. */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Session } from '../client/session.js';
import type { ConsoleSettings, SignIn as SignInForm } from './connection.js';
import { useRealmChanges } from './live.js';
import { sessionEndNotice } from './session-end.js';
import { Configuration } from './views/config.js';
import { Forwarders } from './views/forwarder.js';
import { Overview, useNodeStats } from './views/overview.js';
import { Procedures } from './views/procedures.js';
import { Sessions } from './views/sessions.js';
import { SignIn } from './views/sign-in.js';
import { Topics } from './views/topics.js';

const views = [
  { id: 'overview', title: 'Overview' },
  { id: 'sessions', title: 'Sessions' },
  { id: 'topics', title: 'Topics' },
  { id: 'procedures', title: 'Procedures' },
  { id: 'forwarder', title: 'Forwarder' },
  { id: 'config', title: 'Configuration' },
] as const;

type ViewId = (typeof views)[number]['id'];

function viewFromHash(): ViewId {
  const id = location.hash.replace(/^#\/?/, '');
  return views.some((view) => view.id === id) ? (id as ViewId) : 'overview';
}

export function App({ settings }: { settings: ConsoleSettings }) {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  // Who signed in last (never the secret): the form offers it again after the session ends.
  const [lastSignIn, setLastSignIn] = useState<Pick<SignInForm, 'method' | 'authid'> | undefined>(undefined);
  const signingOut = useRef(false);
  useEffect(() => {
    if (!session) return;
    let current = true;
    void (async () => {
      for await (const status of session.status()) {
        if (status.type === 'closed') {
          if (current) {
            setNotice(sessionEndNotice(status, signingOut.current));
            setSession(undefined);
          }
          return;
        }
      }
    })();
    return () => {
      current = false;
    };
  }, [session]);
  if (!session) {
    return html`<${SignIn} settings=${settings} notice=${notice} initial=${lastSignIn}
      onSession=${(s: Session, form: SignInForm) => { setNotice(undefined); setLastSignIn({ method: form.method, authid: form.authid }); signingOut.current = false; setSession(s); }} />`;
  }
  return html`<${Shell} settings=${settings} session=${session} onSignOut=${() => { signingOut.current = true; void session.leave('wamp.close.normal', 'signed out'); }} />`;
}

function Shell({ settings, session, onSignOut }: { settings: ConsoleSettings; session: Session; onSignOut(): void }) {
  const [view, setView] = useState<ViewId>(viewFromHash());
  const changes = useRealmChanges(session);
  const stats = useNodeStats(session);
  useEffect(() => {
    // The view that opens takes the keyboard's focus (its content follows next), as a page load would put it at the top.
    const follow = () => {
      setView(viewFromHash());
      document.getElementById('main')?.focus();
    };
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  useEffect(() => {
    document.title = `${views.find((v) => v.id === view)!.title} · Junction console`;
  }, [view]);
  // x_junction_node: set when the router is one node of several (--workers, Redis): the node this page is connected to (the views show every node).
  const details = session.details as { authid?: string; authrole?: string; x_junction_node?: string };
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${(e: Event) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
    <header>
      <h1 class="brand">Junction console</h1>
      <span class="who" data-who>${details.authid ?? ''} · role ${details.authrole ?? ''} · realm ${settings.realm}${details.x_junction_node === undefined ? '' : ` · node ${details.x_junction_node}`} · session ${session.id}</span>
      <button type="button" class="small" onClick=${onSignOut}>Sign out</button>
    </header>
    <nav aria-label="Views">
      <ul>${views.map((item) => html`<li key=${item.id}><a href=${`#/${item.id}`} aria-current=${item.id === view ? 'page' : undefined}>${item.title}</a></li>`)}</ul>
    </nav>
    ${changes.problem ? html`<p class="note warn" role="status">${changes.problem}</p>` : null}
    <main id="main" tabindex="-1">
      ${view === 'overview' ? html`<${Overview} source=${stats} />`
        : view === 'sessions' ? html`<${Sessions} session=${session} changes=${changes.version} />`
        : view === 'topics' ? html`<${Topics} session=${session} changes=${changes.version} maxMessageBytes=${settings.max_message_size} />`
        : view === 'procedures' ? html`<${Procedures} session=${session} changes=${changes.version} maxMessageBytes=${settings.max_message_size} />`
        : view === 'forwarder' ? html`<${Forwarders} session=${session} />`
        : html`<${Configuration} session=${session} />`}
    </main>
  </div>`;
}
