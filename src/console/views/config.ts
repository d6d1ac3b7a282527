/** The running configuration as junction.config.get answers it: every secret already masked by the router. */
import { html } from 'htm/preact';
import type { Session } from '../../client/session.js';
import { useLoad } from '../live.js';
import { shownJson } from '../shown-text.js';
import { ErrorText } from '../ui.js';

export function Configuration({ session }: { session: Session }) {
  const config = useLoad(async () => (await session.call('junction.config.get')).args[0], session);
  return html`<section aria-labelledby="config-title">
    <h2 id="config-title">Configuration</h2>
    <p class="note">The running configuration; secrets (tickets, passwords, keys, header values, a program's secret options) are masked by the router.</p>
    <button type="button" onClick=${config.reload}>Reload configuration</button>
    <${ErrorText} error=${config.error} />
    ${config.data === undefined ? null : html`<pre class="json" tabindex="0" aria-label="Configuration JSON">${shownJson(config.data, 2)}</pre>`}
  </section>`;
}
