import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { keysOf, readScramCredential } from '../../auth/scram-keys.js';
import { scramHmacKey } from '../../auth/scram-password.js';
import { run } from './scram-principal.js';

async function capture(argv: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) }, Readable.from([stdin]));
  return { code, stdout, stderr };
}

describe('junction scram-principal', () => {
  it('prints a principal whose keys come from the password on stdin, with a random salt', async () => {
    const { code, stdout, stderr } = await capture(['--role', 'user', '--kdf', 'argon2id-13', '--iterations', '2', '--memory', '64'], 's3cret pass\nignored');
    assert.equal([code, stderr].join(), '0,');
    const principal = JSON.parse(stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(principal), ['kdf', 'iterations', 'memory', 'salt', 'stored-key', 'server-key', 'role']);
    assert.deepEqual([principal.kdf, principal.iterations, principal.memory, principal.role], ['argon2id-13', 2, 64, 'user']);
    assert.match(principal.salt as string, /^[0-9a-f]{32}$/);
    const salted = await scramHmacKey('s3cret pass', { kdf: 'argon2id-13', iterations: 2, memory: 64, salt: Buffer.from(principal.salt as string, 'hex') });
    assert.equal(keysOf(salted).storedKey.toString('hex'), principal['stored-key']);
    assert.equal(keysOf(salted).serverKey.toString('hex'), principal['server-key']);
    const credential = readScramCredential({ ...principal, storedKey: principal['stored-key'], serverKey: principal['server-key'] });
    assert.equal(typeof credential, 'object');

    const again = JSON.parse((await capture(['--role', 'user', '--kdf', 'argon2id-13', '--iterations', '2', '--memory', '64'], 's3cret pass')).stdout);
    assert.notEqual(again.salt, principal.salt);
  });

  it('makes PBKDF2 principals without a memory cost', async () => {
    const { code, stdout } = await capture(['--role', 'device', '--kdf', 'pbkdf2', '--iterations', '1000'], 'pw\n');
    assert.equal(code, 0);
    assert.deepEqual(Object.keys(JSON.parse(stdout)), ['kdf', 'iterations', 'salt', 'stored-key', 'server-key', 'role']);
  });

  it('refuses a missing role, an unknown kdf, a bad count and an empty password, saying which', async () => {
    assert.match((await capture([], 'pw')).stderr, /--role is required/);
    assert.match((await capture(['--role', 'r', '--kdf', 'scrypt'], 'pw')).stderr, /--kdf must be one of argon2id-13, argon2id13, pbkdf2/);
    assert.match((await capture(['--role', 'r', '--iterations', '0'], 'pw')).stderr, /--iterations must be a positive integer/);
    assert.match((await capture(['--role', 'r', '--kdf', 'pbkdf2', '--memory', '64'], 'pw')).stderr, /--memory applies to Argon2 only/);
    const empty = await capture(['--role', 'r', '--kdf', 'pbkdf2'], '\n');
    assert.deepEqual([empty.code, empty.stderr], [1, 'junction scram-principal: no password on stdin\n']);
  });
});
