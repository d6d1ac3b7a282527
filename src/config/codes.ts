/**
 * The stable code of every configuration problem and notice, with its message template: a
 * message is worded here and nowhere else, and `junction check` / `junction start` print the code
 * after it (`... [config.realm.undefined]`) so a user can look it up in docs/errors.md and a
 * script can match on it. docs/errors.md has one line per code (test/project/errors-doc.test.ts).
 */

import { formatPath, type ConfigPath } from './config-path.js';

const quote = (text: string) => JSON.stringify(text);

/** Problems found by reading the file and by the checks across its parts (semantics-*.ts). */
export const problemMessages = {
  'config.file.empty': () => 'the configuration is empty',
  'config.file.unreadable': (reason: string) => `cannot read the file: ${reason}`,
  // Parser messages may quote the offending token, which may be (part of) a secret.
  'config.file.syntax': (parserMessage: string) => `syntax error: ${parserMessage.replace(/"[^"]*"/g, '"…"')}`,
  'config.file.duplicate_key': () => 'duplicate key: each key may appear once per object',
  'config.file.unresolvable': (reason: string) => `cannot read the document: ${reason}`,
  'config.file.alias_cycle': () => 'a YAML alias here refers to a value that contains it; a configuration must be a tree',
  'config.cbdir.no_file': (names: readonly string[]) => `no ${names.join(' or ')} in this folder`,
  'config.cbdir.missing': () => 'no such folder ("junction init DIR" writes a starter config.yaml into one)',
  'config.cbdir.not_folder': () => 'not a folder: give a config file with --config FILE',
  'config.cbdir.two_files': (names: readonly string[]) => `both ${names.join(' and ')} exist; keep one so it is clear which is used`,
  'config.env.bad_reference': (name: string) => `"\${${name}}" is not a valid environment variable reference (names use letters, digits and "_")`,
  'config.env.unset': (name: string) => `environment variable ${name} is not set`,
  'config.router.missing': () => 'no router worker: add a worker with "type": "router", its realms and its transports',
  'config.router.sign_in_repeated': (first: ConfigPath) => `sign_in applies to the whole node: give it once, in ${formatPath(first)}`,
  'config.realm.undefined': (name: string) => `realm ${quote(name)} is not defined in this configuration`,
  'config.auth.function_without_realm': () =>
    'a function authenticator runs in a Python host whose session joins the router\'s first realm, and this configuration defines no realm: add one',
  'config.role.undefined': (role: string, realm: string, hint = '') => `role ${quote(role)} is not defined in realm ${quote(realm)}${hint}`,
  'config.role.nowhere': (role: string, hint = '') =>
    `role ${quote(role)} is not defined in any realm${hint}, so signing in as this principal would always fail with wamp.error.no_such_role`,
  'config.name.duplicate': (what: string, name: string, first: ConfigPath) => `duplicate ${what} ${quote(name)} (first defined at ${formatPath(first)})`,
  'config.id.duplicate': (what: string, id: string, first: ConfigPath) => `duplicate ${what} ${quote(id)} (first used at ${formatPath(first)})`,
  'config.transport.missing': () => 'no transports defined, so no client could connect: add a "websocket" or "web" transport',
  'config.transport.address_taken': (address: string, user: ConfigPath, userAddress?: string) =>
    `${address} is already used by ${formatPath(user)}${userAddress === undefined ? '' : ` (${userAddress})`}`,
  'config.transport.port_shared': (address: string, first: ConfigPath, differsAt?: ConfigPath) =>
    `${address} is also opened by ${formatPath(first)}, both "shared": true (Crossbar's way to spread connections over several router processes), ` +
    (differsAt === undefined
      ? 'one by a router worker and one by a proxy worker: Junction opens a port once, for one kind of worker: give each its own port'
      : `but they differ at ${formatPath(differsAt)}: Junction opens a shared port once, for its one router, so its transports must be the same (only their ids may differ): ` +
        'make them the same, or keep one') +
    '; start with --workers N (or auto) for several processes',
  'config.realm.differs': (name: string, first: ConfigPath, differsAt: ConfigPath) =>
    `realm ${quote(name)} is also defined by ${formatPath(first)}, of another router worker, but they differ at ${formatPath(differsAt)}: ` +
    'Junction runs one router, so a realm several router workers define is one realm and its definitions must be the same (only their rlinks and ids may differ): ' +
    'make them the same, or rename one; start with --workers N (or auto) for several processes',
  'config.proxy.no_connection': (connection: string, realm: string, role: string) =>
    `no connection ${quote(connection)} found for realm ${quote(realm)} and role ${quote(role)} in proxy route config: add it to this proxy worker's "connections"`,
  'config.proxy.remote_connection': (connection: string, target: string) =>
    notSupportedMessage(
      `proxy connection ${quote(connection)} to ${target}, which is not a transport of this node's router workers`,
      "Junction serves proxy workers inside its router, so a connection must name one of the router workers' transports: its Unix socket path, or its port on localhost",
    ),
  'config.proxy.port_differs': (first: ConfigPath) =>
    `also opened by ${formatPath(first)} of another proxy worker, with a different transport or different routes: Crossbar hands each connection to either one; ` +
    'Junction opens one listener per port: make the two the same, or give each its own port',
  'config.testee.port_differs': (first: ConfigPath) =>
    `also opened by ${formatPath(first)} of another websocket-testee worker, with a different transport: Crossbar hands each connection to either one; ` +
    'Junction opens one listener per port: make the two the same, or give each its own port',
  'config.proxy.no_route': (realm: string, role: string) =>
    `this proxy worker has no route for realm ${quote(realm)} and role ${quote(role)}, so this service or app could not join: add the route, or move it to a router worker's transports`,
  'config.transport.empty_universal': () => 'a universal transport serves nothing: add a "rawsocket", "websocket", "web" or "mqtt" part',
  'config.tls.certificate_not_asked': () =>
    'tls authentication needs client certificates: give the endpoint tls.ca_certificates (the authorities whose certificates are accepted)',
  'config.path.none': (what: 'web transport' | 'path service') => `a ${what} needs at least one path`,
  'config.path.too_deep': (max: number) => `path services are nested more than ${max} deep`,
  'config.path.clash': (url: string, first: ConfigPath, second: ConfigPath) =>
    formatPath(first.slice(0, -1)) === formatPath(second.slice(0, -1))
      ? `paths ${JSON.stringify(first.at(-1))} and ${JSON.stringify(second.at(-1))} are the same URL path ${url}`
      : `URL path ${url} is also served by ${formatPath(first)}`,
  'config.uri.matches_all': (what: 'a pattern that matches every URI' | 'an empty URI') => `the router refuses ${what}; name a topic or prefix`,
  'config.uri.refused': (uri: string, realm: string) => `${quote(uri)} is not a URI the router accepts in realm ${quote(realm)}`,
  'config.uri.strict_rule': (uri: string, realm: string) =>
    `${quote(uri)} does not follow realm ${quote(realm)}'s strict URI rule (a-z, 0-9 and "_" per component); change it or set the realm's options.uri_check to "loose"`,
} satisfies Record<string, (...args: never[]) => string>;

