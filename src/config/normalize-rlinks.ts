import { resolve } from 'node:path';
import type { LinkAuth, LinkEndpoint, LinkTransport, RouterLinkConfig } from './model.js';
import { connectingTlsConfig } from './normalize-connecting-tls.js';
import { offeredSerializers } from './schema-websocket.js';
import { rlinkDefaultId, type RlinkFile } from './schema-rlink.js';

/** Crossbar keeps the node key beside config.json (its node directory). */
export const nodeKeyFileName = 'key.priv';

function endpoint(file: RlinkFile['transport']['endpoint'], baseDir: string): LinkEndpoint {
  const timeoutMs = file.timeout * 1000;
  if (file.type === 'unix') return { kind: 'unix', path: resolve(baseDir, file.path), timeoutMs };
  const tls = file.tls && connectingTlsConfig(file.tls, file.host, (path) => resolve(baseDir, path));
  return { kind: 'tcp', host: file.host, port: file.port, ...(file.version && { family: file.version }), ...(tls && { tls }), timeoutMs };
}

function transport(file: RlinkFile['transport'], baseDir: string): LinkTransport {
  if (file.type === 'rawsocket') return { kind: 'rawsocket', endpoint: endpoint(file.endpoint, baseDir), serializer: file.serializer };
  return { kind: 'websocket', endpoint: endpoint(file.endpoint, baseDir), url: file.url, serializers: offeredSerializers(file.serializers) };
}

function auth({ auth: file, authid }: RlinkFile): LinkAuth {
  // The schema asks for an authid beside `auth`.
  if (file?.ticket) return { method: 'ticket', authid: authid!, ticket: file.ticket.ticket };
  if (file?.wampcra) return { method: 'wampcra', authid: authid!, secret: file.wampcra.secret };
  if (file?.scram) return { method: 'scram', authid: authid!, password: file.scram.password };
  return { method: 'cryptosign' };
}

/** A realm's `rlinks` as the node runs them. */
export function rlinkConfigs(localRealm: string, links: readonly RlinkFile[], baseDir: string): RouterLinkConfig[] {
  return links.map((link, index) => ({
    id: link.id ?? rlinkDefaultId(index),
    localRealm,
    realm: link.realm,
    transport: transport(link.transport, baseDir),
    ...(link.authid !== undefined && { authid: link.authid }),
    auth: auth(link),
    excludeAuthid: link.exclude_authid,
    forwardLocalEvents: link.forward_local_events,
    forwardRemoteEvents: link.forward_remote_events,
    forwardLocalInvocations: link.forward_local_invocations,
    forwardRemoteInvocations: link.forward_remote_invocations,
    limits: {
      maxCallsInFlight: link.limits.max_calls_in_flight,
      maxSubscriptions: link.limits.max_subscriptions,
      maxRegistrations: link.limits.max_registrations,
    },
    nodeKeyFile: resolve(baseDir, nodeKeyFileName),
  }));
}
