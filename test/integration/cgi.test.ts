/**
 * A `cgi` path of a real node running real scripts (python3, and PHP's command line): the CGI/1.1
 * environment they get (and nothing of the router's own), the body on stdin, PATH_INFO, their
 * headers (Status, Location) and body passed back; and the bounds: a script that runs too long
 * (504, its whole process group killed), one that fails before its headers (502, stderr logged
 * with the client's credentials masked), bad headers (502), paths that leave the directory,
 * max_requests_in_flight (503 + Retry-After), a client that leaves (its script is killed).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import type { Logger } from '../../src/router/log.js';
import { skipWithoutDebian } from '../support/debian.js';
import { processGone } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { httpExchange, type HttpAnswer, type HttpExchangeOptions } from '../support/http-exchange.js';

const warnings: { fields: Record<string, unknown>; message: string }[] = [];
const log: Logger = { debug() {}, info() {}, error() {}, warn: (fields, message) => warnings.push({ fields: fields as Record<string, unknown>, message }), child: () => log };

const python = '/usr/bin/python3';

/** The scripts of the test's CGI directory, by file name. */
const scripts: Record<string, string> = {
  'echo.py': `import json, os, sys
body = sys.stdin.buffer.read(int(os.environ.get('CONTENT_LENGTH') or 0)).decode()
sys.stdout.write('Content-Type: application/json\\r\\nX-Script: echo\\r\\nSet-Cookie: a=1\\r\\nSet-Cookie: b=2\\r\\n\\r\\n')
sys.stdout.write(json.dumps({'env': dict(os.environ), 'body': body, 'cwd': os.getcwd()}))
`,
  'missing.py': 'print("Status: 404 Not Found\\nContent-Type: text/plain\\n\\nnothing here", end="")\n',
  'redirect.py': 'print("Location: https://example.com/next\\n")\n',
  'crash.py': `import os, sys
sys.stderr.write('boom: the token was ' + os.environ.get('HTTP_AUTHORIZATION', '') + '\\n')
sys.exit(3)
`,
  'bad.py': 'print("this is not a header\\n\\nbody")\n',
  // Starts a grandchild in its process group, says both pids, then sleeps: the test waits for the pids, then for both to be gone.
  'slow.py': `import os, subprocess, sys, time
child = subprocess.Popen(['sleep', '60'])
pids = os.path.join(os.getcwd(), sys.argv[0] + '.pids')
open(pids + '.tmp', 'w').write('%d %d' % (os.getpid(), child.pid))
os.replace(pids + '.tmp', pids)
time.sleep(60)
`,
  // Its first part at once, then nothing until it is killed: streamed, then cut off at the timeout.
  'stream.py': `import os, sys, time
sys.stdout.write('Content-Type: text/plain\\n\\nfirst;')
sys.stdout.flush()
pids = os.path.join(os.getcwd(), sys.argv[0] + '.pids')
open(pids + '.tmp', 'w').write('%d' % os.getpid())
os.replace(pids + '.tmp', pids)
time.sleep(60)
`,
  'sub/inner.py': 'import os\nprint("Content-Type: text/plain\\n")\nprint(os.environ["SCRIPT_NAME"] + "|" + os.environ.get("PATH_INFO", "-"), end="")\n',
  '.hidden.py': 'print("Content-Type: text/plain\\n\\nhidden")\n',
};

/** A node with one web transport "web" serving `paths`; 127.0.0.2 is a trusted proxy. */
function webConfig(paths: Record<string, unknown>) {
  return parseConfig({
    version: 2,
    workers: [{
      type: 'router',
      realms: [],
      transports: [{ type: 'web', id: 'web', endpoint: { type: 'tcp', interface: '127.0.0.1', port: 0 }, options: { trusted_proxies: ['127.0.0.2'] }, paths }],
    }],
  }, { source: 'cgi test', env: {} });
}

