import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TlsConfig } from '../config/model.js';
import { tlsWarningText, withTlsWarnings } from './tls-warnings.js';

const tls: TlsConfig = { key: '/etc/k.pem', certificate: '/etc/c.pem', chainCertificates: [], dhparam: '/etc/dh.pem' };

/** The warnings Node emits (on 'warning') while `run` runs and until the next turn. */
async function emittedWarnings(run: () => void): Promise<string[]> {
  const seen: string[] = [];
  const listener = (warning: Error) => seen.push(`${warning.name}: ${warning.message}`);
  process.on('warning', listener);
  try {
    run();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('TLS warnings', () => {
  it('keeps a SecurityWarning from stderr and returns it; other warnings go on to Node', async () => {
    let caught: string[] = [];
    const emitted = await emittedWarnings(() => {
      const result = withTlsWarnings(() => {
        process.emitWarning('DH parameter is less than 2048 bits', 'SecurityWarning');
        process.emitWarning(Object.assign(new Error('weak cipher'), { name: 'SecurityWarning' }));
        process.emitWarning('something else', 'ExperimentalWarning');
        return 42;
      });
      assert.equal(result.value, 42);
      caught = result.warnings;
    });
    assert.deepEqual(caught, ['DH parameter is less than 2048 bits', 'weak cipher']);
    assert.deepEqual(emitted, ['ExperimentalWarning: something else']);
  });

  it('only while the context is made: afterwards, and after a throw, SecurityWarnings reach Node again', async () => {
    const original = process.emitWarning;
    assert.throws(() => withTlsWarnings(() => { throw new Error('bad key'); }), /bad key/);
    assert.equal(process.emitWarning, original);
    const emitted = await emittedWarnings(() => process.emitWarning('later', 'SecurityWarning'));
    assert.deepEqual(emitted, ['SecurityWarning: later']);
  });

  it('names the transport, the dhparam file and the fix; any other warning is passed on with the transport', () => {
    assert.equal(tlsWarningText('transport "t"', tls, 'DH parameter is less than 2048 bits'),
      'transport "t": endpoint.tls.dhparam /etc/dh.pem: DH parameter is less than 2048 bits, which is weak; make 2048-bit parameters with ' +
      '"openssl dhparam -out /etc/dh.pem 2048" (or remove dhparam: ECDHE key exchange needs none)');
    assert.equal(tlsWarningText('transport "t"', tls, 'weak cipher'), 'transport "t": endpoint.tls: Node\'s TLS warns: weak cipher');
  });
});
