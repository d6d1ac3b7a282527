/**
 * `endpoint.tls.ca_certificates` asks clients for a TLS certificate. A `tls` authentication of a
 * door on that endpoint reads it (and says why it refuses one); without such a door the
 * certificate is required at the handshake, as Crossbar does. A `tls` authentication on an
 * endpoint that asks for no certificate is a sign-in no client could pass.
 */

import { problem, type ConfigProblem } from './problems.js';
import type { ConfigPath } from './config-path.js';
import { isRecord, type Entry } from './semantics-realms.js';
import { flattenPathTable } from './web-paths.js';

interface AuthBlock {
  value: Record<string, unknown>;
  at: ConfigPath;
}

export function checkClientCertificates(transport: Entry, problems: ConfigProblem[]): void {
  const { value, path } = transport;
  const tls = isRecord(value.endpoint) && isRecord(value.endpoint.tls) ? value.endpoint.tls : undefined;
  const askedFor = tls?.ca_certificates !== undefined;
  if (askedFor) return;
  for (const auth of certificateReaders(value, path)) problems.push(problem('config.tls.certificate_not_asked', [...auth.at, 'tls']));
}

/** Whether a door on this transport's endpoint signs clients in by their TLS certificate (`auth.tls`). */
export function readsClientCertificates(transport: Record<string, unknown>): boolean {
  return certificateReaders(transport, []).length > 0;
}

function certificateReaders(transport: Record<string, unknown>, path: ConfigPath): AuthBlock[] {
  return authBlocksOf(transport, path).filter((auth) => auth.value.tls !== undefined);
}

/** Every `auth` of a door on this transport's endpoint that sees the client's TLS connection. */
function authBlocksOf(transport: Record<string, unknown>, path: ConfigPath): AuthBlock[] {
  switch (transport.type) {
    case 'websocket':
    case 'rawsocket':
      return authAt(transport.auth, [...path, 'auth']);
    case 'mqtt':
      return mqttAuth(transport, path);
    case 'web':
      return websocketPaths(transport.paths, [...path, 'paths']);
    case 'universal': {
      const parts = [
        ...(isRecord(transport.rawsocket) ? authAt(transport.rawsocket.auth, [...path, 'rawsocket', 'auth']) : []),
        ...(isRecord(transport.mqtt) ? mqttAuth(transport.mqtt, [...path, 'mqtt']) : []),
        ...(isRecord(transport.web) ? websocketPaths(transport.web.paths, [...path, 'web', 'paths']) : []),
      ];
      if (isRecord(transport.websocket)) {
        for (const [key, part] of Object.entries(transport.websocket)) {
          if (isRecord(part)) parts.push(...authAt(part.auth, [...path, 'websocket', key, 'auth']));
        }
      }
      return parts;
    }
    default:
      return [];
  }
}

function authAt(auth: unknown, at: ConfigPath): AuthBlock[] {
  return isRecord(auth) ? [{ value: auth, at }] : [];
}

/** An MQTT door reads its auth at the top or in options (Crossbar's place). */
function mqttAuth(part: Record<string, unknown>, at: ConfigPath): AuthBlock[] {
  if (part.auth !== undefined) return authAt(part.auth, [...at, 'auth']);
  return isRecord(part.options) ? authAt(part.options.auth, [...at, 'options', 'auth']) : [];
}

/** The WAMP and MQTT WebSocket paths of a path table (nested tables included; checkListenerPaths reports their faults). */
function websocketPaths(table: unknown, at: ConfigPath): AuthBlock[] {
  return flattenPathTable(table, '/', at, () => {}).flatMap(({ service, path }) => {
    if (service.type === 'websocket') return authAt(service.auth, [...path, 'auth']);
    return service.type === 'mqtt' ? mqttAuth(service, path) : [];
  });
}