describe('cgi path', { timeout: 120_000 }, () => {
  let node: RunningNode;
  let port: number;
  let folder: string;
  let cgiDir: string;
  let startWarnings: string[] = [];
  const routerSecret = 'router-secret-value-4711';

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'junction-cgi-'));
    cgiDir = join(folder, 'cgi');
    mkdirSync(join(cgiDir, 'sub'), { recursive: true });
    for (const [name, text] of Object.entries(scripts)) writeFileSync(join(cgiDir, name), text);
    writeFileSync(join(cgiDir, 'hello.php'), '<?php\necho "Content-Type: text/plain\\r\\n\\r\\n";\necho "php says " . getenv("QUERY_STRING") . " via " . getenv("REQUEST_METHOD");\n');
    writeFileSync(join(folder, 'outside.py'), 'print("Content-Type: text/plain\\n\\noutside")\n');
    symlinkSync(join(folder, 'outside.py'), join(cgiDir, 'escape.py'));
    symlinkSync(join(cgiDir, 'echo.py'), join(cgiDir, 'alias.py'));
    process.env.JUNCTION_CGI_TEST_SECRET = routerSecret;
    const config = webConfig({
      cgi: { type: 'cgi', directory: cgiDir, processor: python, options: { timeout: 1_500, max_request_body_bytes: 1000 } },
      php: { type: 'cgi', directory: cgiDir, processor: '/usr/bin/php' },
      noproc: { type: 'cgi', directory: cgiDir, processor: '/nonexistent/python3' },
      // A path of its own: each path logs its failures at most every 10 s, and /cgi has others.
      logged: { type: 'cgi', directory: cgiDir, processor: python },
      narrow: { type: 'cgi', directory: cgiDir, processor: python, options: { max_requests_in_flight: 1 } },
    });
    node = await startNode(config, { log, shutdownGraceMs: 200 });
    port = node.ports.get('web')!;
    startWarnings = warnings.map((entry) => entry.message);
  });

  after(async () => {
    delete process.env.JUNCTION_CGI_TEST_SECRET;
    await node?.stop();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  const send = (path: string, options: HttpExchangeOptions & { port?: number } = {}): Promise<HttpAnswer> => httpExchange(options.port ?? port, path, options);


  const outcomes = (path: string, outcome: string) =>
    node.metrics.counter('junction_cgi_requests_total', '').value({ transport: 'web', path, outcome });
  /** A request is counted once its script is gone, which may be just after the client has its answer. */
  const counted = (path: string, outcome: string) => waitFor(() => outcomes(path, outcome) === 1, `${outcome} on ${path}`);

  /** The pids a script wrote (its own, and those of what it started), once it has written them (whole: it renames the file into place). */
  async function pidsOf(script: string): Promise<number[]> {
    const file = join(cgiDir, `${script}.pids`);
    await waitFor(() => existsSync(file), `${script} to start`, 15_000);
    const pids = readFileSync(file, 'utf8').split(' ').map(Number);
    rmSync(file);
    return pids;
  }

  it('GET with a query: the CGI/1.1 environment, the headers the script wrote, and nothing of the router\'s environment', async () => {
    const answer = await send('/cgi/echo.py?x=1&y=a%20b', { headers: { 'X-Custom': 'one', Proxy: 'http://evil.example', 'X_Custom': 'spoof', Host: 'example.org:8080' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.equal(answer.headers['x-script'], 'echo');
    assert.deepEqual(answer.headers['set-cookie'], ['a=1', 'b=2']);
    const { env, body, cwd } = JSON.parse(answer.body) as { env: Record<string, string>; body: string; cwd: string };
    assert.equal(body, '');
    assert.equal(cwd, cgiDir, 'as Crossbar: the script runs in its own folder');
    assert.equal(env.GATEWAY_INTERFACE, 'CGI/1.1');
    assert.equal(env.REQUEST_METHOD, 'GET');
    assert.equal(env.QUERY_STRING, 'x=1&y=a%20b');
    assert.equal(env.REQUEST_URI, '/cgi/echo.py?x=1&y=a%20b');
    assert.equal(env.SCRIPT_NAME, '/cgi/echo.py');
    assert.equal(env.SCRIPT_FILENAME, join(cgiDir, 'echo.py'));
    assert.equal(env.PATH_INFO, undefined);
    assert.equal(env.SERVER_NAME, 'example.org');
    assert.equal(env.SERVER_PORT, String(port));
    assert.equal(env.SERVER_PROTOCOL, 'HTTP/1.1');
    assert.match(env.SERVER_SOFTWARE!, /^Junction\//);
    assert.equal(env.REMOTE_ADDR, '127.0.0.1');
    assert.equal(env.CONTENT_LENGTH, '0');
    assert.equal(env.HTTP_X_CUSTOM, 'one', 'a header named with "_" cannot overwrite one named with "-"');
    assert.equal(env.HTTP_PROXY, undefined, 'httpoxy: a Proxy header never becomes HTTP_PROXY');
    assert.equal(env.JUNCTION_CGI_TEST_SECRET, undefined);
    assert.ok(!Object.values(env).includes(routerSecret));
    const names = Object.keys(env).filter((name) => !name.startsWith('HTTP_') && !/^(PATH|HOME|LANG)$/.test(name));
    assert.deepEqual(names.sort(), ['CONTENT_LENGTH', 'GATEWAY_INTERFACE', 'QUERY_STRING', 'REDIRECT_STATUS', 'REMOTE_ADDR', 'REQUEST_METHOD', 'REQUEST_URI',
      'SCRIPT_FILENAME', 'SCRIPT_NAME', 'SERVER_NAME', 'SERVER_PORT', 'SERVER_PROTOCOL', 'SERVER_SOFTWARE'].sort());
    await counted('/cgi', 'answered');
  });

  it('HEAD: the script runs with REQUEST_METHOD HEAD, and the client gets its headers without the body', async () => {
    const answer = await send('/cgi/echo.py', { method: 'HEAD' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['x-script'], 'echo');
    assert.equal(answer.body, '');
  });

  it('POST: the body on stdin, with CONTENT_LENGTH and CONTENT_TYPE; a client behind a trusted proxy is REMOTE_ADDR', async () => {
    const answer = await send('/cgi/echo.py', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' }, body: 'a=1&b=2', localAddress: '127.0.0.2' });
    assert.equal(answer.status, 200);
    const { env, body } = JSON.parse(answer.body) as { env: Record<string, string>; body: string };
    assert.equal(body, 'a=1&b=2');
    assert.equal(env.REQUEST_METHOD, 'POST');
    assert.equal(env.CONTENT_LENGTH, '7');
    assert.equal(env.CONTENT_TYPE, 'application/x-www-form-urlencoded');
    assert.equal(env.HTTP_CONTENT_TYPE, undefined);
    assert.equal(env.REMOTE_ADDR, '203.0.113.9');
    assert.equal(env.HTTPS, 'on');
  });

  it('a body over max_request_body_bytes is answered 413 and runs nothing', async () => {
    const answer = await send('/cgi/echo.py', { method: 'POST', body: 'x'.repeat(1001) });
    assert.equal(answer.status, 413);
    assert.equal(JSON.parse(answer.body).error, 'body_too_large');
    await counted('/cgi', 'body_too_large');
  });

  it('PATH_INFO: folders are entered, and what follows the script is its PATH_INFO, decoded', async () => {
    const answer = await send('/cgi/sub/inner.py/a/b%20c');
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '/cgi/sub/inner.py|/a/b c');
  });

  it('Status and Location headers set the answer\'s status', async () => {
    const missing = await send('/cgi/missing.py');
    assert.equal(missing.status, 404);
    assert.equal(missing.body, 'nothing here');
    assert.equal(missing.headers.status, undefined, 'Status is not passed on as a header');
    const redirect = await send('/cgi/redirect.py');
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, 'https://example.com/next');
  });

  it('a PHP script, run by the PHP command line', { skip: skipWithoutDebian('php-cli') }, async () => {
    const answer = await send('/php/hello.php?name=x', { method: 'POST', body: 'ignored' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'php says name=x via POST');
  });

  it('a script that runs past options.timeout: 504, and its process group (its own children too) is killed', async () => {
    const answer = send('/cgi/slow.py');
    const pids = await pidsOf('slow.py');
    const { status, body } = await answer;
    assert.equal(status, 504);
    assert.equal(JSON.parse(body).error, 'cgi_timeout');
    await waitFor(() => pids.every(processGone), 'the script and its child to be killed', 10_000);
    await counted('/cgi', 'timeout');
  });

  it('the body is streamed as the script writes it; a script still writing at options.timeout is killed and the answer cut off', async () => {
    const request = httpRequest({ host: '127.0.0.1', port, path: '/cgi/stream.py' });
    request.end();
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    assert.equal(response.statusCode, 200);
    response.setEncoding('utf8');
    const [first] = (await once(response, 'data')) as [string];
    assert.equal(first, 'first;');
    const [pid] = await pidsOf('stream.py');
    assert.equal(processGone(pid!), false, 'the script is still running when its first part arrives');
    const cut = await new Promise<Error>((resolve) => response.once('error', resolve));
    assert.equal(cut.message, 'aborted', 'the answer was cut off, not ended');
    await waitFor(() => processGone(pid!), 'the script to be killed', 10_000);
    await counted('/cgi', 'cut_off');
  });

  it('a script that exits before its headers: 502 saying so, its stderr logged with the client\'s credentials masked', async () => {
    warnings.length = 0;
    const token = 'Bearer client-token-0815';
    const answer = await send('/logged/crash.py', { headers: { authorization: token } });
    assert.equal(answer.status, 502);
    assert.deepEqual(JSON.parse(answer.body), { error: 'cgi_failed', message: 'the script exited with code 3 without writing an answer' });
    await waitFor(() => warnings.some((entry) => entry.message.includes('exited with code 3')), 'the failure to be logged');
    const warning = warnings.find((entry) => entry.message.includes('exited with code 3'))!;
    assert.equal(warning.fields.exit, 3);
    assert.match(String(warning.fields.stderr), /boom: the token was \*{5}/);
    assert.ok(!JSON.stringify(warnings).includes('client-token-0815'));
    await counted('/logged', 'failed');
  });

  it('a processor that cannot be run: a warning at start, and 502 saying why for each request', async () => {
    assert.ok(startWarnings.some((message) => message.startsWith('transport "web" path "/noproc": the CGI processor cannot be run')), JSON.stringify(startWarnings));
    const answer = await send('/noproc/echo.py');
    assert.equal(answer.status, 502);
    assert.match(JSON.parse(answer.body).message, /^the processor \/nonexistent\/python3 could not be started: spawn \/nonexistent\/python3 ENOENT$/);
    await counted('/noproc', 'failed');
  });

  it('a script that writes malformed headers: 502 naming the line', async () => {
    const answer = await send('/cgi/bad.py');
    assert.equal(answer.status, 502);
    assert.deepEqual(JSON.parse(answer.body), { error: 'bad_cgi_headers', message: 'header line 1 is not "Name: value": "this is not a header"' });
    await counted('/cgi', 'bad_headers');
  });

  it('paths that leave the directory, name a folder, a dotfile or nothing are refused; a symlink inside it is followed', async () => {
    assert.equal((await send('/cgi/..%2f..%2fetc/passwd')).status, 400);
    assert.equal((await send('/cgi/%2e%2e/outside.py')).status, 400);
    const escape = await send('/cgi/escape.py');
    assert.equal(escape.status, 403);
    assert.equal(JSON.parse(escape.body).message, 'the path leads outside the CGI directory');
    assert.equal((await send('/cgi/sub')).status, 404);
    assert.equal((await send('/cgi')).status, 404);
    assert.equal((await send('/cgi/.hidden.py')).status, 404);
    assert.equal((await send('/cgi/nothing.py')).status, 404);
    assert.equal((await send('/cgi/alias.py')).status, 200);
    await counted('/cgi', 'forbidden');
  });

  it('max_requests_in_flight: one more is answered 503 with Retry-After; a client that leaves gets its script killed', async () => {
    const held = httpRequest({ host: '127.0.0.1', port, path: '/narrow/slow.py' });
    held.on('error', () => {});
    held.end();
    const pids = await pidsOf('slow.py');
    const refused = await send('/narrow/echo.py');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(JSON.parse(refused.body).error, 'too_many_requests');
    held.destroy();
    await waitFor(() => pids.every(processGone), 'the script of the client that left to be killed', 10_000);
    await counted('/narrow', 'client_gone');
    assert.equal(outcomes('/narrow', 'busy'), 1);
    assert.equal((await send('/narrow/echo.py')).status, 200, 'its place is free again');
  });

  it('the node stopping: a script under way gets 2 s to finish, then it is killed and its client gets 503', async () => {
    const stopping = await startNode(webConfig({ cgi: { type: 'cgi', directory: cgiDir, processor: python } }), { log, shutdownGraceMs: 200 });
    const answer = send('/cgi/slow.py', { port: stopping.ports.get('web')! });
    const pids = await pidsOf('slow.py');
    await stopping.stop();
    const { status, body } = await answer;
    assert.equal(status, 503);
    assert.equal(JSON.parse(body).error, 'cgi_stopped');
    assert.ok(pids.every(processGone), 'the node stops only once its scripts are gone');
  });
});
