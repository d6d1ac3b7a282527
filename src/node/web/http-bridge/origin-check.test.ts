import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import type { ClientAddress } from '../service-context.js';
import { isSameOrigin, OriginGate } from './origin-check.js';
import { Refusal } from './refusal.js';

const plain: ClientAddress = { address: '127.0.0.1', family: 'IPv4', port: 1, secure: false, label: 'tcp4:127.0.0.1:1' };
const overTls: ClientAddress = { ...plain, secure: true };

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

/** A response that only records the headers set on it. */
function recorder(): ServerResponse & { set: Record<string, string> } {
  const set: Record<string, string> = {};
  return { set, setHeader: (name: string, value: string) => (set[name] = value) } as unknown as ServerResponse & { set: Record<string, string> };
}

/** "pass", "cors <origin>" or the refusal's status and code. */
function outcome(gate: OriginGate, headers: Record<string, string>, client = plain): string {
  const response = recorder();
  try {
    gate.check(request(headers), client, response);
  } catch (error) {
    assert.ok(error instanceof Refusal);
    return `${error.status} ${error.code}`;
  }
  const granted = response.set['access-control-allow-origin'];
  return granted === undefined ? 'pass' : `cors ${granted}`;
}

describe('isSameOrigin', () => {
  it('is the same origin for the same host name and port, or the same name when a proxy dropped the port', () => {
    assert.equal(isSameOrigin('http://127.0.0.1:8080', '127.0.0.1:8080', false), true);
    assert.equal(isSameOrigin('http://Router.Example:8080', 'router.example:8080', false), true);
    assert.equal(isSameOrigin('http://[::1]:8080', '[::1]:8080', false), true);
    assert.equal(isSameOrigin('https://app.example.com', 'app.example.com:443', true), true);
    assert.equal(isSameOrigin('http://app.example.com', 'app.example.com:80', false), true);
    assert.equal(isSameOrigin('https://app.example.com:8443', 'app.example.com', false), true, 'a proxy\'s "Host $host" has no port');
    assert.equal(isSameOrigin('https://app.example.com', 'app.example.com', false), true, 'TLS ended at a proxy that does not say so');
  });

  it('is another origin for another name, another port, http: over TLS, "null" or no URL', () => {
    assert.equal(isSameOrigin('http://evil.example', '127.0.0.1:8080', false), false);
    assert.equal(isSameOrigin('http://127.0.0.1:9090', '127.0.0.1:8080', false), false);
    assert.equal(isSameOrigin('https://app.example.com', 'app.example.com:80', false), false);
    assert.equal(isSameOrigin('http://app.example.com', 'app.example.com', true), false);
    assert.equal(isSameOrigin('null', '127.0.0.1:8080', false), false);
    assert.equal(isSameOrigin('not a url', '127.0.0.1:8080', false), false);
    assert.equal(isSameOrigin('file:///etc', 'localhost', false), false);
    assert.equal(isSameOrigin('http://127.0.0.1:8080', undefined, false), false);
  });
});

describe('OriginGate', () => {
  const host = '127.0.0.1:8080';

  it('lets requests without Origin (backends) and same-origin pages pass, with no CORS headers', () => {
    const gate = new OriginGate([]);
    assert.equal(outcome(gate, { host }), 'pass');
    assert.equal(outcome(gate, { host, origin: 'http://127.0.0.1:8080' }), 'pass');
  });

  it('refuses another site and "null" with 403 origin_not_allowed, naming both sides and the option', () => {
    const gate = new OriginGate([]);
    assert.equal(outcome(gate, { host, origin: 'https://evil.example' }), '403 origin_not_allowed');
    assert.equal(outcome(gate, { host, origin: 'null' }), '403 origin_not_allowed');
    assert.throws(() => gate.check(request({ host, origin: 'https://evil.example' }), plain, recorder()),
      /a page of "https:\/\/evil\.example" may not post to "127\.0\.0\.1:8080".*allowed_origins/);
    assert.throws(() => gate.check(request({ host, origin: 'null' }), plain, recorder()), /no origin \("null"/);
  });

  it('grants a listed origin, by pattern and case-insensitively, CORS on its answer; "null" only when listed', () => {
    const gate = new OriginGate(['https://*.example.com', 'null']);
    assert.equal(outcome(gate, { host, origin: 'https://app.Example.com' }), 'cors https://app.Example.com');
    assert.equal(outcome(gate, { host, origin: 'null' }), 'cors null');
    assert.equal(outcome(gate, { host, origin: 'https://example.com.evil.example' }), '403 origin_not_allowed');
    assert.equal(outcome(new OriginGate(['*']), { host, origin: 'https://anyone.example' }), 'cors https://anyone.example');
  });

  it('answers a preflight with a grant for a listed origin only', () => {
    const gate = new OriginGate(['https://app.example.com']);
    assert.deepEqual(gate.preflightHeaders(request({ host, origin: 'https://evil.example' })), {});
    assert.deepEqual(gate.preflightHeaders(request({ host })), {});
    const granted = gate.preflightHeaders(request({ host, origin: 'https://app.example.com' }));
    assert.equal(granted['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(granted['access-control-allow-methods'], 'POST, PUT');
    assert.equal(granted['access-control-allow-headers'], 'content-type');
    assert.equal(granted['access-control-allow-credentials'], undefined, 'the bridge reads no cookies: none are asked for');
  });

  it("believes a browser's Sec-Fetch-Site: same-origin (a proxy rewrote the Host), and only that value", () => {
    const gate = new OriginGate([]);
    const proxied = { host: '127.0.0.1:8080', origin: 'https://app.example.com' };
    assert.equal(outcome(gate, { ...proxied, 'sec-fetch-site': 'same-origin' }), 'pass');
    assert.equal(outcome(gate, { ...proxied, 'sec-fetch-site': 'same-site' }), '403 origin_not_allowed');
    assert.equal(outcome(gate, { ...proxied, 'sec-fetch-site': 'cross-site' }), '403 origin_not_allowed');
  });

  it('refuses a page of http: on a request that came over TLS, as another origin', () => {
    assert.equal(outcome(new OriginGate([]), { host: 'app.example.com', origin: 'http://app.example.com' }, overTls), '403 origin_not_allowed');
  });
});
