import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from './check.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
}

const good = `{
  "version": 2,
  "workers": [
    {
      "type": "router",
      "options": { "pythonpath": [".."] },
      "realms": [{ "name": "realm1", "roles": [] }, { "name": "realm2", "roles": [] }],
      "transports": [{ "type": "websocket", "endpoint": { "type": "tcp", "port": 9000 } }]
    }
  ]
}
`;

describe('junction check', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-check-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a summary and the notices of a good file', async () => {
    const file = join(dir, 'good.json');
    await writeFile(file, good);
    const { out, io } = capture();
    assert.equal(await run(['--config', file], io), 0);
    assert.equal(
      out.stdout,
      `${file}: ok (2 realms, 1 transport)\n` +
        '  notice: workers[0].options.pythonpath: the Python module search path (pythonpath) is not needed by Junction and was ignored\n',
    );
    assert.equal(out.stderr, '');
  });

  it('prints every problem with its line and exits 1', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, good.replace('"realm2"', '"realm1"').replace('9000', '"nine"'));
    const { out, io } = capture();
    assert.equal(await run(['--config', file], io), 1);
    assert.equal(
      out.stderr,
      `${file}: 2 problems\n` +
        `${file}:7:63: workers[0].realms[1].name: duplicate realm name "realm1" (first defined at workers[0].realms[0].name)\n` +
        `${file}:8:82: workers[0].transports[0].endpoint.port: expected a port number from 0 to 65535\n`,
    );
    assert.equal(out.stdout, '');
  });

  it('checks a cbdir', async () => {
    const cbdir = await mkdtemp(join(dir, 'cbdir-'));
    await writeFile(join(cbdir, 'config.json'), good);
    const { out, io } = capture();
    assert.equal(await run(['--cbdir', cbdir], io), 0);
    assert.match(out.stdout, new RegExp(`^${join(cbdir, 'config.json')}: ok \\(2 realms, 1 transport\\)\n`));
  });

  it('refuses unknown options and --config with --cbdir (exit 2)', async () => {
    const { out, io } = capture();
    assert.equal(await run(['--confg', 'x'], io), 2);
    assert.match(out.stderr, /^junction check: Unknown option '--confg'/);
    assert.equal(await run(['--config', 'a', '--cbdir', 'b'], io), 2);
    assert.match(out.stderr, /give either --config or --cbdir, not both/);
  });
});
