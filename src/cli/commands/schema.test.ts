import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from './schema.js';

describe('junction schema', () => {
  it('prints a JSON Schema of the file format', async () => {
    let stdout = '';
    const code = await run([], { stdout: (s) => void (stdout += s), stderr: () => assert.fail('no stderr expected') });
    assert.equal(code, 0);
    const schema = JSON.parse(stdout) as {
      $schema: string;
      type: string;
      additionalProperties: boolean;
      properties: Record<string, { items?: { oneOf?: { properties: { type: { const: string } } }[] } }>;
    };
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.type, 'object');
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(Object.keys(schema.properties).sort(), ['$schema', 'controller', 'version', 'workers']);
    const workerTypes = schema.properties.workers!.items!.oneOf!.map((worker) => worker.properties.type.const);
    assert.deepEqual(workerTypes, ['router', 'container', 'guest', 'proxy', 'websocket-testee']);
  });

  it('describes the transports, path services and components of the web transport and the HTTP bridge', async () => {
    let stdout = '';
    await run([], { stdout: (s) => void (stdout += s), stderr: () => assert.fail('no stderr expected') });
    const schema = JSON.parse(stdout) as JsonSchema;
    const router = (schema.properties!.workers!.items!.oneOf as JsonSchema[])[0]!;
    const constants = (list: JsonSchema[]) => list.map((item) => item.properties!.type!.const);
    const transports = router.properties!.transports!.items!.oneOf as JsonSchema[];
    assert.deepEqual(constants(transports), ['websocket', 'web', 'rawsocket', 'universal', 'pusher', 'mqtt', 'flashpolicy', 'websocket.testee', 'stream.testee']);

    // The path table is recursive (a `path` service holds another table), so services sit in definitions.
    const web = transports[1]!;
    const services = resolve(schema, web.properties!.paths!.additionalProperties!).oneOf as JsonSchema[];
    assert.deepEqual(constants(services.map((service) => resolve(schema, service))), [
      'websocket', 'static', 'json', 'redirect', 'nodeinfo', 'health', 'metrics', 'publisher', 'caller', 'webhook', 'longpoll', 'sse', 'console', 'mqtt', 'websocket-reverseproxy', 'reverseproxy', 'wsgi', 'cgi', 'upload', 'fileupload', 'resource', 'wap', 'archive', 'path',
    ]);
    assert.ok(web.properties!.options!.properties!.trusted_proxies, 'web options list trusted_proxies');

    const components = router.properties!.components!.items!.oneOf as JsonSchema[];
    assert.deepEqual(constants(components), ['class', 'function', 'process', 'zeromq', 'stdio']);
    // A class component's `extra` is described per bridge class name.
    const conditions = components[0]!.allOf as { if: JsonSchema; then: JsonSchema }[];
    assert.deepEqual(conditions[0]!.if.properties!.classname!.enum, [
      'crossbar.bridge.rest.MessageForwarder',
      'crossbar.adapter.rest.MessageForwarder',
      'MessageForwarder',
    ]);
    assert.ok(conditions[0]!.then.properties!.extra!.properties!.subscriptions);
    assert.ok(conditions[1]!.then.properties!.extra!.properties!.baseurl);
  });
});

interface JsonSchema {
  $ref?: string;
  const?: string;
  enum?: string[];
  oneOf?: JsonSchema[];
  allOf?: unknown[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
}

/** Follows a local "#/definitions/..." reference. */
function resolve(root: JsonSchema, schema: JsonSchema): JsonSchema {
  if (schema.$ref === undefined) return schema;
  const name = schema.$ref.replace('#/definitions/', '');
  const target = root.definitions?.[name];
  assert.ok(target, `definition ${name}`);
  return resolve(root, target);
}
