/**
 * Loader for the WAMP project's conformance vectors in test/fixtures/wamp-test-vectors
 * (format: SCHEMA.json beside them). Only reads and types the files; the checks live in tests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One byte representation of a sample in one serializer. */
export interface SerializedBytes {
  bytes?: string;
  bytes_hex?: string;
  bytes_base64?: string;
  note?: string;
}

/** Canonical bytes per serializer, and the attributes a parser must read from them. */
export interface SerializationSample {
  description: string;
  serializers: Record<string, SerializedBytes[]>;
  expected_attributes: { message_type: number } & Record<string, unknown>;
}

/** A raw wire array that a peer must accept, or reject when expected_error is given. */
export interface ValidationSample {
  description: string;
  test_category?: string;
  wmsg: unknown[];
  expected_error?: { type?: string; contains?: string };
}

export interface SingleMessageVector {
  /** Path below the vectors folder, e.g. "singlemessage/basic/publish.json". */
  file: string;
  description: string;
  wamp_message_type: string;
  wamp_message_code: number;
  samples: (SerializationSample | ValidationSample)[];
}

/** A message in a sequence: its type name and its attributes, named as in expected_attributes. */
export interface StepMessage extends Record<string, unknown> {
  type: string;
}

export interface MultiMessageVector {
  file: string;
  description: string;
  feature: string;
  sessions: { session_id: string; roles?: string[]; realm?: string }[];
  sequence: { step: number; description: string; from: string; to: string; message: StepMessage; assertion?: string }[];
  expected_outcome?: Record<string, unknown>;
}

// From dist/test/support/vectors.js, three levels up is the project root; the fixtures are not compiled.
export const vectorsRoot = fileURLToPath(new URL('../../../test/fixtures/wamp-test-vectors/', import.meta.url));

function jsonFilesBelow(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? jsonFilesBelow(join(folder, entry.name)) : [join(folder, entry.name)]))
    .filter((path) => path.endsWith('.json'))
    .sort();
}

export function isSerializationSample(sample: SerializationSample | ValidationSample): sample is SerializationSample {
  return 'serializers' in sample;
}

/** Every vector file, sorted by path; throws on a file that is neither kind, so none is skipped unseen. */
export function loadVectors(): { single: SingleMessageVector[]; multi: MultiMessageVector[] } {
  if (!existsSync(join(vectorsRoot, 'SCHEMA.json'))) {
    throw new Error(`WAMP test vectors not found at ${vectorsRoot} (run the tests from dist/ after npm run build)`);
  }
  const single: SingleMessageVector[] = [];
  const multi: MultiMessageVector[] = [];
  for (const path of jsonFilesBelow(vectorsRoot)) {
    const file = relative(vectorsRoot, path);
    if (file === 'SCHEMA.json') continue;
    const content = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    if (Array.isArray(content.samples)) single.push({ ...(content as unknown as SingleMessageVector), file });
    else if (Array.isArray(content.sequence)) multi.push({ ...(content as unknown as MultiMessageVector), file });
    else throw new Error(`${file}: neither a single-message vector (samples) nor a sequence`);
  }
  return { single, multi };
}

/** The bytes of one representation: hex, else base64, else the UTF-8 of the text form. */
export function representationBytes(representation: SerializedBytes): Uint8Array {
  if (representation.bytes_hex !== undefined) return new Uint8Array(Buffer.from(representation.bytes_hex, 'hex'));
  if (representation.bytes_base64 !== undefined) return new Uint8Array(Buffer.from(representation.bytes_base64, 'base64'));
  if (representation.bytes !== undefined) return new TextEncoder().encode(representation.bytes);
  throw new Error('a representation without bytes, bytes_hex or bytes_base64');
}
