import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseTimestamp, SignatureVerifier } from './signed-request.js';
import { refusalOf } from './test-support.js';

/**
 * Signs as Crossbar's documentation says, written independently of the module under test:
 * base64 (URL-safe alphabet, padded, like Python's urlsafe_b64encode) of
 * HMAC-SHA256(secret, key | timestamp | seq | nonce | body).
 */
function crossbarSign(secret: string, key: string, timestamp: string, seq: string, nonce: string, body: string): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'));
  mac.update(Buffer.from(key + timestamp + seq + nonce, 'utf8'));
  mac.update(Buffer.from(body, 'utf8'));
  return mac.digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

const secret = 'kkjH68GiuUZ';
const key = 'myapp1';
const body = '{"topic": "com.myapp.topic1", "args": ["Hello, world"]}';
const start = Date.parse('2024-05-01T12:00:00.000Z');

function query(fields: Record<string, string>): URLSearchParams {
  return new URLSearchParams(fields);
}

function signed(overrides: Partial<Record<'key' | 'timestamp' | 'seq' | 'nonce', string>> = {}, text = body): URLSearchParams {
  const fields = { key, timestamp: '2024-05-01T12:00:00.123Z', seq: '1', nonce: '8237648273', ...overrides };
  return query({ ...fields, signature: crossbarSign(secret, fields.key, fields.timestamp, fields.seq, fields.nonce, text) });
}


