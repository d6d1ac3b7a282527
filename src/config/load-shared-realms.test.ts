import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDocument, loadDocument, problemsOf, realmWithRoles } from './test-support.js';

/**
 * Crossbar's SMP setup (crossbar-examples rlinks/smp_setup): router workers that each define
 * realm1 with the same roles, each with a Unix socket of its own, linked to each other by rlinks.
 */

const roles = ['anonymous', 'router2router'];

/** A link from worker `from` to the Unix socket of worker `to`, as smp_setup writes them. */
function linkTo(from: number, to: number, realm = 'realm1'): Record<string, unknown> {
  return {
    id: `rlink_${from}_${to}`,
    realm,
    transport: { type: 'rawsocket', endpoint: { type: 'unix', path: `edge${to}.sock` }, url: 'rs://localhost', serializer: 'cbor' },
    forward_local_events: false,
    forward_remote_events: true,
  };
}

function edgeWorker(index: number, rlinks: unknown[], realm: Record<string, unknown> = realmWithRoles('realm1', roles)): Record<string, unknown> {
  return {
    type: 'router',
    realms: [{ ...realm, rlinks }],
    transports: [{ type: 'rawsocket', endpoint: { type: 'unix', path: `edge${index}.sock` }, serializers: ['cbor'], auth: { anonymous: { type: 'static', role: 'router2router' } } }],
  };
}

/** Workers 1..count, each linked to all the others. */
function smpDocument(count: number): Record<string, unknown> {
  const indexes = Array.from({ length: count }, (_, index) => index + 1);
  const [first, ...others] = indexes.map((from) => edgeWorker(from, indexes.filter((to) => to !== from).map((to) => linkTo(from, to))));
  return configDocument(first!, others);
}

const mergedNotice = (worker: number) =>
  `workers[${worker}].realms[0]: the same realm as workers[0].realms[0], of another router worker: Junction runs one router, so it is one realm, ` +
  'whose sessions see each other\'s events and calls on every transport; start with --workers N (or auto) to use several processes [config.notice.realm_merged]';

