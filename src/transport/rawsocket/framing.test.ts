import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame, FrameParser, FrameType, MAX_FRAME_PAYLOAD, writeFrameHeader, type FrameError } from './framing.js';

interface Collected {
  frames: { type: number; payload: string }[];
  parser: FrameParser;
}

function collector(maxPayload = 1_024): Collected {
  const frames: Collected['frames'] = [];
  const parser = new FrameParser(maxPayload, (type, payload) => frames.push({ type, payload: payload.toString('latin1') }));
  return { frames, parser };
}

const sample = Buffer.concat([
  encodeFrame(FrameType.message, Buffer.from('[1,"realm1",{}]')),
  encodeFrame(FrameType.ping, Buffer.from('ping-payload')),
  encodeFrame(FrameType.message, Buffer.alloc(0)),
  encodeFrame(FrameType.pong, Buffer.from('x')),
  encodeFrame(FrameType.message, Buffer.from('a'.repeat(300))),
]);
const expected = [
  { type: 0, payload: '[1,"realm1",{}]' },
  { type: 1, payload: 'ping-payload' },
  { type: 0, payload: '' },
  { type: 2, payload: 'x' },
  { type: 0, payload: 'a'.repeat(300) },
];

describe('RawSocket frames', () => {
  it('writes a big-endian 24-bit length and the type in the low bits of the first octet', () => {
    assert.deepEqual([...encodeFrame(FrameType.ping, Buffer.from('abc'))], [0x01, 0, 0, 3, 0x61, 0x62, 0x63]);
    const header = Buffer.alloc(4);
    writeFrameHeader(header, FrameType.message, 0x123456);
    assert.deepEqual([...header], [0x00, 0x12, 0x34, 0x56]);
  });

  it('sets the 25th length bit (X) for a payload of exactly 16 MiB', () => {
    const header = Buffer.alloc(4);
    writeFrameHeader(header, FrameType.pong, MAX_FRAME_PAYLOAD);
    assert.deepEqual([...header], [0x0a, 0, 0, 0]);
    writeFrameHeader(header, FrameType.message, MAX_FRAME_PAYLOAD - 1);
    assert.deepEqual([...header], [0x00, 0xff, 0xff, 0xff]);
    assert.throws(() => writeFrameHeader(header, FrameType.message, MAX_FRAME_PAYLOAD + 1), RangeError);
  });

  it('parses frames coalesced in one chunk', () => {
    const { frames, parser } = collector();
    assert.equal(parser.push(sample), undefined);
    assert.deepEqual(frames, expected);
    assert.equal(parser.bufferedLength, 0);
  });

  it('parses the same frames split at every possible point', () => {
    for (let cut = 1; cut < sample.length; cut++) {
      const { frames, parser } = collector();
      parser.push(sample.subarray(0, cut));
      parser.push(sample.subarray(cut));
      assert.deepEqual(frames, expected, `split at ${cut}`);
    }
  });

  it('parses them fed one octet at a time', () => {
    const { frames, parser } = collector();
    for (const octet of sample) parser.push(Buffer.from([octet]));
    assert.deepEqual(frames, expected);
  });

  it('hands over a payload that lies within one chunk as a view, without copying', () => {
    const chunk = encodeFrame(FrameType.message, Buffer.from('hello'));
    let seen: Buffer | undefined;
    new FrameParser(100, (_type, payload) => (seen = payload)).push(chunk);
    assert.equal(seen!.buffer, chunk.buffer);
  });

  it('gathers a payload spread over many chunks once, holding only what arrived', () => {
    const payload = Buffer.alloc(64 * 1024, 7);
    const frame = encodeFrame(FrameType.message, payload);
    const frames: Buffer[] = [];
    const parser = new FrameParser(1 << 20, (_type, body) => frames.push(body));
    for (let offset = 0; offset < frame.length; offset += 1_000) {
      parser.push(frame.subarray(offset, offset + 1_000));
      if (offset + 1_000 < frame.length) assert.equal(parser.bufferedLength, offset + 1_000);
    }
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.equals(payload));
  });

  it('refuses a frame longer than announced from its header, before buffering any of it', () => {
    const { frames, parser } = collector(512);
    const header = Buffer.from([0x00, 0x00, 0x02, 0x01]); // 513 octets announced
    const error = parser.push(header);
    assert.deepEqual(error, { kind: 'too-long', length: 513, message: 'frame of 513 octets exceeds the 512 octets this router accepts' });
    assert.equal(parser.push(Buffer.alloc(600)), undefined, 'a stopped parser ignores what follows');
    assert.deepEqual(frames, []);
  });

  it('accepts a frame of exactly the announced maximum', () => {
    const { frames, parser } = collector(512);
    assert.equal(parser.push(encodeFrame(FrameType.message, Buffer.alloc(512))), undefined);
    assert.equal(frames.length, 1);
  });

  it('refuses reserved bits, reserved frame types and an X bit with other length bits', () => {
    const cases: [number[], FrameError['kind']][] = [
      [[0x10, 0, 0, 1], 'reserved-bits'],
      [[0x80, 0, 0, 1], 'reserved-bits'],
      [[0x03, 0, 0, 1], 'unknown-type'],
      [[0x07, 0, 0, 1], 'unknown-type'],
      [[0x08, 0, 0, 1], 'bad-length'],
    ];
    for (const [bytes, kind] of cases) {
      const { frames, parser } = collector();
      const error = parser.push(Buffer.from([...bytes, 0x61]));
      assert.equal(error?.kind, kind, JSON.stringify(bytes));
      assert.deepEqual(frames, []);
    }
  });

  it('stops after a good frame when the next header in the same chunk is bad', () => {
    const { frames, parser } = collector();
    const error = parser.push(Buffer.concat([encodeFrame(FrameType.message, Buffer.from('ok')), Buffer.from([0x05, 0, 0, 0])]));
    assert.equal(error?.kind, 'unknown-type');
    assert.deepEqual(frames, [{ type: 0, payload: 'ok' }]);
  });

  it('stops delivering when its handler stops it', () => {
    const frames: string[] = [];
    const parser: FrameParser = new FrameParser(100, (_type, payload) => {
      frames.push(payload.toString());
      parser.stop();
    });
    parser.push(Buffer.concat([encodeFrame(FrameType.message, Buffer.from('one')), encodeFrame(FrameType.message, Buffer.from('two'))]));
    assert.deepEqual(frames, ['one']);
  });
});