describe('SignatureVerifier', () => {
  const verifier = (now = () => start): SignatureVerifier =>
    new SignatureVerifier({ key, secret, timestampDeltaLimitSeconds: 10 }, now);

  it('refuses a new nonce with 429 once replay_memory requests are remembered', () => {
    const check = new SignatureVerifier({ key, secret, timestampDeltaLimitSeconds: 10, replayMemory: 2 }, () => start);
    check.verify(signed({ nonce: '1' }), Buffer.from(body));
    check.verify(signed({ nonce: '2' }), Buffer.from(body));
    const full = refusalOf(() => check.verify(signed({ nonce: '3' }), Buffer.from(body)));
    assert.equal(full.status, 429);
    assert.equal(full.code, 'replay_memory_full');
    assert.match(full.message, /\(replay_memory\)/);
  });

  it('accepts a request signed by the documented recipe', () => {
    verifier().verify(signed(), Buffer.from(body));
  });

  it('accepts the signature without its "=" padding', () => {
    const params = signed();
    params.set('signature', params.get('signature')!.replace(/=+$/, ''));
    verifier().verify(params, Buffer.from(body));
  });

  it('refuses a tampered body, a wrong secret and an unknown key, without revealing the expected signature', () => {
    const check = verifier();
    const tampered = refusalOf(() => check.verify(signed(), Buffer.from(body.replace('Hello', 'Hallo'))));
    assert.equal(tampered.status, 401);
    assert.equal(tampered.code, 'signature_mismatch');
    assert.ok(!tampered.fullMessage.includes(crossbarSign(secret, key, '2024-05-01T12:00:00.123Z', '1', '8237648273', body.replace('Hello', 'Hallo'))));
    assert.ok(!tampered.fullMessage.includes(secret));

    const params = signed();
    params.set('signature', crossbarSign('other', key, params.get('timestamp')!, '1', params.get('nonce')!, body));
    assert.equal(refusalOf(() => check.verify(params, Buffer.from(body))).code, 'signature_mismatch');

    const stranger = refusalOf(() => check.verify(signed({ key: 'otherapp' }), Buffer.from(body)));
    assert.deepEqual([stranger.status, stranger.code], [401, 'unknown_key']);
  });

  it('names every missing parameter', () => {
    const params = signed();
    params.delete('nonce');
    params.delete('seq');
    const refusal = refusalOf(() => verifier().verify(params, Buffer.from(body)));
    assert.equal(refusal.code, 'signature_missing');
    assert.match(refusal.message, /"seq", "nonce"/);
  });

  it('refuses malformed timestamps, sequence numbers, nonces and signatures', () => {
    const check = verifier();
    for (const [overrides, what] of [
      [{ timestamp: '2024-05-01 12:00:00' }, /timestamp/],
      [{ timestamp: '2024-02-30T12:00:00.000Z' }, /timestamp/],
      [{ seq: '-1' }, /seq/],
      [{ nonce: 'abc' }, /nonce/],
      [{ nonce: '9007199254740993000' }, /nonce/],
    ] as const) {
      const refusal = refusalOf(() => check.verify(signed(overrides), Buffer.from(body)));
      assert.deepEqual([refusal.status, refusal.code], [401, 'signature_malformed']);
      assert.match(refusal.message, what);
    }
    const params = signed();
    params.set('signature', 'not base64!');
    assert.equal(refusalOf(() => check.verify(params, Buffer.from(body))).code, 'signature_malformed');
  });

  it('refuses timestamps further than the delta limit from its clock, in both directions', () => {
    const check = verifier();
    const old = refusalOf(() => check.verify(signed({ timestamp: '2024-05-01T11:59:49.000Z' }), Buffer.from(body)));
    assert.equal(old.code, 'timestamp_out_of_range');
    assert.match(old.message, /11\.0 s in the past/);
    const future = refusalOf(() => check.verify(signed({ timestamp: '2024-05-01T12:00:10.500Z' }), Buffer.from(body)));
    assert.match(future.message, /10\.5 s in the future/);
    check.verify(signed({ timestamp: '2024-05-01T11:59:50.000Z' }), Buffer.from(body));
  });

  it('refuses a nonce seen before, with any seq, while its request could still be accepted', () => {
    let now = start;
    const check = verifier(() => now);
    check.verify(signed({ seq: '1', nonce: '42' }), Buffer.from(body));
    const replay = refusalOf(() => check.verify(signed({ seq: '1', nonce: '42' }), Buffer.from(body)));
    assert.deepEqual([replay.status, replay.code], [401, 'replayed_nonce']);
    assert.equal(refusalOf(() => check.verify(signed({ seq: '2', nonce: '42' }), Buffer.from(body))).code, 'replayed_nonce');
    // A fresh nonce is a new request, whatever its seq (PHP-style clients restart theirs at 1).
    check.verify(signed({ seq: '1', nonce: '43' }), Buffer.from(body));
    // Once its timestamp is further than the delta in the past, the nonce is forgotten: the timestamp check refuses it instead.
    now = start + 20_001;
    assert.equal(refusalOf(() => check.verify(signed({ nonce: '42' }), Buffer.from(body))).code, 'timestamp_out_of_range');
    check.verify(signed({ nonce: '42', timestamp: new Date(now).toISOString() }), Buffer.from(body));
  });

  it('does not remember nonces of requests it refused', () => {
    const check = verifier();
    const badSignature = signed({ nonce: '7' });
    badSignature.set('signature', crossbarSign('wrong', key, badSignature.get('timestamp')!, '1', '7', body));
    refusalOf(() => check.verify(badSignature, Buffer.from(body)));
    check.verify(signed({ nonce: '7' }), Buffer.from(body));
  });
});

describe('parseTimestamp', () => {
  it('reads Crossbar timestamps with 0 to 6 fractional digits', () => {
    assert.equal(parseTimestamp('2011-10-14T16:59:51.123Z'), Date.parse('2011-10-14T16:59:51.123Z'));
    assert.equal(parseTimestamp('2011-10-14T16:59:51.123456Z'), Date.parse('2011-10-14T16:59:51.123Z'));
    assert.equal(parseTimestamp('2011-10-14T16:59:51Z'), Date.parse('2011-10-14T16:59:51.000Z'));
    assert.equal(parseTimestamp('2011-10-14T16:59:51.1Z'), Date.parse('2011-10-14T16:59:51.100Z'));
  });
});
