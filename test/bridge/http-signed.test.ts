import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { HttpBridgeOptions } from '../../src/config/model.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';
import { startTestNode } from '../support/node.js';
import { bridgeConfig, bridgeDefaults, EventLog, post } from './http-support.js';

/** Signed requests: signed by independent implementations (Python, shell + openssl), tampering and replays refused. */

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

/** The PHP example of docs/http-bridge.md (php-cli, no extension needed): stdout is "<status line> <body>". */
const phpSigner = `
[$script, $url, $key, $secret] = $argv;
$body = json_encode(['topic' => 'com.myapp.orders', 'args' => [['order' => 42]]]);
$timestamp = gmdate('Y-m-d\\TH:i:s') . '.000Z';
$seq = 1;
$nonce = random_int(0, 9007199254740992);
$mac = hash_hmac('sha256', $key . $timestamp . $seq . $nonce . $body, $secret, true);
$signature = strtr(base64_encode($mac), '+/', '-_');
$query = http_build_query(compact('key', 'timestamp', 'seq', 'nonce', 'signature'));
$context = stream_context_create(['http' => [
  'method' => 'POST', 'header' => "Content-Type: application/json\\r\\n", 'content' => $body, 'ignore_errors' => true,
]]);
$answer = file_get_contents("$url?$query", false, $context);
echo $http_response_header[0], ' ', $answer, "\\n";
`;

/** The shell example of docs/http-bridge.md (openssl + curl). */
const shellSigner = `
set -eu
URL="$1"; KEY="$2"; SECRET="$3"
BODY='{"topic": "com.myapp.shell", "args": ["from the shell"]}'
TIMESTAMP=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
SEQ=1
NONCE=$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')
SIGNATURE=$(printf '%s' "$KEY$TIMESTAMP$SEQ$NONCE$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64 | tr '+/' '-_')
curl -s -H 'Content-Type: application/json' -d "$BODY" \\
  "$URL?key=$KEY&timestamp=$TIMESTAMP&seq=$SEQ&nonce=$NONCE&signature=$SIGNATURE"
`;

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

  it('accepts a publication signed by the PHP example of the docs', { skip: skipWithoutDebian('php-cli') }, async () => {
    const events = await EventLog.subscribe(client.session, 'com.myapp.orders');
    const { stdout } = await run(debianNeed('php-cli').file, ['-r', phpSigner, `${base}/publish`, key, secret]);
    const event = await events.next();
    assert.deepEqual(event.args, [{ order: 42 }]);
    assert.equal(stdout.trim(), `HTTP/1.1 200 OK ${JSON.stringify({ id: event.details.publication })}`);
  });

  it('accepts a publication signed by the shell example of the docs', async () => {
    const events = await EventLog.subscribe(client.session, 'com.myapp.shell');
    const { stdout } = await run('bash', ['-c', shellSigner, 'sign', `${base}/publish`, key, secret]);
    const event = await events.next();
    assert.deepEqual(event.args, ['from the shell']);
    assert.deepEqual(JSON.parse(stdout), { id: event.details.publication });
  });

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
