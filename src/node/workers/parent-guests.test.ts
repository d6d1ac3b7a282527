import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GuestConfig, JunctionConfig } from '../../config/model.js';
import type { Logger } from '../../router/log.js';
import { waitFor } from '../../../test/support/wait.js';
import type { GuestFiguresMessage } from './guest-metrics.js';
import { parentGuests } from './parent-guests.js';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => quiet };

const staying: GuestConfig = {
  id: 'staying', at: 'workers[1]', executable: process.execPath, arguments: ['-e', 'setInterval(() => {}, 1000)'], workdir: process.cwd(),
  env: { inherit: true, vars: {} }, stdin: { kind: 'open' }, stdout: 'log', stderr: 'log', maxLineBytes: 1000, linesPerSecond: 100,
};

/** Only the guests matter to the parent's guest tasks. */
const withGuests = (guests: GuestConfig[]) => ({ guests, shutdownTriggers: ['shutdown_on_worker_exit'] }) as unknown as JunctionConfig;

describe('the guest workers of a --workers parent', () => {
  it('report nothing while no guest has run, then every second what runs; a reload that removes every guest sends an empty report', async () => {
    let file = withGuests([staying]);
    const tasks = parentGuests(file, async () => ({ ok: true, config: file }), quiet);
    try {
      assert.equal(tasks.report!(), undefined);
      tasks.serving(() => assert.fail('no guest ended by itself'));
      const report = () => tasks.report!() as GuestFiguresMessage | undefined;
      await waitFor(() => report()?.figures.running.some(({ labels }) => labels.guest === 'staying') === true, 'the guest reported');
      file = withGuests([]);
      tasks.reload();
      await waitFor(() => report()?.figures.running.length === 0, 'an empty report once the guest was removed');
    } finally {
      await tasks.stop();
    }
  });

  it('stop the node (the workers and the parent, exit code 1) when a guest that ends fires a shutdown trigger', async () => {
    const tasks = parentGuests(withGuests([{ ...staying, id: 'ending', arguments: ['-e', 'process.exit(0)'] }]), async () => assert.fail('no reload'), quiet);
    try {
      const codes: number[] = [];
      tasks.serving((code) => codes.push(code));
      await waitFor(() => codes.length > 0, 'the node stopped');
      assert.deepEqual(codes, [1]);
    } finally {
      await tasks.stop();
    }
  });
});
