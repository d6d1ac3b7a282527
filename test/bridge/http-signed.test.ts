import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { HttpBridgeOptions } from '../../src/config/model.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { projectRoot } from '../support/cli.js';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';
import { fencedBlocks } from '../support/doc-blocks.js';
import { startTestNode } from '../support/node.js';
import { bridgeConfig, bridgeDefaults, EventLog, post } from './http-support.js';

/** Signed requests: signed by independent implementations (Python, PHP, shell + openssl; the docs' own examples), tampering and replays refused. */

const run = promisify(execFile);
const key = 'myapp1';
const secret = 'kkjH68GiuUZ';
const signed: HttpBridgeOptions = { ...bridgeDefaults, signature: { key, secret, timestampDeltaLimitSeconds: 10 } };
const config = bridgeConfig({
  '/publish': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: signed },
  '/call': { type: 'caller', realm: 'realm1', role: 'anonymous', options: signed, maxTimeoutMs: 60_000 },
});
const node = await startTestNode(config);
const base = `http://127.0.0.1:${node.ports.get('test')}`;
let client: OpenSession;

before(async () => {
  client = await openAutobahn(node.url);
  await client.session.register('com.example.add2', (args: number[]) => args[0]! + args[1]!);
});

after(async () => {
  await client?.close();
  await node.stop();
});

/** Crossbar's recipe, in Python, the way crossbarconnect signs: stdout is "<status> <body>". */
const pythonSigner = `
import base64, datetime, hashlib, hmac, json, random, sys, urllib.error, urllib.parse, urllib.request
url, key, secret, topic = sys.argv[1:5]
body = json.dumps({"topic": topic, "args": [{"foo": "bar"}]}).encode("utf8")
timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
seq = "1"
nonce = str(random.randint(0, 2 ** 53))
mac = hmac.new(secret.encode("utf8"), None, hashlib.sha256)
for part in (key, timestamp, seq, nonce):
    mac.update(part.encode("utf8"))
mac.update(body)
signature = base64.urlsafe_b64encode(mac.digest()).decode("ascii")
query = urllib.parse.urlencode({"key": key, "timestamp": timestamp, "seq": seq, "nonce": nonce, "signature": signature})
request = urllib.request.Request(url + "?" + query, data=body, headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request) as response:
        print(response.status, response.read().decode("utf8"))
except urllib.error.HTTPError as error:
    print(error.code, error.read().decode("utf8"))
`;

/** The signing examples of docs/http-bridge.md, as the reader copies them: each calls com.example.add2 with [1, 2] on the configured port. */
const docBlocks = fencedBlocks('docs/http-bridge.md', readFileSync(join(projectRoot, 'docs/http-bridge.md'), 'utf8'));
const exampleEnv = { ...process.env, BRIDGE_SECRET: secret };

/** How each example runs (the Debian package it needs), and what it prints. */
const docExamples: { info: string; need?: string; run: (text: string) => Promise<{ stdout: string }>; prints: string }[] = [
  { info: 'python', need: 'python3', run: (text) => run(debianNeed('python3').file, ['-c', text], { env: exampleEnv }), prints: "{'args': [3]}" },
  { info: 'php', need: 'php-cli', run: (text) => run(debianNeed('php-cli').file, ['-r', text.replace(/^<\?php\n/, ''), `${base}/call`, key, secret]), prints: 'HTTP/1.1 200 OK {"args":[3]}' },
  { info: 'sh', run: (text) => run('bash', ['-c', text], { env: exampleEnv }), prints: '{"args":[3]}' },
];

/** The doc's block in this language that signs (its only one that builds a signature), sent to this node. */
function docSigner(info: string): string {
  const found = docBlocks.filter((block) => block.info === info && block.text.includes('signature'));
  assert.equal(found.length, 1, `one ${info} block that signs in docs/http-bridge.md`);
  return found[0]!.text.replaceAll('http://127.0.0.1:8080', base);
}

interface Signing {
  key?: string;
  timestamp?: string;
  seq?: string;
  nonce?: string;
  /** Sign this text instead of the body that is sent (tampering). */
  signedBody?: string;
}

