import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { codecByName } from '../../codec/index.js';
import type { ConsoleService } from '../../config/model.js';
import type { AuthGate } from '../../router/hooks.js';
import type { Router } from '../../router/router.js';
import { WebSocketService } from '../../transport/websocket-service.js';
import { UnsupportedConfigError } from '../auth-wiring.js';
import { startConsoleProcedures, type ConsoleProcedures } from '../console-procedures.js';
import { originIsHost } from './host-check.js';
import { methodAllowed, sendBody } from './http-reply.js';
import { sendJson } from './http-reply.js';
import { refuseUpgrade } from '../../transport/upgrade-refusal.js';
import type { NodeContext, PathServiceFactory } from './service-context.js';
import { aboutConfig } from '../logger.js';

/** Where `npm run build` puts the console's page (scripts/build-console.mjs), from dist/src/node/web/. */
const assetsDir = new URL('../../../console/', import.meta.url);

/** The page's own files: index.html is given the console's settings when the path starts. */
const assetTypes: Record<string, string> = {
  '/app.js': 'text/javascript; charset=utf-8',
  '/app.css': 'text/css; charset=utf-8',
};

/**
 * Sent with every answer of the console: scripts, styles and connections from this origin only,
 * no inline code, no framing. The page needs nothing else (it works offline, behind any firewall).
 */
export const consoleSecurityHeaders = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Sign-in methods the console's form offers. */
const consoleMethods = ['ticket', 'wampcra', 'anonymous'] as const;

/**
 * The web console (docs/console.md): its page on the path, and below it at "/ws" the WebSocket its
 * session uses. That session is an ordinary one of the console's realm, signed in with the
 * console's auth, so the role decides what the page may see and do.
 */
export const consolePath: PathServiceFactory<ConsoleService> = async (service, context) => {
  const realm = context.router.realm(service.realm);
  if (!realm) throw new UnsupportedConfigError(`${context.where}: realm "${service.realm}" does not exist`);
  const assets = readAssets(context, service);
  const gate = realmOnly(context.auth.gate(service.auth, context.where), service.realm);
  // One object for every connection's sessions (a SessionSeries keeps it).
  const attachOptions = { helloTimeoutMs: service.websocket.openHandshakeTimeout, sessionSeries: true };
  const ws = new WebSocketService(
    (peer) => context.router.attach(peer, gate, attachOptions),
    { ...service.websocket, codecs: [codecByName('json')], clientAddress: context.clientAddress },
    context.log,
    context.metrics,
  );
  const procedures = await sharedProcedures(context, service.realm);
  const anonymous = service.auth.anonymous;
  if (anonymous) {
    const role = anonymous.type === 'static' ? `role "${anonymous.role}"` : 'the dynamic authenticator\'s role';
    context.log.warn({ realm: service.realm, ...aboutConfig }, `the console at ${context.path} lets anyone who reaches it sign in anonymously with ${role}`);
  }
  return {
    // Its page and WebSocket answer only to the router's own names: a page at a name an attacker points at us must not drive it.
    hostCheck: 'always',
    servesBelow: true,
    request: (request, response, subpath) => serveAsset(request, response, subpath, assets),
    upgrade: (request, socket, head, subpath) => {
      if (subpath !== '/ws') return refuseUpgrade(socket, 404, `The console's WebSocket is at ${context.path}/ws.`);
      if (!sameOrigin(request)) return refuseUpgrade(socket, 403, 'The console accepts WebSocket connections from its own page only.');
      ws.handleUpgrade(request, socket, head);
    },
    close: async () => {
      await ws.closeAll();
      procedures.release();
    },
  };
};

interface Assets {
  files: Map<string, { type: string; body: Buffer }>;
}

function readAssets({ where, path }: { where: string; path: string }, service: ConsoleService): Assets {
  const read = (name: string): Buffer => {
    try {
      return readFileSync(new URL(name, assetsDir));
    } catch {
      throw new UnsupportedConfigError(`${where}: the console's page is not built (${new URL(name, assetsDir).pathname} is missing); run "npm run build"`);
    }
  };
  const base = path === '/' ? '' : path;
  const settings = JSON.stringify({ realm: service.realm, methods: consoleMethods.filter((method) => service.auth[method] !== undefined), ws: `${base}/ws`, max_message_size: service.websocket.maxMessageSize });
  const index = read('index.html').toString('utf8').replace('__CONSOLE_SETTINGS__', escapeAttribute(settings)).replaceAll('__BASE__', base);
  const files = new Map<string, { type: string; body: Buffer }>([['/', { type: 'text/html; charset=utf-8', body: Buffer.from(index) }]]);
  for (const [path, type] of Object.entries(assetTypes)) files.set(path, { type, body: read(path.slice(1)) });
  return { files };
}

function serveAsset(request: IncomingMessage, response: ServerResponse, subpath: string, assets: Assets): void {
  // On every answer, refusals (405, 404) too.
  for (const [name, value] of Object.entries(consoleSecurityHeaders)) response.setHeader(name, value);
  if (!methodAllowed(request, response)) return;
  const file = assets.files.get(subpath === '' ? '/' : subpath);
  if (!file) return sendJson(response, 404, { error: 'not_found', message: `the console has no file ${subpath}` });
  sendBody(response, 200, { 'content-type': file.type, 'cache-control': 'no-cache' }, file.body);
}

/** The console's session may join only the console's realm. */
function realmOnly(gate: AuthGate, realm: string): AuthGate {
  return {
    hello: (request) =>
      request.realm === realm
        ? gate.hello(request)
        : { kind: 'deny', reason: 'wamp.error.no_such_realm', message: `the console signs in to realm "${realm}" only` },
  };
}

/**
 * A browser's Origin must name the host it connected to: another site's page cannot drive the
 * console's WebSocket (and the listener's Host check keeps a rebinding page's own name out).
 */
function sameOrigin(request: IncomingMessage): boolean {
  return request.headers.origin === undefined /* not a browser: it could send any Origin anyway */ || originIsHost(request);
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One set of console procedures per realm and router, however many console paths name it. */
const procedureSets = new WeakMap<Router, Map<string, { users: number; started: Promise<ConsoleProcedures> }>>();

async function sharedProcedures(node: NodeContext, realm: string): Promise<{ release(): void }> {
  let byRealm = procedureSets.get(node.router);
  if (!byRealm) procedureSets.set(node.router, (byRealm = new Map()));
  let entry = byRealm.get(realm);
  if (!entry) byRealm.set(realm, (entry = { users: 0, started: startConsoleProcedures(node, node.router.realm(realm)!) }));
  entry.users++;
  const current = entry;
  let procedures: ConsoleProcedures;
  try {
    procedures = await current.started;
  } catch (error) {
    byRealm.delete(realm);
    throw error;
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      if (--current.users === 0) {
        byRealm.delete(realm);
        procedures.stop();
      }
    },
  };
}
