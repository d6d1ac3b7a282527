import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { debianNeed, skipWithoutDebian } from '../../support/debian.js';
import { startTestNode } from '../../support/node.js';
import { spawnOwned } from '../../support/processes.js';

/**
 * The Advanced Profile as a service written for Crossbar with Autobahn|Python (Debian's
 * python3-autobahn, asyncio) sees it: advanced_checks.py runs every check in one session and
 * reports what it saw; this file holds it to what the spec and Crossbar answer
 * (docs/crossbar-behaviour.md lists where Junction answers otherwise, and why).
 */

const python = debianNeed('python3').file;
// From dist/test/interop/python/ the project root is four levels up; the script is not compiled.
const script = fileURLToPath(new URL('../../../../test/interop/python/advanced_checks.py', import.meta.url));
const missing = skipWithoutDebian('python3-autobahn');

type Results = Record<string, any>;

/** Runs the checks against `url`; resolves with the script's report (bounded: the script gives up after 60 s). */
function runChecks(url: string): Promise<Results> {
  return new Promise((resolve, reject) => {
    const child = spawnOwned(python, [script, '--url', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('results '));
      if (code !== 0 || !line) return reject(new Error(`advanced_checks.py exited with ${code} and no results\n${stderr}`));
      const results = JSON.parse(line.slice('results '.length)) as Results;
      if (results.failed) return reject(new Error(`advanced_checks.py failed: ${results.failed}\n${stderr}`));
      resolve(results);
    });
  });
}

describe('Autobahn|Python - Advanced Profile', { skip: missing }, () => {
  let results: Results;
  let stop: () => Promise<void>;
  before(async () => {
    const node = await startTestNode();
    stop = () => node.stop();
    results = await runChecks(node.url);
  });
  after(() => stop?.());

  it('receives progressive results, and an error with its args and kwargs after some progress', () => {
    assert.deepEqual(results.progressive, { progress: [0, 1, 2], final: 'done' });
    assert.deepEqual(results.error_after_progress, { progress: ['started'], error: 'com.example.late_failure', args: ['half way'], kwargs: { step: 1 } });
    assert.deepEqual(results.error_round_trip, { error: 'com.example.refused', args: [1, 'two'], kwargs: { three: 3 } });
  });

  it('routes by exact > prefix > wildcard, naming the procedure or topic called', () => {
    assert.deepEqual(results.pattern_registrations, [
      ['exact', 'py.files.readme.read'], ['prefix', 'py.files.other.read'], ['wildcard', 'py.docs.intro.read'],
    ]);
    assert.deepEqual(results.pattern_subscriptions, [['prefix', 'py.news.sport'], ['wildcard', 'py.fire.alert']]);
  });

  it('interrupts a Python callee on cancel and on the call\'s timeout (in ms), and times out with wamp.error.timeout', () => {
    assert.equal(results.cancel_interrupts_python_callee, true);
    assert.equal(results.timeout_interrupts_python_callee, true);
    assert.equal(results.timeout.error, 'wamp.error.timeout');
  });

  it('answers REGISTER conflicts with Crossbar\'s URIs, and takes a procedure over with force_reregister', () => {
    assert.equal(results.register_taken.error, 'wamp.error.procedure_already_exists');
    assert.equal(results.register_shared_on_single.error, 'wamp.error.procedure_already_exists');
    assert.equal(results.register_other_policy.error, 'wamp.error.procedure_exists_with_different_invocation_policy');
    assert.equal(results.register_reserved.error, 'wamp.error.invalid_uri');
    assert.equal(results.call_unknown.error, 'wamp.error.no_such_procedure');
    assert.equal(results.force_reregister.answer, 'new');
    assert.equal(results.concurrency_refused.error, 'crossbar.error.max_concurrency_reached', 'RegisterOptions(concurrency=1), a second call');
    assert.equal(results.concurrency_first, 'served');
  });

  it('applies exclude_me, eligible and exclude lists by session and authrole; retains and acknowledges', () => {
    assert.deepEqual(results.blackwhite_listing, ['exclude_me false', 'eligible me', 'eligible my authrole']);
    assert.deepEqual(results.retained, [21.5, true]);
    assert.equal(results.acknowledged_publication_is_id, true);
    assert.deepEqual(results.own_retained_event, [], 'no retained event for the publisher its exclude_me kept it from');
  });

  it('answers the meta API, and its on_join / on_leave reach handlers written for Crossbar', () => {
    assert.deepEqual(results.session_get_keys, ['authid', 'authmethod', 'authprovider', 'authrole', 'session', 'transport']);
    assert.equal(results.session_get_unknown.error, 'wamp.error.no_such_session');
    assert.deepEqual([results.registration_get.uri, results.registration_get.match, results.registration_get.invoke], ['py.count', 'exact', 'single']);
    assert.equal(results.registration_callees, true);
    assert.equal(results.registration_match_none, null);
    assert.deepEqual(results.on_join_keys, ['authid', 'authmethod', 'authprovider', 'authrole', 'session', 'transport']);
    assert.equal(results.on_leave, true, 'on_leave(session_id) called with the visitor\'s ID: one argument and no kwargs, as Crossbar');
  });
});
