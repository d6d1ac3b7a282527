import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadCbdir, loadConfigFile } from './load.js';
import { ConfigError } from './problems.js';

const config = (port: number) => `version: 2
workers:
  - type: router
    realms: [{ name: realm1, roles: [] }]
    transports:
      - type: websocket
        endpoint: { type: tcp, port: ${port}, tls: { key: keys/server.key, certificate: server.crt } }
`;

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('loading files and folders', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves relative TLS files against the config file folder', async () => {
    const file = join(dir, 'tls.yaml');
    await writeFile(file, config(8443));
    const tls = (await loadConfigFile(file)).listeners[0]!.endpoint.tls;
    assert.deepEqual(tls, { key: join(dir, 'keys/server.key'), certificate: join(dir, 'server.crt'), chainCertificates: [] });
  });

  it('names the file in every problem line', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, config(99999));
    assert.equal(await rejection(loadConfigFile(file)), `${file}:7:38: workers[0].transports[0].endpoint.port: expected a port number from 0 to 65535 [config.value]`);
  });

  it('reports a missing file as a problem', async () => {
    const file = join(dir, 'missing.json');
    assert.equal(await rejection(loadConfigFile(file)), `${file}: cannot read the file: no such file (ENOENT) [config.file.unreadable]`);
  });

  it('a cbdir that is not there, or is a file, is named as such', async () => {
    const absent = join(dir, 'no-such-cbdir');
    assert.equal(await rejection(loadCbdir(absent)), `${absent}: no such folder ("junction init DIR" writes a starter config.yaml into one) [config.cbdir.missing]`);
    const file = join(dir, 'a-file');
    await writeFile(file, config(9000));
    assert.equal(await rejection(loadCbdir(file)), `${file}: not a folder: give a config file with --config FILE [config.cbdir.not_folder]`);
  });

  it('a cbdir holds config.json or config.yaml, not both and not neither', async () => {
    const cbdir = await mkdtemp(join(dir, 'cbdir-'));
    assert.equal(await rejection(loadCbdir(cbdir)), `${cbdir}: no config.json or config.yaml in this folder [config.cbdir.no_file]`);
    await writeFile(join(cbdir, 'config.yaml'), config(9000));
    assert.equal((await loadCbdir(cbdir)).listeners[0]!.endpoint.port, 9000);
    await writeFile(join(cbdir, 'config.json'), '{}');
    assert.equal(
      await rejection(loadCbdir(cbdir)),
      `${cbdir}: both config.json and config.yaml exist; keep one so it is clear which is used [config.cbdir.two_files]`,
    );
  });
});
