import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MatchPolicy } from '../protocol/uri.js';
import type { Action } from '../router/hooks.js';
import { PermissionTable, type StaticPermission } from './static-authorizer.js';

const actions: Action[] = ['publish', 'subscribe', 'register', 'call'];
const none = { publish: false, subscribe: false, register: false, call: false };
const all = { publish: true, subscribe: true, register: true, call: true };

function permission(uri: string, match: MatchPolicy, allow: Partial<Record<Action, boolean>>, disclose = { caller: false, publisher: false }): StaticPermission {
  return { uri, match, allow: { ...none, ...allow }, disclose };
}

const decide = (table: PermissionTable, action: Action, uri: string) => table.authorize(undefined, action, uri);

/** For each policy: a pattern, URIs it matches and URIs it does not. */
const policies: Record<MatchPolicy, { pattern: string; matching: string[]; other: string[] }> = {
  exact: { pattern: 'com.example.add', matching: ['com.example.add'], other: ['com.example.add2', 'com.example', 'com.example.add.x'] },
  prefix: { pattern: 'com.example.', matching: ['com.example.add', 'com.example.a.b.c'], other: ['com.example', 'com.examples.add', 'org.example.add'] },
  wildcard: { pattern: 'com..add', matching: ['com.example.add', 'com.other.add'], other: ['com.add', 'com.example.add.x', 'org.example.add'] },
};

describe('static permissions: each action × match policy × allow/deny', () => {
  for (const action of actions) {
    for (const [policy, { pattern, matching, other }] of Object.entries(policies) as [MatchPolicy, typeof policies.exact][]) {
      for (const allowed of [true, false]) {
        it(`${allowed ? 'allows' : 'denies'} ${action} on a ${policy} permission "${pattern}"`, () => {
          const table = new PermissionTable([permission(pattern, policy, { [action]: allowed })]);
          for (const uri of matching) assert.equal(decide(table, action, uri).allow, allowed, uri);
          for (const uri of other) assert.equal(decide(table, action, uri).allow, false, `${uri} does not match`);
          for (const otherAction of actions.filter((a) => a !== action)) {
            assert.equal(decide(table, otherAction, matching[0]!).allow, false, `${otherAction} is not granted`);
          }
        });
      }
    }
  }

  it('denies everything when no permission matches, or the role has none', () => {
    assert.equal(decide(new PermissionTable([]), 'call', 'com.example.add').allow, false);
    assert.equal(decide(new PermissionTable([permission('org.', 'prefix', all)]), 'call', 'com.example.add').allow, false);
  });

  it('lets the empty prefix (Crossbar\'s "*") match every URI', () => {
    const table = new PermissionTable([permission('', 'prefix', all)]);
    for (const action of actions) assert.equal(decide(table, action, 'any.thing.at_all').allow, true);
  });

  it('judges the "everything" subscription (URI "", match prefix) by the permissions that match ""', () => {
    // The realm asks about the pattern itself: only a permission on the empty prefix covers it.
    assert.equal(decide(new PermissionTable([permission('', 'prefix', { subscribe: true })]), 'subscribe', '').allow, true);
    assert.equal(decide(new PermissionTable([permission('', 'prefix', { publish: true })]), 'subscribe', '').allow, false);
    const narrower = new PermissionTable([permission('com.', 'prefix', all), permission('com.example', 'exact', all), permission('com..x', 'wildcard', all)]);
    assert.equal(decide(narrower, 'subscribe', '').allow, false, 'a role allowed only below "com." may not subscribe to everything');
    const denyingEverything = new PermissionTable([permission('', 'prefix', none), permission('com.', 'prefix', all)]);
    assert.equal(decide(denyingEverything, 'subscribe', '').allow, false);
  });
});

describe('static permissions: the longest matching pattern decides', () => {
  const table = new PermissionTable([
    permission('', 'prefix', { subscribe: true }),
    permission('com.example.', 'prefix', all),
    permission('com.example.secret', 'exact', { subscribe: true }),
    permission('com.example.secret.', 'prefix', none),
    permission('com..public.notes', 'wildcard', { publish: true, subscribe: true }),
  ]);

  it('prefers a longer prefix, exact or wildcard pattern over a shorter one', () => {
    assert.equal(decide(table, 'call', 'com.example.add').allow, true, '"com.example." beats ""');
    assert.equal(decide(table, 'call', 'com.example.secret').allow, false, 'exact "com.example.secret" beats "com.example."');
    assert.equal(decide(table, 'subscribe', 'com.example.secret').allow, true);
    assert.equal(decide(table, 'subscribe', 'com.example.secret.x').allow, false, '"com.example.secret." beats the shorter patterns');
    assert.equal(decide(table, 'subscribe', 'org.thing').allow, true, 'only "" matches');
    assert.equal(decide(table, 'publish', 'com.example.public.notes').allow, true, 'wildcard "com..public.notes" (17) beats "com.example." (12)');
    assert.equal(decide(table, 'call', 'com.example.public.notes').allow, false, 'the winner decides every action; a shorter one never fills in');
  });

  it('breaks ties of equal length: exact, then prefix, then wildcard', () => {
    const tied = new PermissionTable([
      permission('com.a.', 'prefix', { call: true }),
      permission('com..b', 'wildcard', { publish: true }),
      permission('com.a', 'exact', { subscribe: true }),
      permission('com.a', 'prefix', { register: true }),
    ]);
    assert.equal(tied.decidingPermission('com.a.b')?.match, 'prefix', '"com.a." and "com..b" both have 6 characters');
    assert.equal(tied.decidingPermission('com.a')?.match, 'exact');
    assert.equal(tied.decidingPermission('com.ab')?.match, 'prefix');
    assert.equal(tied.decidingPermission('com.x.b')?.match, 'wildcard');
  });
});

describe('static permissions: disclosure', () => {
  const table = new PermissionTable([permission('app.', 'prefix', all, { caller: true, publisher: true })]);

  it('forces caller disclosure on call and publisher disclosure on publish', () => {
    assert.deepEqual(decide(table, 'call', 'app.x'), { allow: true, disclose: true });
    assert.deepEqual(decide(table, 'publish', 'app.x'), { allow: true, disclose: true });
    assert.deepEqual(decide(table, 'subscribe', 'app.x'), { allow: true });
    assert.deepEqual(decide(table, 'register', 'app.x'), { allow: true });
  });

  it('leaves disclosure to the client when the permission does not force it', () => {
    const plain = new PermissionTable([permission('app.', 'prefix', all)]);
    assert.deepEqual(decide(plain, 'call', 'app.x'), { allow: true });
  });
});

describe('static permissions: remembered decisions', () => {
  it('answers a repeated URI the same way, and stays bounded', () => {
    const table = new PermissionTable([permission('a.', 'prefix', { call: true }), permission('a.b', 'exact', {})], 2);
    for (let round = 0; round < 3; round++) {
      assert.equal(decide(table, 'call', 'a.x').allow, true);
      assert.equal(decide(table, 'call', 'a.b').allow, false);
      assert.equal(decide(table, 'call', 'z').allow, false);
    }
  });
});