/**
 * Problems found by the schema: the code names the kind of mistake (schema-problems.ts decides
 * it from the validation issue); the words come from the key's own schema, or from
 * schema-problems.ts for the kinds every key shares ("expected boolean, got string").
 * `config.unsupported` is the one kind with a template of its own, `notSupportedMessage`.
 */
export const schemaProblemCodes = [
  'config.missing',
  'config.type',
  'config.value',
  'config.form',
  'config.conflict',
  'config.unknown_key',
  'config.not_here',
  'config.unsupported',
] as const;

const notSupportedPrefix = 'not supported by Junction: ';

/** The template of `config.unsupported`: a Crossbar feature Junction does not have. */
export function notSupportedMessage(what: string, hint?: string): string {
  return `${notSupportedPrefix}${what}${hint === undefined ? '' : ` (${hint})`}`;
}

/** Whether a schema message was written by `notSupportedMessage` (the schema reports it with several issue kinds). */
export function isNotSupportedMessage(message: string): boolean {
  return message.startsWith(notSupportedPrefix);
}

/** Notices: the file loads, but something in it is read differently than its text suggests, or not used. */
export const noticeMessages = {
  'config.notice.ignored': (what: string) => `${what} is not needed by Junction and was ignored`,
  'config.notice.serializer_dropped': (serializer: string, spoken: readonly string[]) =>
    `the ${serializer} serializer is not spoken by Junction and was left out of the offer (Junction speaks ${spoken.join(', ')})`,
  'config.notice.version1': (count: number) =>
    `configuration version 1: ${count} permission${count === 1 ? ' in the old form ("publish": true ... beside "uri") was read as `crossbar upgrade` converts it' : 's in the old form ("publish": true ... beside "uri") were read as `crossbar upgrade` converts them'} ` +
    '(into "allow", with disclosure off and caching on); ' +
    `run \`crossbar upgrade\` or write ${count === 1 ? 'it' : 'them'} that way with "version": 2 to silence this`,
  'config.notice.no_realms': () =>
    'no realms defined: the web paths are served, and every WAMP or MQTT client is refused with wamp.error.no_such_realm; add a realm for them',
  'config.notice.routers_merged': (first: ConfigPath) =>
    `another router worker: Junction runs one router, so its realms, transports and components are served together with those of ${formatPath(first)}`,
  'config.notice.port_shared': (first: ConfigPath) =>
    `the same transport as ${formatPath(first)}, of another router worker, both "shared": true: Junction opens the port once, for its one router (the realms of all its router workers); ` +
    'start with --workers N (or auto) to use several processes',
  'config.notice.realm_merged': (first: ConfigPath) =>
    `the same realm as ${formatPath(first)}, of another router worker: Junction runs one router, so it is one realm, whose sessions see each other's events and calls on every transport; ` +
    'start with --workers N (or auto) to use several processes',
  'config.notice.rlinks_to_itself': (count: number, realm: string) =>
    `${count === 1 ? '1 router link' : `${count} router links`} of realm ${quote(realm)} ${count === 1 ? 'leads to a transport' : 'lead to transports'} of this node's router workers, ` +
    `which Junction serves as one router: ${count === 1 ? 'it' : 'they'} would link the realm to itself, so ${count === 1 ? 'it was' : 'they were'} left out`,
  'config.notice.rlinks_repeated': (count: number, realm: string) =>
    `${count === 1 ? '1 router link' : `${count} router links`} of realm ${quote(realm)} ${count === 1 ? 'repeats a link' : 'repeat links'} of another router worker's copy of the realm (the same apart from the id): ` +
    `Junction's one realm keeps one of each, or every event would arrive once per copy`,
  'config.notice.proxy_sign_in': (method: string) =>
    `${method} is how Crossbar's proxy workers sign their clients in to a router; Junction serves proxy workers inside the router, so no client is offered ${method} (one that asks only for it is refused with wamp.error.no_auth_method)`,
  'config.notice.proxy_backend_refuses': (why: string) =>
    `${why}: Crossbar's router refuses every session this route hands it over that connection, and so does Junction ` +
    '(wamp.error.authentication_failed); offer the method on that transport, or route over another connection',
  'config.notice.proxy_served': () =>
    'a proxy worker: Junction serves its transports from the router itself (its connections are not opened), to the realms and roles of its routes only',
  'config.notice.proxies_merged': (first: ConfigPath) =>
    `the same transport as ${formatPath(first)}, of another proxy worker: Junction opens it once, for both; start with --workers N (or auto) to use several processes`,
  'config.notice.testees_merged': (first: ConfigPath) =>
    `the same echo server as ${formatPath(first)}, of another websocket-testee worker: Junction opens it once, for both; start with --workers N (or auto) to use several processes`,
  'config.notice.allow_by_default': (decidedBy: 'its authorizer' | 'its permissions') => `not used: the role is decided by ${decidedBy} alone, as in Crossbar`,
  'config.notice.empty_exact_uri': () => 'an empty URI with "match": "exact" covers every URI in Crossbar; read as "uri": "", "match": "prefix"',
  'config.notice.literal_star': (uri: string) =>
    `"*" is an ordinary character when "match" is given, as in Crossbar: ${quote(uri)} covers only URIs with a "*" in them; for every URI write "uri": "", "match": "prefix"`,
  'config.notice.python_component': (name: string) => `${name} is not run by Junction: start it as a separate WAMP client that connects to the router`,
  'config.notice.forwarder_id': (id: string) =>
    `this forwarder has no "id", so it is ${quote(id)}: give it an id so its outbox folder stays the same when components are added or reordered`,
  'config.notice.transport_unused': (classname: string) => `${classname} runs inside the router as a trusted session; its "transport" is not used`,
  'config.notice.path_shadowed': (url: string, serviceType: string) =>
    `takes every request to ${url}, as in Crossbar: the web part's ${serviceType} service there is not served`,
  'config.notice.cookie_tracking': () =>
    'Junction sets the tracking cookie only where cookie authentication ("auth": {"cookie": {}}) is on: here every connection signs in with the methods offered, and anonymous sessions get a random authid, not the cookie',
  'config.notice.cookie_any_origin': () =>
    'cookie authentication with allowed_origins "*": pages of other sites may connect, but only a page of this host or of an origin listed here explicitly signs in by cookie; list your sites to make that plain',
  'config.notice.cookie_length': (length: number, used: number) => `${length} characters would be under 128 bits of randomness; Junction's cookies have ${used}`,
  'config.notice.cookie_http_only': () => 'Junction always marks the cookie HttpOnly: page scripts never read it',
  'config.notice.cookie_database': (path: string, crossbarDatabase: string) =>
    `Junction keeps the cookies of Crossbar's "database" store in its own lmdb store at ${path}; Crossbar's database at ${crossbarDatabase} is neither read nor changed (browsers bound there sign in with their other methods once); maxsize, sync and purge_on_startup are not used`,
  'config.notice.realm_store_database': (path: string, crossbarDatabase: string) =>
    `Junction keeps this realm's event history in its own lmdb store at ${path}; Crossbar's database at ${crossbarDatabase} is neither read nor changed (the history kept there does not carry over)`,
  'config.notice.fixed_transport_id': (id: string) =>
    `every long-poll open on this path gets the transport id "${id}", so anyone who knows it can use the newest session: for trying the protocol by hand only`,
  'config.notice.zero_limit': (fallback: number, unit: string) => `0 (no limit) is not offered by Junction; the default of ${fallback} ${unit} applies`,
} satisfies Record<string, (...args: never[]) => string>;

export type ProblemCode = keyof typeof problemMessages;
export type SchemaProblemCode = (typeof schemaProblemCodes)[number];
export type NoticeCode = keyof typeof noticeMessages;
export type ConfigCode = ProblemCode | SchemaProblemCode | NoticeCode;

/** Every code, for the catalogue check. */
export const configCodes: readonly ConfigCode[] = [
  ...(Object.keys(problemMessages) as ProblemCode[]),
  ...schemaProblemCodes,
  ...(Object.keys(noticeMessages) as NoticeCode[]),
];