let nonces = 1_000;

/** Signs in JavaScript, following the documented recipe. */
function signedUrl(path: string, body: string, signing: Signing = {}): string {
  const fields = {
    key: signing.key ?? key,
    timestamp: signing.timestamp ?? new Date().toISOString(),
    seq: signing.seq ?? '1',
    nonce: signing.nonce ?? String(nonces++),
  };
  const mac = createHmac('sha256', secret).update(fields.key + fields.timestamp + fields.seq + fields.nonce + (signing.signedBody ?? body));
  const signature = mac.digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
  return `${base}${path}?${new URLSearchParams({ ...fields, signature })}`;
}

describe('signed requests', () => {
  it('accepts a publication signed in Python as Crossbar\'s clients do', { skip: skipWithoutDebian('python3') }, async () => {
    const events = await EventLog.subscribe(client.session, 'com.myapp.python');
    const { stdout } = await run(debianNeed('python3').file, ['-c', pythonSigner, `${base}/publish`, key, secret, 'com.myapp.python']);
    const event = await events.next();
    assert.deepEqual(event.args, [{ foo: 'bar' }]);
    assert.equal(stdout.trim(), `200 ${JSON.stringify({ id: event.details.publication })}`);
  });

  for (const example of docExamples) {
    it(`runs the ${example.info} example of the docs: a signed call, answered`, { skip: example.need === undefined ? false : skipWithoutDebian(example.need) }, async () => {
      const { stdout } = await example.run(docSigner(example.info));
      assert.equal(stdout.trim(), example.prints);
    });
  }

  it('accepts a signed call', async () => {
    const body = JSON.stringify({ procedure: 'com.example.add2', args: [20, 22] });
    assert.deepEqual((await post(signedUrl('/call', body), body)).json, { args: [42] });
  });

  describe('refusals (401)', () => {
    const body = JSON.stringify({ topic: 'com.myapp.signed', args: [1] });
    const refused = async (url: string, error: string, text = body): Promise<string> => {
      const answer = await post(url, text);
      assert.equal(answer.status, 401, answer.text);
      assert.equal(answer.json.error, error);
      assert.ok(!answer.text.includes(secret));
      return answer.json.message;
    };

    it('an unsigned request', async () => {
      assert.match(await refused(`${base}/publish`, 'signature_missing'), /"key", "timestamp", "seq", "nonce", "signature"/);
    });

    it('a tampered body', async () => {
      await refused(signedUrl('/publish', body, { signedBody: body.replace('[1]', '[2]') }), 'signature_mismatch');
    });

    it('a wrong key', async () => {
      await refused(signedUrl('/publish', body, { key: 'otherapp' }), 'unknown_key');
    });

    it('a stale timestamp, and one from the future', async () => {
      assert.match(await refused(signedUrl('/publish', body, { timestamp: new Date(Date.now() - 60_000).toISOString() }), 'timestamp_out_of_range'), /in the past/);
      assert.match(await refused(signedUrl('/publish', body, { timestamp: new Date(Date.now() + 60_000).toISOString() }), 'timestamp_out_of_range'), /in the future/);
    });

    it('a replayed request: the same nonce and seq again', async () => {
      const url = signedUrl('/publish', body);
      assert.equal((await post(url, body)).status, 200);
      assert.match(await refused(url, 'replayed_nonce'), /already used/);
    });

    it('a replayed nonce, even re-signed with another seq', async () => {
      assert.equal((await post(signedUrl('/publish', body, { nonce: '77', seq: '5' }), body)).status, 200);
      await refused(signedUrl('/publish', body, { nonce: '77', seq: '6' }), 'replayed_nonce');
    });
  });

  it('accepts a fresh nonce with a seq used before (clients that restart their counter, such as PHP scripts)', async () => {
    const body = JSON.stringify({ topic: 'com.myapp.signed', args: [1] });
    assert.equal((await post(signedUrl('/publish', body, { seq: '1' }), body)).status, 200);
    assert.equal((await post(signedUrl('/publish', body, { seq: '1' }), body)).status, 200);
  });
});
