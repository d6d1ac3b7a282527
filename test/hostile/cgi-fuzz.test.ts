import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CgiService } from '../../src/config/model.js';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';
import {
  assertSpecificAnswer, checkFuzz, exchange, exchangeOrCut, fuzzedHeaderValue, fuzzedPathPart, fuzzedWebPaths, fuzzSeed, fuzzTimeout, gaugesBackTo, type FuzzRequest,
} from '../support/fuzz.js';
import { childProcesses, openDescriptors } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * Hostile input against a `cgi` path (node/web/cgi/): fuzzed requests (paths that climb out or
 * hide NULs, odd header names, bodies over max_request_body_bytes) to scripts that echo them,
 * write endless headers, never answer, write forever, flood stderr, exit mid-answer or lie about
 * their Content-Length. The echo comes back whole with only well-formed HTTP_* variables; an
 * answer Junction makes is a specific JSON error; the node logs no error; a WAMP client keeps
 * working; every script is reaped, and the in-flight gauge and open descriptors come back.
 */

const python = debianNeed('python3').file;
const TIMEOUT_MS = 700;
const MAX_BODY = 2_000;

const scripts: Record<string, string> = {
  'echo.py': `import json, os, sys
body = sys.stdin.buffer.read(int(os.environ.get('CONTENT_LENGTH') or 0))
answer = json.dumps({'length': len(body), 'method': os.environ['REQUEST_METHOD'], 'http': sorted(k for k in os.environ if k.startswith('HTTP_'))})
sys.stdout.write('Content-Type: application/json\\r\\n\\r\\n' + answer)
`,
  'endless_headers.py': 'import sys\nwhile True:\n    sys.stdout.write("X-More: " + "m" * 100 + "\\n")\n',
  'hang.py': 'import time\ntime.sleep(60)\n',
  'forever.py': 'import sys\nsys.stdout.write("Content-Type: text/plain\\n\\n")\nwhile True:\n    sys.stdout.write("f" * 65536)\n',
  'stderr_flood.py': 'import sys\nfor _ in range(200):\n    sys.stderr.write("e" * 16384 + "\\n")\nsys.stdout.write("Content-Type: text/plain\\n\\nflooded")\n',
  'exit_mid.py': 'import sys\nsys.stdout.write("Content-Type: text/plain\\n\\nhalf")\nsys.stdout.flush()\nsys.exit(1)\n',
  // Writes its whole environment (the client's credentials among it) to stderr, which is logged.
  'crash.py': 'import os, sys\nsys.stderr.write(repr(dict(os.environ)))\nsys.exit(3)\n',
  'long_over.py': 'import sys\nsys.stdout.write("Content-Type: text/plain\\nContent-Length: 3\\n\\n" + "abcHTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nforged")\n',
  'long_short.py': 'import sys\nsys.stdout.write("Content-Type: text/plain\\nContent-Length: 100\\n\\nabc")\n',
  'long_bad.py': 'import sys\nsys.stdout.write("Content-Type: text/plain\\nContent-Length: 3x\\n\\nabc")\n',
  'long_twice.py': 'import sys\nsys.stdout.write("Content-Type: text/plain\\nContent-Length: 3\\nContent-Length: 9\\n\\nabc")\n',
  'sub/inner.py': 'print("Content-Type: text/plain\\n\\ninner", end="")\n',
};

/** What Junction may answer for each script, past a 4xx for the request itself. */
const expected: Record<string, { status: number; error?: string } | 'cut'> = {
  echo: { status: 200 },
  endless_headers: { status: 502, error: 'bad_cgi_headers' },
  hang: { status: 504, error: 'cgi_timeout' },
  forever: 'cut',
  stderr_flood: { status: 200 },
  exit_mid: { status: 200 },
  crash: { status: 502, error: 'cgi_failed' },
};
const kinds = Object.keys(expected);

/** Credentials a client sends: never in the log, whatever a script does with them. */
const secrets = ['Bearer fuzz-secret-9431', 'session=fuzz-cookie-1177'];

/** Header names a client may send that are legal HTTP tokens but no CGI variable name. */
const oddHeaderNames = ['x_forwarded_for', 'x.dot', 'x~tilde', "x'quote", 'x*star', 'x|bar', 'proxy', 'x-fine', 'authorization', 'cookie', 'x_authorization'];

const cgiRequest = fc.record({
  kind: fc.constantFrom(...kinds, 'echo', 'echo'),
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'),
  pathInfo: fc.array(fuzzedPathPart, { maxLength: 3 }).map((parts) => parts.join('/')),
  query: fc.option(fuzzedPathPart, { nil: undefined }),
  headers: fc.tuple(fc.dictionary(fc.constantFrom(...oddHeaderNames), fc.oneof(fuzzedHeaderValue, fc.constant('x'.repeat(4000))), { maxKeys: 4 }),
    fc.record({ authorization: fc.constant(secrets[0]!), cookie: fc.constant(secrets[1]!) }, { requiredKeys: [] })).map(([odd, credentials]) => ({ ...odd, ...credentials })),
  body: fc.option(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)), fc.constant(Buffer.alloc(MAX_BODY + 1, 'b'))), { nil: undefined }),
});

