/** The console page's entry (bundled by scripts/build-console.mjs into dist/console/app.js). */
import { html } from 'htm/preact';
import { render } from 'preact';
import { App } from './app.js';
import { readSettings } from './connection.js';

render(html`<${App} settings=${readSettings()} />`, document.getElementById('app')!);
