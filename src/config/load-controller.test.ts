import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from './load.js';
import type { JunctionConfig } from './model.js';
import { configDocument, problemLinesOf } from './test-support.js';

function withController(controller: unknown): unknown {
  return { ...configDocument({}), controller };
}

function load(document: unknown): JunctionConfig {
  return parseConfig(document, { source: 'test', env: {} });
}

function problems(document: unknown): string[] {
  return problemLinesOf(() => load(document));
}

describe("the node controller's shutdown triggers (controller.options.shutdown)", () => {
  it("default to Crossbar's standalone node: the node stops when any worker exits", () => {
    assert.deepEqual(load(configDocument({})).shutdownTriggers, ['shutdown_on_worker_exit']);
    assert.deepEqual(load(withController({})).shutdownTriggers, ['shutdown_on_worker_exit']);
    assert.deepEqual(load(withController({ options: { title: 'node1' } })).shutdownTriggers, ['shutdown_on_worker_exit']);
  });

  it('read each mode, a list of several, an empty list (the node keeps running) and one mode as a string, as Crossbar does', () => {
    for (const mode of ['shutdown_on_shutdown_requested', 'shutdown_on_worker_exit', 'shutdown_on_worker_exit_with_error', 'shutdown_on_last_worker_exit']) {
      assert.deepEqual(load(withController({ options: { shutdown: [mode] } })).shutdownTriggers, [mode]);
    }
    const both = ['shutdown_on_worker_exit_with_error', 'shutdown_on_last_worker_exit'];
    assert.deepEqual(load(withController({ options: { shutdown: [...both, both[0]] } })).shutdownTriggers, both);
    assert.deepEqual(load(withController({ options: { shutdown: [] } })).shutdownTriggers, []);
    assert.deepEqual(load(withController({ options: { shutdown: 'shutdown_on_last_worker_exit' } })).shutdownTriggers, ['shutdown_on_last_worker_exit']);
  });

  it('refuse an unknown mode, naming the permissible ones, and a value that is no list', () => {
    assert.deepEqual(problems(withController({ options: { shutdown: ['shutdown_on_worker_exit', 'shutdown_on_crash'] } })), [
      "test: controller.options.shutdown[1]: invalid shutdown mode \"shutdown_on_crash\" (permissible values: 'shutdown_on_shutdown_requested', 'shutdown_on_worker_exit', 'shutdown_on_worker_exit_with_error', 'shutdown_on_last_worker_exit')",
    ]);
    assert.deepEqual(problems(withController({ options: { shutdown: 3 } })), ["test: controller.options.shutdown: expected a list of shutdown modes"]);
  });

  it("keep ignoring the controller's other options, one notice each", () => {
    assert.deepEqual(load(withController({ options: { title: 'node1', shutdown: ['shutdown_on_worker_exit'] } })).notices, [
      'controller.options.title: a node controller option (process title, ...) is not needed by Junction and was ignored [config.notice.ignored]',
    ]);
  });
});