/** Paths that try to leave the CGI directory or name what is no script. */
const hostilePaths = ['/cgi/../cgi/echo.py', '/cgi/%2e%2e/echo.py', '/cgi/sub%2f..%2fecho.py', '/cgi/echo.py%00.txt', '/cgi/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/cgi/sub/', '/cgi/sub', '/cgi/.hidden.py', '/cgi/nothing.py', '/cgi/sub/inner.py/../../echo.py', '/cgi/%zz', '/cgi/echo.py/..%2f..%2f'];

const inFlightGauge = ['junction_cgi_requests_in_flight'] as const;

/** The raw bytes of one answer on a kept-alive connection, until the server closes it or `quietMs` pass without more. */
function rawAnswer(port: number, path: string, quietMs = 1_500): Promise<{ head: string; body: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`));
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const bytes = Buffer.concat(chunks);
      const end = bytes.indexOf('\r\n\r\n');
      resolve({ head: end < 0 ? bytes.toString('latin1') : bytes.subarray(0, end).toString('latin1'), body: end < 0 ? Buffer.alloc(0) : bytes.subarray(end + 4), closed });
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), quietMs);
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      quiet();
    });
    socket.on('close', () => finish(true));
    socket.on('error', reject);
    quiet();
  });
}

describe(`cgi path under hostile requests and broken scripts (seed ${fuzzSeed})`, { skip: skipWithoutDebian('python3') }, () => {
  const web = fuzzedWebPaths('junction-cgi-fuzz-', (home) => {
    mkdirSync(join(home, 'sub'));
    for (const [name, text] of Object.entries(scripts)) writeFileSync(join(home, name), text);
    writeFileSync(join(home, '.hidden.py'), scripts['echo.py']!);
    const limits = { timeoutMs: TIMEOUT_MS, maxRequestsInFlight: 6, maxRequestBodyBytes: MAX_BODY, maxResponseHeaderBytes: 4096 };
    return {
      '/cgi': { type: 'cgi', directory: home, processor: python, options: limits } satisfies CgiService,
      '/narrow': { type: 'cgi', directory: home, processor: python, options: { ...limits, maxRequestsInFlight: 2 } } satisfies CgiService,
    };
  });

  async function echoWorks(what: string): Promise<void> {
    const answer = await exchange(web.port, { method: 'POST', path: '/cgi/echo.py/x', body: 'abcd' });
    assert.equal(answer.status, 200, `the echo ${what}: ${answer.body.toString()}`);
    assert.equal((JSON.parse(answer.body.toString()) as { length: number }).length, 4);
    await web.fuzzed.bystander.works(what);
  }

  /** Every script gone and reaped (no zombie), every descriptor given back. */
  async function nothingLeft(descriptors: number, what: string): Promise<void> {
    await waitFor(() => childProcesses().length === 0, `every script of ${what} to be reaped (left: ${childProcesses().join(', ')})`, 10_000);
    await waitFor(() => openDescriptors() <= descriptors, `the descriptors of ${what} to be closed (${descriptors} before, ${openDescriptors()} now)`, 10_000);
  }

  it('fuzzed requests to echoing and broken scripts: the echo whole, a specific error, or a cut connection; every script reaped', { timeout: fuzzTimeout(120_000) }, async () => {
    await echoWorks('before the fuzzing');
    const descriptors = openDescriptors();
    await checkFuzz('cgi', fc.asyncProperty(fc.array(cgiRequest, { minLength: 1, maxLength: 3 }), async (requests) => {
      const sent = requests.map((request): FuzzRequest => ({
        method: request.method, path: `/cgi/${request.kind}.py/${request.pathInfo}${request.query === undefined ? '' : `?${request.query}`}`, headers: request.headers,
        ...(request.body === undefined || request.method === 'GET' || request.method === 'HEAD' ? {} : { body: request.body }),
      }));
      const answers = await Promise.all(sent.map((request) => exchangeOrCut(web.port, request)));
      answers.forEach((answer, index) => {
        const request = requests[index]!;
        const what = `${request.kind} ${sent[index]!.method} ${sent[index]!.path.slice(0, 100)} ${JSON.stringify(request.headers).slice(0, 200)} -> ${answer.status} ${answer.body.toString().slice(0, 200)}`;
        if (answer.status >= 400 && answer.status < 500) return assertSpecificAnswer(answer, sent[index]!);
        if (answer.status === 503) return assert.equal(JSON.parse(answer.body.toString()).error, 'too_many_requests', what);
        const wanted = expected[request.kind]!;
        if (wanted === 'cut') return assert.ok(answer.status === 0 || answer.status === 200, what);
        assert.equal(answer.status, wanted.status, what);
        if (wanted.error !== undefined && request.method !== 'HEAD') assert.equal(JSON.parse(answer.body.toString()).error, wanted.error, what);
        if (request.kind === 'echo' && request.method !== 'HEAD') {
          const echoed = JSON.parse(answer.body.toString()) as { length: number; method: string; http: string[] };
          assert.equal(echoed.length, sent[index]!.body === undefined ? 0 : Buffer.byteLength(sent[index]!.body!), what);
          assert.equal(echoed.method, request.method, what);
          for (const name of echoed.http) assert.match(name, /^HTTP_[A-Z0-9_]+$/, what);
          assert.ok(!echoed.http.includes('HTTP_PROXY'), `httpoxy: ${what}`);
          const passed = Object.keys(request.headers).filter((name) => /^[a-z0-9-]+$/.test(name) && name !== 'proxy');
          for (const name of passed) assert.ok(echoed.http.includes(`HTTP_${name.toUpperCase().replaceAll('-', '_')}`), `${name} not passed: ${what}`);
        }
      });
      web.fuzzed.watch.assertQuiet('fuzzed CGI requests');
    }), 15);
    await echoWorks('after the fuzzing');
    // Nothing in flight (a request is counted until its script is gone, just after its answer).
    await gaugesBackTo(() => web.fuzzed.node.metrics.exposition(), {}, inFlightGauge);
    await nothingLeft(descriptors, 'the fuzzing');
    web.fuzzed.watch.assertQuiet('the CGI fuzzing');
    for (const secret of secrets) assert.ok(!web.log.text().includes(secret.split(/[ =]/)[1]!), `a client's credential was logged: ${secret}`);
  });

  it('paths that climb out of the directory, hide a NUL or name no script get a specific 4xx and run nothing', { timeout: 30_000 }, async () => {
    for (const path of hostilePaths) {
      const answer = await exchange(web.port, { method: 'GET', path });
      assert.ok(answer.status >= 400 && answer.status < 500, `${path} -> ${answer.status} ${answer.body.toString().slice(0, 200)}`);
      assertSpecificAnswer(answer, { method: 'GET', path });
    }
    assert.deepEqual(childProcesses(), []);
  });

  it('a script\'s Content-Length is the whole answer: more bytes are never sent on (no forged second answer), fewer or a malformed one close the connection', { timeout: 30_000 }, async () => {
    const over = await rawAnswer(web.port, '/cgi/long_over.py');
    // Its head and too long a body came at once: the connection is cut before anything is sent.
    assert.match(over.head, /^(HTTP\/1\.1 200|)$/m);
    assert.ok(over.body.length <= 3, `bytes past the script's Content-Length reached the client: ${JSON.stringify(over.body.toString('latin1'))}`);
    assert.ok(over.closed, 'the connection of an answer that broke its length is not reused');
    const short = await rawAnswer(web.port, '/cgi/long_short.py');
    assert.ok(short.closed, `an answer short of its Content-Length left the connection open for another request: ${JSON.stringify(short)}`);
    for (const script of ['long_bad', 'long_twice']) {
      const answer = await exchange(web.port, { method: 'GET', path: `/cgi/${script}.py` });
      assert.equal(answer.status, 502, `${script}: ${answer.status} ${answer.body.toString()}`);
      assert.equal(JSON.parse(answer.body.toString()).error, 'bad_cgi_headers');
    }
    await echoWorks('after scripts that lie about their length');
    web.fuzzed.watch.assertQuiet('scripts that lie about their length');
  });

  it('a storm of never-answering requests over max_requests_in_flight: 504 for those run, 503 for the rest, every script reaped', { timeout: 30_000 }, async () => {
    const descriptors = openDescriptors();
    const answers = await Promise.all(Array.from({ length: 12 }, () => exchange(web.port, { method: 'GET', path: '/narrow/hang.py' })));
    const statuses = answers.map((answer) => answer.status).sort();
    assert.equal(statuses.filter((status) => status === 504).length >= 2, true, `statuses: ${statuses.join(', ')}`);
    assert.deepEqual(statuses.filter((status) => status !== 504 && status !== 503), [], `statuses: ${statuses.join(', ')}`);
    await nothingLeft(descriptors, 'the storm');
    await echoWorks('after the storm');
  });

  it('a script flooding stderr: the log keeps its end only, bounded', { timeout: 30_000 }, async () => {
    // On a path of its own: each path logs a script's stderr at most every 10 s.
    const answer = await exchange(web.port, { method: 'GET', path: '/narrow/stderr_flood.py' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.toString(), 'flooded');
    await waitFor(() => web.log.lines.some((line) => typeof line.fields.stderr === 'string' && String(line.fields.script).endsWith('stderr_flood.py')), 'the flood logged');
    for (const line of web.log.lines) if (typeof line.fields.stderr === 'string') assert.ok(line.fields.stderr.length <= 4096, `a log line with ${line.fields.stderr.length} characters of stderr`);
  });
});
