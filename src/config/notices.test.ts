import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldWorkerNotices } from './notices.js';

const ignored = (worker: number): string => `workers[${worker}].options.cpu_affinity: the worker CPU affinity is ignored [config.notice.ignored]`;

describe('foldWorkerNotices', () => {
  it('writes the same notice of many workers once, naming them as ranges', () => {
    const notices = [0, 1, 2, 3, 5, 7, 8].map(ignored);
    assert.deepEqual(foldWorkerNotices(notices), ['workers[0-3, 5, 7-8].options.cpu_affinity: the worker CPU affinity is ignored [config.notice.ignored]']);
  });

  it('keeps notices that differ beyond the worker number apart, in the order they first came', () => {
    const shared = (worker: number): string => `workers[${worker}].transports[0]: the same transport as workers[0].transports[0] [config.notice.port_shared]`;
    const notices = [ignored(0), shared(1), 'realm "a": a notice of no worker', ignored(1), shared(2), 'workers[3].realms: no realms [config.notice.no_realms]'];
    assert.deepEqual(foldWorkerNotices(notices), [
      'workers[0-1].options.cpu_affinity: the worker CPU affinity is ignored [config.notice.ignored]',
      'workers[1-2].transports[0]: the same transport as workers[0].transports[0] [config.notice.port_shared]',
      'realm "a": a notice of no worker',
      'workers[3].realms: no realms [config.notice.no_realms]',
    ]);
  });

  it('leaves a single worker\'s notice and an empty list as they are', () => {
    assert.deepEqual(foldWorkerNotices([ignored(12)]), [ignored(12)]);
    assert.deepEqual(foldWorkerNotices([]), []);
  });
});
