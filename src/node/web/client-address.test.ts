import assert from 'node:assert/strict';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { clientAddressReader } from './client-address.js';

/** Just what the reader looks at: the TCP peer and the headers. */
function request(remoteAddress: string, headers: IncomingHttpHeaders = {}, options: { port?: number; tls?: boolean } = {}): IncomingMessage {
  return { socket: { remoteAddress, remotePort: options.port ?? 40000, encrypted: options.tls }, headers } as unknown as IncomingMessage;
}

const behindNginx = clientAddressReader(['127.0.0.1', '10.0.0.0/8']);
const direct = clientAddressReader([]);

describe('clientAddressReader', () => {
  it('without trusted proxies, the TCP peer is the client and X-Forwarded-For is not believed', () => {
    const address = direct(request('198.51.100.4', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' }, { port: 5555 }));
    assert.deepEqual(address, { address: '198.51.100.4', port: 5555, secure: false, family: 'IPv4', label: 'tcp4:198.51.100.4:5555' });
  });

  it('believes the header only when the TCP peer is a trusted proxy', () => {
    const untrusted = behindNginx(request('198.51.100.4', { 'x-forwarded-for': '203.0.113.9' }, { port: 5555 }));
    assert.equal(untrusted.label, 'tcp4:198.51.100.4:5555');
    const trusted = behindNginx(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }));
    assert.deepEqual(trusted, { address: '203.0.113.9', port: 0, secure: false, family: 'IPv4', label: 'tcp4:203.0.113.9:0' });
  });

  it('walks a chain from the right past every trusted proxy, and no further', () => {
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.9, 10.1.2.3' })).address, '203.0.113.9');
    // A client-written hop left of the first untrusted address is never believed.
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': '1.1.1.1, 203.0.113.9, 10.1.2.3' })).address, '203.0.113.9');
    // Only trusted proxies in the header: the leftmost of them is as far as anyone vouches.
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': '10.0.0.1, 10.0.0.2' })).address, '10.0.0.1');
  });

  it('reads several X-Forwarded-For headers as one list', () => {
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': ['192.0.2.1', '203.0.113.9'] as unknown as string })).address, '203.0.113.9');
  });

  it('stops at garbage: nothing left of a hop that is not an address is believed', () => {
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': '1.1.1.1, not-an-ip, 203.0.113.9' })).address, '203.0.113.9');
    // The garbage is right of the client: the last trusted address is all that is vouched for.
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.9, <script>, 10.0.0.7' })).address, '10.0.0.7');
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': 'unknown' }, { port: 7 })).label, 'tcp4:127.0.0.1:7');
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': ' , ,' }, { port: 7 })).label, 'tcp4:127.0.0.1:7');
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': '999.1.1.1' }, { port: 7 })).label, 'tcp4:127.0.0.1:7');
  });

  it('keeps the proxy as the client when it sends no X-Forwarded-For', () => {
    assert.equal(behindNginx(request('10.9.9.9', {}, { port: 8 })).label, 'tcp4:10.9.9.9:8');
  });

  it('reads hops with a port or in brackets, as some proxies write them', () => {
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.9:4711' })).address, '203.0.113.9');
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': '[2001:db8::7]:4711' })).address, '2001:db8::7');
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': '[2001:db8::7]' })).address, '2001:db8::7');
  });

  it('labels IPv6 clients tcp6', () => {
    const address = behindNginx(request('127.0.0.1', { 'x-forwarded-for': '2001:db8::7' }));
    assert.deepEqual(address, { address: '2001:db8::7', port: 0, secure: false, family: 'IPv6', label: 'tcp6:2001:db8::7:0' });
    assert.equal(direct(request('::1', {}, { port: 9 })).label, 'tcp6:::1:9');
  });

  it('gives IPv4-mapped IPv6 addresses in their IPv4 form, for peers and for hops', () => {
    assert.equal(direct(request('::ffff:198.51.100.4', {}, { port: 9 })).label, 'tcp4:198.51.100.4:9');
    // A dual-stack socket reports the proxy as ::ffff:127.0.0.1: still the trusted 127.0.0.1.
    assert.equal(behindNginx(request('::ffff:127.0.0.1', { 'x-forwarded-for': '::FFFF:203.0.113.9' })).label, 'tcp4:203.0.113.9:0');
  });

  it('takes X-Forwarded-Proto from a trusted proxy only; our own TLS always counts', () => {
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'HTTPS' })).secure, true);
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-proto': 'https, http' })).secure, true);
    assert.equal(behindNginx(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http' })).secure, false);
    assert.equal(behindNginx(request('198.51.100.4', { 'x-forwarded-proto': 'https' })).secure, false);
    assert.equal(direct(request('198.51.100.4', { 'x-forwarded-proto': 'http' }, { tls: true })).secure, true);
  });

  it('refuses a trusted_proxies entry that is not an address or range', () => {
    assert.throws(() => clientAddressReader(['127.0.0.1', 'nginx.local']), /"nginx\.local" is not an IP address or range/);
  });
});
