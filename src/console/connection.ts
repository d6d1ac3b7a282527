/** The console's own WAMP session: an ordinary one of its realm, signed in like any client. */
import { connect } from '../client/browser-json.js';
import type { AuthOptions } from '../client/auth/types.js';
import type { Session } from '../client/session.js';

/** What the console path writes into the page (a meta tag; the page runs no inline script). */
export interface ConsoleSettings {
  realm: string;
  /** Sign-in methods the console path offers, among ticket, wampcra and anonymous. */
  methods: ('ticket' | 'wampcra' | 'anonymous')[];
  /** The console's WebSocket path, e.g. "/console/ws". */
  ws: string;
  /** Bytes of the largest message that WebSocket takes (the forms refuse a larger one: src/console/message-size.ts). */
  max_message_size: number;
}

export function readSettings(): ConsoleSettings {
  const content = document.querySelector('meta[name="junction-console"]')?.getAttribute('content');
  return JSON.parse(content ?? '{}') as ConsoleSettings;
}

export interface SignIn {
  method: ConsoleSettings['methods'][number];
  authid: string;
  secret: string;
}

export function signIn(settings: ConsoleSettings, form: SignIn): Promise<Session> {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const auth: AuthOptions =
    form.method === 'ticket' ? { method: 'ticket', authid: form.authid, ticket: form.secret }
    : form.method === 'wampcra' ? { method: 'wampcra', authid: form.authid, secret: form.secret }
    : { method: 'anonymous' };
  // No reconnect: a lost session shows the sign-in form again with the reason, rather than retrying a wrong password.
  return connect({ url: `${scheme}://${location.host}${settings.ws}`, realm: settings.realm, auth, reconnect: false });
}