describe('router workers that define the same realm (Crossbar\'s SMP setup)', () => {
  it('load it as one realm of the one router, with a notice per later copy; each worker\'s transports stay listeners', () => {
    const config = loadDocument(smpDocument(3));
    assert.deepEqual(config.realms.map((realm) => [realm.name, realm.roles.map((role) => role.name)]), [['realm1', roles]]);
    assert.deepEqual(config.listeners.map((listener) => [listener.kind, listener.endpoint.path]), [1, 2, 3].map((index) => ['rawsocket', `/srv/junction/edge${index}.sock`]));
    assert.ok(config.notices.includes(mergedNotice(1)) && config.notices.includes(mergedNotice(2)), config.notices.join('\n'));
  });

  it('ignore key order and the realms\' ids, which name a realm within its worker only', () => {
    const { name, roles: sameRoles } = realmWithRoles('realm1', roles) as { name: unknown; roles: unknown };
    const config = loadDocument(configDocument(edgeWorker(1, [], { id: 'realm001', name, roles: sameRoles }), [edgeWorker(2, [], { roles: sameRoles, id: 'realm002', name })]));
    assert.deepEqual(config.realms.map((realm) => realm.name), ['realm1']);
  });

  it('refuse definitions that differ, naming the first place; two in one worker stay a duplicate', () => {
    const other = realmWithRoles('realm1', roles);
    (other.roles as { permissions: { allow: Record<string, boolean> }[] }[])[1]!.permissions[0]!.allow.call = false;
    assert.deepEqual(problemsOf(configDocument(edgeWorker(1, []), [edgeWorker(2, []), edgeWorker(3, [], other)])), [
      'workers[2].realms[0].name: realm "realm1" is also defined by workers[0].realms[0], of another router worker, but they differ at workers[2].realms[0].roles[1].permissions[0].allow.call: ' +
        'Junction runs one router, so a realm several router workers define is one realm and its definitions must be the same (only their rlinks and ids may differ): ' +
        'make them the same, or rename one; start with --workers N (or auto) for several processes',
    ]);
    const strict = realmWithRoles('realm1', roles, { uri_check: 'strict' });
    assert.deepEqual(problemsOf(configDocument(edgeWorker(1, []), [edgeWorker(2, [], strict)])).map(differsAt), ['workers[1].realms[0].options']);
    const twice = { ...edgeWorker(2, []), realms: [realmWithRoles('realm1', roles), realmWithRoles('realm1', roles)] };
    assert.deepEqual(problemsOf(configDocument(edgeWorker(1, []), [twice])), [
      'workers[1].realms[1].name: duplicate realm name "realm1" (first defined at workers[1].realms[0].name)',
    ]);
  });

  it('leave out the links between the copies (to a sibling\'s Unix socket or port), with one notice counting them', () => {
    const config = loadDocument(smpDocument(3));
    assert.deepEqual(config.rlinks, []);
    assert.ok(
      config.notices.includes(
        'workers[0].realms[0].rlinks: 6 router links of realm "realm1" lead to transports of this node\'s router workers, which Junction serves as one router: ' +
          'they would link the realm to itself, so they were left out [config.notice.rlinks_to_itself]',
      ),
      config.notices.join('\n'),
    );
    const web = { type: 'websocket', endpoint: { type: 'tcp', port: 8080 } };
    const overTcp = { realm: 'realm1', transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: 8080 }, url: 'ws://127.0.0.1:8080/' } };
    const worker = edgeWorker(1, [overTcp]);
    const tcp = loadDocument(configDocument({ ...worker, transports: [...(worker.transports as unknown[]), web] }, [edgeWorker(2, [overTcp])]));
    assert.deepEqual(tcp.rlinks, []);
    assert.ok(tcp.notices.some((line) => line.startsWith('workers[0].realms[0].rlinks: 2 router links of realm "realm1" lead to')), tcp.notices.join('\n'));
    const absolute = { ...linkTo(1, 2), transport: { type: 'rawsocket', endpoint: { type: 'unix', path: '/srv/junction/./edge2.sock' }, serializer: 'cbor' } };
    assert.deepEqual(loadDocument(configDocument(edgeWorker(1, [absolute]), [edgeWorker(2, [])])).rlinks, [], 'a socket path from the config folder or absolute is one socket');
  });

  it('keep links that lead elsewhere: another socket or host, or another realm of this router', () => {
    const elsewhere = [
      { ...linkTo(1, 9), id: 'other_socket' },
      { ...linkTo(1, 2, 'realm2'), id: 'other_realm' },
      { id: 'other_host', realm: 'realm1', transport: { type: 'websocket', endpoint: { type: 'tcp', host: 'core.internal', port: 8080 }, url: 'ws://core.internal:8080/ws' } },
    ];
    const document = configDocument(edgeWorker(1, [linkTo(1, 2), ...elsewhere]), [edgeWorker(2, [linkTo(2, 1)]), { ...edgeWorker(3, []), realms: [realmWithRoles('realm2', roles)] }]);
    const config = loadDocument(document);
    assert.deepEqual(config.rlinks.map((link) => [link.id, link.localRealm, link.realm]), [
      ['other_socket', 'realm1', 'realm1'],
      ['other_realm', 'realm1', 'realm2'],
      ['other_host', 'realm1', 'realm1'],
    ]);
    assert.ok(config.notices.some((line) => line.startsWith('workers[0].realms[0].rlinks: 2 router links of realm "realm1"')), config.notices.join('\n'));
  });

  it('keep one of the links that each copy has to the same other router (apart from the id), or events would arrive once per copy', () => {
    const toCore = (id: string, host = 'core.internal') => ({ id, realm: 'realm1', transport: { type: 'rawsocket', serializer: 'cbor', endpoint: { type: 'tcp', host, port: 8091 } } });
    const document = configDocument(edgeWorker(1, [toCore('core_1')]), [edgeWorker(2, [toCore('core_2')]), edgeWorker(3, [toCore('core_3'), toCore('other_3', 'core2.internal')])]);
    const config = loadDocument(document);
    assert.deepEqual(config.rlinks.map((link) => link.id), ['core_1', 'other_3']);
    assert.ok(
      config.notices.includes(
        'workers[0].realms[0].rlinks: 2 router links of realm "realm1" repeat links of another router worker\'s copy of the realm (the same apart from the id): ' +
          'Junction\'s one realm keeps one of each, or every event would arrive once per copy [config.notice.rlinks_repeated]',
      ),
      config.notices.join('\n'),
    );
    const ownTwice = loadDocument(configDocument(edgeWorker(1, [toCore('a'), toCore('b')])));
    assert.deepEqual(ownTwice.rlinks.map((link) => link.id), ['a', 'b'], 'links of one worker are as written');
  });
});

function differsAt(line: string): string | undefined {
  return /but they differ at (\S+):/.exec(line)?.[1];
}
