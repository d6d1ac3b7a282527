import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firedShutdownTrigger } from './node-shutdown.js';

describe("Crossbar's node shutdown triggers, when a worker ends by itself", () => {
  const success = { successful: true, stillRunning: 1 };
  const error = { successful: false, stillRunning: 1 };
  const lastSuccess = { successful: true, stillRunning: 0 };

  it('shutdown_on_worker_exit fires at any exit', () => {
    for (const end of [success, error, lastSuccess]) assert.equal(firedShutdownTrigger(['shutdown_on_worker_exit'], end), 'shutdown_on_worker_exit');
  });

  it('shutdown_on_worker_exit_with_error fires at an error exit only', () => {
    assert.equal(firedShutdownTrigger(['shutdown_on_worker_exit_with_error'], success), undefined);
    assert.equal(firedShutdownTrigger(['shutdown_on_worker_exit_with_error'], lastSuccess), undefined);
    assert.equal(firedShutdownTrigger(['shutdown_on_worker_exit_with_error'], error), 'shutdown_on_worker_exit_with_error');
  });

  it('shutdown_on_last_worker_exit fires when no worker is left running, however it ended', () => {
    assert.equal(firedShutdownTrigger(['shutdown_on_last_worker_exit'], success), undefined);
    assert.equal(firedShutdownTrigger(['shutdown_on_last_worker_exit'], error), undefined);
    assert.equal(firedShutdownTrigger(['shutdown_on_last_worker_exit'], lastSuccess), 'shutdown_on_last_worker_exit');
    assert.equal(firedShutdownTrigger(['shutdown_on_last_worker_exit'], { successful: false, stillRunning: 0 }), 'shutdown_on_last_worker_exit');
  });

  it('shutdown_on_shutdown_requested alone, or none, never fires: the node keeps running', () => {
    for (const triggers of [['shutdown_on_shutdown_requested'] as const, []]) {
      for (const end of [success, error, lastSuccess]) assert.equal(firedShutdownTrigger(triggers, end), undefined);
    }
  });

  it('names the first that fires in Crossbar\'s order', () => {
    assert.equal(firedShutdownTrigger(['shutdown_on_last_worker_exit', 'shutdown_on_worker_exit_with_error'], { successful: false, stillRunning: 0 }), 'shutdown_on_worker_exit_with_error');
    assert.equal(firedShutdownTrigger(['shutdown_on_last_worker_exit', 'shutdown_on_worker_exit'], lastSuccess), 'shutdown_on_worker_exit');
  });
});
