import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configJsonSchema } from './json-schema.js';
import { configDocument, loadDocument, websocketAt } from './test-support.js';

/**
 * The schema owns every default (issue 12): what the loader fills in for a key the file leaves
 * out is the `default` the schema publishes for it (`junction schema`), read here through the
 * exported JSON Schema rather than restated.
 */

type JsonObject = Record<string, unknown>;

function child(value: unknown, ...path: (string | number)[]): JsonObject {
  let node = value;
  for (const key of path) node = (node as Record<string | number, unknown>)[key];
  assert.ok(node && typeof node === 'object', `the JSON Schema has ${path.join('.')}`);
  return node as JsonObject;
}

/** The transport schema whose `type` is `type`. */
function transportSchema(type: string): JsonObject {
  const router = child(configJsonSchema(), 'properties', 'workers', 'items', 'oneOf', 0);
  const variants = child(router, 'properties', 'transports', 'items', 'oneOf') as unknown as JsonObject[];
  const found = variants.find((variant) => (child(variant, 'properties', 'type') as { const?: string }).const === type);
  assert.ok(found, `a "${type}" transport schema`);
  return found;
}

const camelCase = (key: string): string => key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** The published default of each of `properties`, by its model (camelCase) name. */
function publishedDefaults(properties: JsonObject): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(properties)) {
    if (schema && typeof schema === 'object' && 'default' in schema) defaults[camelCase(key)] = (schema as JsonObject).default;
  }
  return defaults;
}

/**
 * Keys whose default the JSON Schema cannot show, with the value the schema gives them. zod leaves
 * out the `default` of `compression` (a union whose object part transforms its ignored keys).
 */
const unpublished: Record<string, unknown> = { compression: false };

/** Every key of `model` has a published default, and it is the value the loader gave. */
function assertModelIsDefaults(model: object, published: Record<string, unknown>): void {
  const defaults = { ...unpublished, ...published };
  const missing = Object.keys(model).filter((key) => !(key in defaults));
  assert.deepEqual(missing, [], 'model keys without a default in the schema');
  const expected = Object.fromEntries(Object.keys(model).map((key) => [key, defaults[key]]));
  assert.deepEqual(JSON.parse(JSON.stringify(model)), expected);
}

describe('the defaults the loader fills in are the schema\'s', () => {
  it('websocket options', () => {
    const config = loadDocument(configDocument({ transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 0 } }] }));
    const options = websocketAt(config.listeners[0], '/').options;
    assertModelIsDefaults(options, publishedDefaults(child(transportSchema('websocket'), 'properties', 'options', 'properties')));
  });

  it('rawsocket options', () => {
    const config = loadDocument(configDocument({ transports: [{ type: 'rawsocket', endpoint: { type: 'tcp', port: 0 } }] }));
    const { serializers: _serializers, auth: _auth, ...options } = config.listeners[0]!.rawsocket!;
    assertModelIsDefaults(options, publishedDefaults(child(transportSchema('rawsocket'), 'properties', 'options', 'properties')));
  });
});
