import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type { ClientAddress } from '../service-context.js';
import { cgiEnvironment, type ScriptRequest } from './cgi-environment.js';

function request(url: string, headers: Record<string, string | string[]>, method = 'GET'): IncomingMessage {
  return { url, method, httpVersion: '1.0', headers, socket: { localAddress: '10.0.0.5', localPort: 8080 } } as unknown as IncomingMessage;
}

const client: ClientAddress = { address: '203.0.113.9', family: 'IPv4', port: 0, secure: false, label: 'tcp4:203.0.113.9:0' };
const script: ScriptRequest = { scriptName: '/cgi/a.py', scriptFilename: '/srv/cgi/a.py', pathInfo: '/x/y z', contentLength: 3, client, serverSoftware: 'Junction/1.0.0' };

describe('the CGI/1.1 environment of a request', () => {
  it('RFC 3875\'s variables, and PATH, HOME and LANG alone of the router\'s environment', () => {
    const saved = process.env.CGI_UNIT_SECRET;
    process.env.CGI_UNIT_SECRET = 'not for scripts';
    try {
      const env = cgiEnvironment(request('/cgi/a.py/x/y%20z?q=1', { host: 'example.org:8443', 'content-type': 'text/plain', 'content-length': '3' }, 'PUT'), script);
      assert.deepEqual(env, {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: process.env.HOME ?? '/', LANG: process.env.LANG ?? 'C.UTF-8',
        HTTP_HOST: 'example.org:8443',
        GATEWAY_INTERFACE: 'CGI/1.1', SERVER_SOFTWARE: 'Junction/1.0.0', SERVER_NAME: 'example.org', SERVER_PORT: '8080', SERVER_PROTOCOL: 'HTTP/1.0',
        REQUEST_METHOD: 'PUT', REQUEST_URI: '/cgi/a.py/x/y%20z?q=1', SCRIPT_NAME: '/cgi/a.py', SCRIPT_FILENAME: '/srv/cgi/a.py', PATH_INFO: '/x/y z',
        QUERY_STRING: 'q=1', REMOTE_ADDR: '203.0.113.9', CONTENT_LENGTH: '3', CONTENT_TYPE: 'text/plain', REDIRECT_STATUS: '200',
      });
    } finally {
      if (saved === undefined) delete process.env.CGI_UNIT_SECRET;
      else process.env.CGI_UNIT_SECRET = saved;
    }
  });

  it('headers become HTTP_*, except Proxy (httpoxy) and names that would collide with another\'s ("_")', () => {
    const env = cgiEnvironment(request('/cgi/a.py', { 'x-forwarded-for': '1.2.3.4', proxy: 'http://evil', x_forwarded_for: 'spoof', 'x-many': ['a', 'b'] }), script);
    assert.equal(env.HTTP_X_FORWARDED_FOR, '1.2.3.4');
    assert.equal(env.HTTP_X_MANY, 'a, b');
    assert.equal(env.HTTP_PROXY, undefined);
    assert.equal(Object.keys(env).filter((name) => name.startsWith('HTTP_')).length, 2);
  });

  it('no query: an empty QUERY_STRING; no path after the script: no PATH_INFO; TLS: HTTPS=on; no Host: the local address', () => {
    const env = cgiEnvironment(request('/cgi/a.py', {}), { ...script, pathInfo: '', client: { ...client, secure: true } });
    assert.equal(env.QUERY_STRING, '');
    assert.equal(env.PATH_INFO, undefined);
    assert.equal(env.HTTPS, 'on');
    assert.equal(env.SERVER_NAME, '10.0.0.5');
    assert.equal(cgiEnvironment(request('/', { host: '[::1]:8080' }), script).SERVER_NAME, '[::1]');
  });
});
