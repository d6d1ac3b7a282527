import type { Codec } from '../codec/codec.js';

/** Parses a Sec-WebSocket-Protocol header into the client's offers, in its order of preference. */
export function offeredSubprotocols(header: string | undefined): string[] {
  if (!header) return [];
  return header.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}

/** The first offer (client's preference wins) that one of our codecs serves. */
export function chooseCodec(offers: Iterable<string>, codecs: readonly Codec[]): Codec | undefined {
  for (const offer of offers) {
    const codec = codecs.find((candidate) => candidate.subprotocol === offer);
    if (codec) return codec;
  }
  return undefined;
}
