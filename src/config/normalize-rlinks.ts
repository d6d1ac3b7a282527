import { resolve } from 'node:path';
import { reaches, targetOf } from './local-targets.js';
import type { LinkAuth, LinkEndpoint, LinkTransport, RouterLinkConfig } from './model.js';
import { notice } from './notices.js';
import { connectingTlsConfig } from './normalize-connecting-tls.js';
import { offeredSerializers } from './schema-websocket.js';
import { rlinkDefaultId, type RlinkFile } from './schema-rlink.js';
import { firstDifference } from './shared-ports.js';
import type { SharedRealm } from './shared-realms.js';

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
function rlinkConfigs(localRealm: string, links: readonly RlinkFile[], baseDir: string): RouterLinkConfig[] {
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
      maxCallBytesInFlight: link.limits.max_call_bytes_in_flight,
      maxEventsInFlight: link.limits.max_events_in_flight,
      maxEventBytesInFlight: link.limits.max_event_bytes_in_flight,
      maxSubscriptions: link.limits.max_subscriptions,
      maxRegistrations: link.limits.max_registrations,
      maxMessageSize: link.limits.max_message_size,
      maxBufferedBytes: link.limits.max_buffered_bytes,
    },
    nodeKeyFile: resolve(baseDir, nodeKeyFileName),
  }));
}

/**
 * The links of a realm, from every router worker that defines it, except those to this realm at a
 * transport of this node's router workers (`listening`, their endpoints): in Crossbar they link
 * the workers' copies of the realm; Junction's one router has one copy, so they would link it to
 * itself. A link of a later copy that repeats one of an earlier copy (apart from its id) is that
 * link: each copy's own would bring every event once per copy. One notice counts each kind.
 */
export function realmLinks(shared: SharedRealm, listening: readonly Endpoint[], baseDir: string, notices: string[]): RouterLinkConfig[] {
  const own = listening.map((endpoint) => fromBaseDir(endpoint, baseDir));
  let toItself = 0;
  let repeated = 0;
  const kept: { link: RlinkFile; copy: number }[] = [];
  const links = shared.copies.flatMap(({ realm }, copy) =>
    rlinkConfigs(realm.name, realm.rlinks, baseDir).filter((_config, index) => {
      const link = realm.rlinks[index]!;
      const target = targetOf(fromBaseDir(link.transport.endpoint, baseDir));
      if (link.realm === realm.name && target !== undefined && own.some((endpoint) => reaches(target, endpoint))) {
        toItself += 1;
        return false;
      }
      if (kept.some((earlier) => earlier.copy !== copy && sameApartFromId(earlier.link, link))) {
        repeated += 1;
        return false;
      }
      kept.push({ link, copy });
      return true;
    }),
  );
  if (toItself > 0) notices.push(notice('config.notice.rlinks_to_itself', [...shared.at, 'rlinks'], toItself, shared.realm.name));
  if (repeated > 0) notices.push(notice('config.notice.rlinks_repeated', [...shared.at, 'rlinks'], repeated, shared.realm.name));
  return links;
}

type Endpoint = { type: string; path?: string };

/** A Unix socket path as the node opens it (from the config folder): "edge1.sock" and its absolute path are one socket. */
function fromBaseDir<E extends Endpoint>(endpoint: E, baseDir: string): E {
  return endpoint.type === 'unix' && endpoint.path !== undefined ? { ...endpoint, path: resolve(baseDir, endpoint.path) } : endpoint;
}

function sameApartFromId(a: RlinkFile, b: RlinkFile): boolean {
  const { id: _a, ...first } = a;
  const { id: _b, ...later } = b;
  return firstDifference(first, later, []) === undefined;
}
