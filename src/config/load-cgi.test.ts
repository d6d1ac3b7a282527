import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cgiDefaults } from './schema-cgi.js';
import { pathServiceModel, problemsOf, webDocument } from './test-support.js';

describe('cgi path: Crossbar\'s keys and their model', () => {
  it('directory (against the config folder) and processor, with Junction\'s bounds by default', () => {
    assert.deepEqual(pathServiceModel({ type: 'cgi', id: 'scripts', directory: '../cgi', processor: '/usr/bin/python3' }), {
      type: 'cgi', directory: '/srv/cgi', processor: '/usr/bin/python3',
      options: {
        timeoutMs: cgiDefaults.timeoutMs, maxRequestsInFlight: cgiDefaults.maxRequestsInFlight,
        maxRequestBodyBytes: cgiDefaults.maxRequestBodyBytes, maxResponseHeaderBytes: cgiDefaults.maxResponseHeaderBytes,
      },
    });
  });

  it('an absolute directory, a processor on PATH, and Junction\'s options', () => {
    const service = { type: 'cgi', directory: '/var/www/cgi-bin', processor: 'php-cgi', options: { timeout: 5000, max_requests_in_flight: 2, max_request_body_bytes: 4096, max_response_header_bytes: 1024 } } as const;
    assert.deepEqual(pathServiceModel(service), {
      type: 'cgi', directory: '/var/www/cgi-bin', processor: 'php-cgi',
      options: { timeoutMs: 5000, maxRequestsInFlight: 2, maxRequestBodyBytes: 4096, maxResponseHeaderBytes: 1024 },
    });
  });

  it('refuses a missing directory or processor, a relative processor path and bounds that cannot hold', () => {
    assert.deepEqual(problemsOf(webDocument({
      a: { type: 'cgi' },
      b: { type: 'cgi', directory: '', processor: 'bin/python3', filter: 'x' },
      c: { type: 'cgi', directory: 'cgi', processor: '/usr/bin/php', options: { timeout: 0, max_requests_in_flight: 0, max_request_body_bytes: 0, max_response_header_bytes: 2 * 1024 * 1024 } },
    })), [
      'workers[0].transports[0].paths.a.directory: missing: "directory", the folder of the CGI scripts',
      'workers[0].transports[0].paths.a.processor: missing: "processor", the program that runs a script (like "/usr/bin/python3")',
      'workers[0].transports[0].paths.b.directory: must not be empty',
      'workers[0].transports[0].paths.b.processor: expected an absolute path like "/usr/bin/python3", or a program name found on PATH like "python3"',
      'workers[0].transports[0].paths.b.filter: unknown key "filter"',
      'workers[0].transports[0].paths.c.options.timeout: expected at least 1 ms',
      'workers[0].transports[0].paths.c.options.max_requests_in_flight: expected a positive integer',
      'workers[0].transports[0].paths.c.options.max_request_body_bytes: expected a number of bytes (a positive integer)',
      'workers[0].transports[0].paths.c.options.max_response_header_bytes: expected at most 1048576 bytes',
    ]);
  });
});
