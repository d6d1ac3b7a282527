import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import type { ListenerConfig } from '../../config/model.js';
import { hostAllowList, hostCheckApplies, HostAllowList, misdirectedMessage } from './host-check.js';

function listener(overrides: Partial<ListenerConfig> = {}): ListenerConfig {
  return { id: 'web', kind: 'web', endpoint: { port: 8080, interface: '0.0.0.0' }, paths: {}, trustedProxies: [], ...overrides };
}

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe('the Host allow-list', () => {
  const defaults = hostAllowList(listener());

  it('allows IP literals, localhost and this machine\'s name, with or without a port', () => {
    for (const host of ['127.0.0.1', '127.0.0.1:8080', '10.1.2.3:80', '[::1]:8080', '[::1]', '[fd00::5]:9', 'localhost', 'LOCALHOST:8080', 'localhost.:8080', hostname(), `${hostname()}:8080`]) {
      assert.equal(defaults.allows(host), true, host);
    }
  });

  it('refuses any other name: the one a rebinding attacker points at us', () => {
    for (const host of ['evil.example:8080', 'evil.example', 'localhost.evil.example', '127.0.0.1.evil.example', 'a.localhost', '']) {
      assert.equal(defaults.allows(host), false, host);
    }
  });

  it('refuses a Host header that is not a host at all', () => {
    for (const host of ['::1', '[::1', 'evil.example/127.0.0.1', '127.0.0.1@evil.example', 'a b', 'localhost:port']) {
      assert.equal(defaults.allows(host), false, host);
    }
  });

  it('allows a request without Host (HTTP/1.0): no browser sends one', () => {
    assert.equal(defaults.allows(undefined), true);
  });

  it('adds the names of allowed_hosts: exact, every name below "*.", or any with "*"', () => {
    const list = hostAllowList(listener({ allowedHosts: ['router.example.com', '*.apps.example.org'] }));
    assert.equal(list.allows('router.example.com'), true);
    assert.equal(list.allows('Router.Example.Com.:443'), true);
    assert.equal(list.allows('www.router.example.com'), false);
    assert.equal(list.allows('a.apps.example.org'), true);
    assert.equal(list.allows('b.a.apps.example.org:8443'), true);
    assert.equal(list.allows('apps.example.org'), false, '"*." covers the names below, not the name itself');
    assert.equal(list.allows('evilapps.example.org'), false);
    assert.equal(new HostAllowList(['*']).allows('anything.example'), true);
  });

  it('allows the name the endpoint binds, when it is a name', () => {
    const list = hostAllowList(listener({ endpoint: { port: 8080, interface: 'router.lan' } }));
    assert.equal(list.allows('router.lan:8080'), true);
    assert.equal(list.allows('other.lan:8080'), false);
  });
});

describe('which requests the Host check applies to', () => {
  const rebinding = request({ host: 'evil.example:8080', origin: 'http://evil.example:8080' });
  const crossOrigin = request({ host: 'router.example.com', origin: 'https://app.example.com' });
  const plain = request({ host: 'evil.example:8080' });

  it('always: every request, a browser\'s or not', () => {
    for (const each of [rebinding, crossOrigin, plain]) assert.equal(hostCheckApplies('always', each), true);
  });

  it('browser: a request whose Origin names the Host it was sent to, as a rebinding page\'s WebSocket or POST does', () => {
    assert.equal(hostCheckApplies('browser', rebinding), true);
    assert.equal(hostCheckApplies('browser', request({ host: 'evil.example', origin: 'http://evil.example' })), true);
    assert.equal(hostCheckApplies('browser', request({ host: 'EVIL.example:8080', origin: 'http://evil.EXAMPLE:8080' })), true);
    assert.equal(hostCheckApplies('browser', request({ host: 'evil.example', origin: 'http://evil.example:8080' })), true, 'a proxy\'s "Host $host" drops the port');
    assert.equal(hostCheckApplies('browser', crossOrigin), false, 'another origin: CORS keeps the answer from the page');
    assert.equal(hostCheckApplies('browser', plain), false, 'no Origin: a GET, or no browser');
    assert.equal(hostCheckApplies('browser', request({ host: 'evil.example:8080', origin: 'null' })), false);
  });

  it('none: never', () => {
    assert.equal(hostCheckApplies('none', rebinding), false);
  });
});

describe("the 421 answer's text", () => {
  it('names the host to list in allowed_hosts without the Host header\'s port (allowed_hosts takes none)', () => {
    assert.match(misdirectedMessage('Evil.Example:8080'), /host name "evil\.example" .*add "evil\.example" to the transport's options\.allowed_hosts$/);
    assert.match(misdirectedMessage('[fe80::1%eth0]'), /host name "\[fe80::1%eth0\]" .*add its name to the transport's options\.allowed_hosts$/);
  });
});
