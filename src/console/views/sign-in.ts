/** Sign-in: ticket or WAMP-CRA for an operator, or anonymous where the console path allows it. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Session } from '../../client/session.js';
import { signIn, type ConsoleSettings, type SignIn as SignInForm } from '../connection.js';
import { signInTooLarge } from '../message-size.js';
import { ErrorText } from '../ui.js';
import { TransportError } from '../../client/errors.js';

const methodNames = { ticket: 'Ticket', wampcra: 'WAMP-CRA', anonymous: 'Anonymous' } as const;

interface SignInProps {
  settings: ConsoleSettings;
  notice: string | undefined;
  /** The method and authid of the last sign-in, offered again. */
  initial: Pick<SignInForm, 'method' | 'authid'> | undefined;
  onSession(session: Session, form: SignInForm): void;
}

export function SignIn({ settings, notice, initial, onSession }: SignInProps) {
  const [form, setForm] = useState<SignInForm>({ method: initial?.method ?? settings.methods[0] ?? 'anonymous', authid: initial?.authid ?? '', secret: '' });
  const [error, setError] = useState<unknown>(undefined);
  const [tooLarge, setTooLarge] = useState<'authid' | 'ticket' | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const needsSecret = form.method !== 'anonymous';
  const submit = async (event: Event) => {
    event.preventDefault();
    // WAMP-CRA sends a signature, never the secret: only a ticket travels as typed.
    const refusal = needsSecret ? signInTooLarge(settings.realm, form.authid, form.method === 'ticket' ? form.secret : undefined, settings.max_message_size) : undefined;
    setTooLarge(refusal?.field);
    if (refusal) return setError(new Error(refusal.problem));
    setBusy(true);
    setError(undefined);
    try {
      onSession(await signIn(settings, form), form);
    } catch (failure) {
      // A browser says no more than "error" about a WebSocket it could not open.
      setError(failure instanceof TransportError ? new Error(`The router cannot be reached (${failure.message}): is it running, and does nothing in between refuse the WebSocket?`) : failure);
    } finally {
      setBusy(false);
    }
  };
  const set = (key: keyof SignInForm) => (event: Event) => {
    setForm({ ...form, [key]: (event.target as HTMLInputElement).value });
    // A refusal at the form was about what the fields said before.
    if (tooLarge) {
      setTooLarge(undefined);
      setError(undefined);
    }
  };
  const invalid = (field: 'authid' | 'ticket') => tooLarge === field ? { 'aria-invalid': 'true', 'aria-describedby': 'sign-in-error' } : {};
  return html`<main id="main" class="sign-in">
    <form class="panel" onSubmit=${submit} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Junction console</h1>
      <p class="note">Realm <strong>${settings.realm}</strong></p>
      ${notice ? html`<p class="note" role="status">${notice}</p>` : null}
      ${settings.methods.length > 1 ? html`<div class="field"><label for="sign-in-method">Sign-in method</label>
        <select id="sign-in-method" value=${form.method} onChange=${set('method')}>
          ${settings.methods.map((method) => html`<option value=${method}>${methodNames[method]}</option>`)}
        </select></div>` : null}
      ${needsSecret ? html`
        <div class="field"><label for="sign-in-authid">Auth ID</label>
          <input id="sign-in-authid" autocomplete="username" required value=${form.authid} onInput=${set('authid')} ...${invalid('authid')} /></div>
        <div class="field"><label for="sign-in-secret">${form.method === 'ticket' ? 'Ticket' : 'Secret'}</label>
          <input id="sign-in-secret" type="password" autocomplete="current-password" required value=${form.secret} onInput=${set('secret')} ...${invalid('ticket')} /></div>` : null}
      <button type="submit" disabled=${busy}>Sign in</button>
      <${ErrorText} id="sign-in-error" error=${error} />
    </form>
  </main>`;
}
