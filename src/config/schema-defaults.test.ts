import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configJsonSchema } from './json-schema.js';
import type { ComponentConfig, ListenerConfig } from './model.js';
import { componentModel, configDocument, loadDocument, pathServiceModel, plain } from './test-support.js';

/**
 * The schema owns every default (issue 12): what the loader fills in for a key the file leaves
 * out is the `default` the schema publishes for it (`junction schema`), read here through the
 * exported JSON Schema rather than restated. Each section is loaded from a file that gives only
 * what it requires; every other key of its model must carry the published default, so a default
 * written a second time in normalize (or a model key the schema does not know) fails here.
 */

type JsonObject = Record<string, unknown>;

const published = configJsonSchema();

/** A node of the published schema, with `$ref`s followed. */
function resolve(node: unknown): JsonObject {
  assert.ok(node && typeof node === 'object', 'a schema node');
  const ref = (node as { $ref?: string }).$ref;
  if (ref === undefined) return node as JsonObject;
  const name = ref.replace(/^#\/definitions\//, '');
  return resolve((published.definitions as JsonObject)[name]);
}

function child(node: unknown, ...path: (string | number)[]): JsonObject {
  let current = resolve(node);
  for (const key of path) {
    const next = (current as Record<string | number, unknown>)[key];
    assert.ok(next !== undefined, `the JSON Schema has ${path.join('.')}`);
    current = resolve(next);
  }
  return current;
}

/** The alternative of a `oneOf` / `anyOf` list whose `type` (or another discriminating key) is `value`. */
function variant(node: JsonObject, value: string, key = 'type'): JsonObject {
  const list = ((node.oneOf ?? node.anyOf) as unknown[]).map(resolve);
  const found = list.find((option) => {
    const property = (option.properties as JsonObject | undefined)?.[key] as { const?: string; enum?: string[] } | undefined;
    return property?.const === value || property?.enum?.includes(value);
  });
  assert.ok(found, `a "${value}" alternative`);
  return found;
}

const routerWorker = variant(child(published, 'properties', 'workers', 'items'), 'router');
const routerProperties = child(routerWorker, 'properties');
const transport = (type: string) => variant(child(routerProperties, 'transports', 'items'), type);
const pathService = (type: string) => variant(child(transport('web'), 'properties', 'paths', 'additionalProperties'), type);
const component = (type: string) => variant(child(routerProperties, 'components', 'items'), type);
/** A bridge class's `extra`, as the schema tells editors (by classname). */
function bridgeExtra(classname: string): JsonObject {
  const rules = component('class').allOf as { if: { properties: { classname: { enum: string[] } } }; then: JsonObject }[];
  const rule = rules.find((candidate) => candidate.if.properties.classname.enum.includes(classname));
  assert.ok(rule, `the schema's extra for ${classname}`);
  return child(rule.then, 'properties', 'extra');
}

/** A model key's file key and, where the model converts the value, how. */
type Rename = string | { key: string; convert: (value: unknown) => unknown };
const seconds = (key: string): Rename => ({ key, convert: (value) => (value as number) * 1000 });
const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/**
 * Every key of `model` except `given` has the default `schema` publishes for its file key (the
 * snake_case of the model key, unless `renamed`). A nested object without a default of its own
 * (retry, publish_rate...) is compared key by key.
 */
function assertDefaults(model: object, schema: JsonObject, options: { given?: readonly string[]; renamed?: Record<string, Rename> } = {}): void {
  const properties = child(schema, 'properties');
  for (const [key, value] of Object.entries(plain(model) as JsonObject)) {
    if (options.given?.includes(key)) continue;
    const rename = options.renamed?.[key];
    const fileKey = rename === undefined ? snakeCase(key) : typeof rename === 'string' ? rename : rename.key;
    assert.ok(fileKey in properties, `the model's ${key} has a schema key (${fileKey})`);
    const property = resolve(properties[fileKey]);
    // An object given as a whole by default ({} filled in by its keys' defaults) is compared key by key.
    if (property.properties && value && typeof value === 'object' && !Array.isArray(value)) {
      assertDefaults(value, property, options);
    } else if ('default' in property) {
      const expected = typeof rename === 'object' ? rename.convert(property.default) : property.default;
      assert.deepEqual(value, expected, `${key}: the loader's value is the schema's default for ${fileKey}`);
    } else {
      assert.fail(`${fileKey} has a published default`);
    }
  }
}

function componentOf<K extends ComponentConfig['kind']>(entry: Record<string, unknown>, kind: K): Extract<ComponentConfig, { kind: K }> {
  const loaded = componentModel({ id: 'piece', realm: 'realm1', role: 'backend', ...entry });
  assert.equal(loaded.kind, kind);
  return loaded as Extract<ComponentConfig, { kind: K }>;
}

function listenerOf(entry: Record<string, unknown>): ListenerConfig {
  return loadDocument(configDocument({ transports: [{ endpoint: { type: 'tcp', port: 0 }, ...entry }] })).listeners[0]!;
}

/** The model's common parts of a component (who it is), given by every test file. */
const componentIdentity = ['kind', 'id', 'realm', 'role'];

/**
 * Keys whose default the JSON Schema cannot show, with the value the schema gives them. zod leaves
 * out the `default` of `compression` (a union whose object part transforms its ignored keys).
 */
const unpublished = { compression: false };

describe("the defaults the loader fills in are the schema's", () => {
  it('websocket options', () => {
    const { options } = pathServiceModel({ type: 'websocket' });
    assert.equal(options.compression, unpublished.compression);
    const { compression: _compression, ...rest } = options;
    assertDefaults(rest, child(transport('websocket'), 'properties', 'options'));
  });

  it('rawsocket options', () => {
    const { serializers: _serializers, auth: _auth, ...options } = listenerOf({ type: 'rawsocket' }).rawsocket!;
    assertDefaults(options, child(transport('rawsocket'), 'properties', 'options'));
  });

  it('realm options and limits', () => {
    const realm = loadDocument(configDocument({ realms: [{ name: 'realm1', roles: [] }] })).realms[0]!;
    assertDefaults(realm.options, child(routerProperties, 'realms', 'items', 'properties', 'options'));
  });

  it('the router worker: sign_in, cluster, max_nesting_depth', () => {
    const config = loadDocument(configDocument({ cluster: { redis: { url: 'redis://127.0.0.1:6379/0' } } }));
    assertDefaults(config.signIn, routerProperties.sign_in as JsonObject, {
      renamed: { forgiveAfterMs: 'forgive_after', spacingMs: 'spacing', maxWaitMs: 'max_wait', challengeTimeoutMs: 'challenge_timeout', dynamicTimeoutMs: 'dynamic_timeout' },
    });
    const cluster = child(routerProperties, 'cluster');
    assertDefaults(config.cluster!, cluster, { given: ['redis', 'prefix', 'maxPendingBytes', 'commandTimeoutMs'], renamed: { heartbeatMs: 'heartbeat', leaseMs: 'lease' } });
    assertDefaults({ prefix: config.cluster!.prefix, maxPendingBytes: config.cluster!.maxPendingBytes, commandTimeoutMs: config.cluster!.commandTimeoutMs },
      child(cluster, 'properties', 'redis'), { renamed: { commandTimeoutMs: 'command_timeout' } });
    assert.equal(config.maxNestingDepth, child(routerProperties, 'max_nesting_depth').default);
  });

  it('long-poll', () => {
    const { type: _type, serializers: _serializers, auth: _auth, ...service } = pathServiceModel({ type: 'longpoll' });
    assertDefaults(service, child(pathService('longpoll'), 'properties', 'options'), {
      renamed: { requestTimeoutMs: seconds('request_timeout'), sessionTimeoutMs: seconds('session_timeout') },
    });
  });

  it('SSE', () => {
    const { type: _type, realm: _realm, auth: _auth, ...service } = pathServiceModel({ type: 'sse', realm: 'realm1' });
    assertDefaults(service, child(pathService('sse'), 'properties', 'options'), { renamed: { heartbeatMs: 'heartbeat_interval', resumeWaitMs: 'resume_wait' } });
  });

  it('HTTP bridge services: publisher, caller, webhook', () => {
    const identity = ['type', 'realm', 'role'];
    const publisher = pathServiceModel({ type: 'publisher', realm: 'realm1', role: 'backend' });
    assertDefaults(publisher.options, child(pathService('publisher'), 'properties', 'options'));
    const caller = pathServiceModel({ type: 'caller', realm: 'realm1', role: 'backend' });
    assertDefaults(caller.options, child(pathService('caller'), 'properties', 'options'));
    assertDefaults({ maxTimeoutMs: caller.maxTimeoutMs }, child(pathService('caller'), 'properties', 'options'), { renamed: { maxTimeoutMs: 'max_timeout' } });
    const { options, ...webhook } = pathServiceModel({ type: 'webhook', realm: 'realm1', role: 'backend', options: { topic: 'app.hooks' } });
    const webhookOptions = child(pathService('webhook'), 'properties', 'options');
    assertDefaults(options, webhookOptions);
    assertDefaults(webhook, webhookOptions, { given: [...identity, 'topic'] });
  });

  it("the console's WebSocket", () => {
    const { websocket } = pathServiceModel({ type: 'console', realm: 'realm1', auth: { anonymous: { type: 'static', role: 'backend' } } });
    const { compression: _compression, ...rest } = websocket;
    assertDefaults(rest, child(transport('websocket'), 'properties', 'options'));
  });

  it('components: MessageForwarder, RESTCallee, process, zeromq, stdio', () => {
    const forwarder = componentOf({ type: 'class', classname: 'MessageForwarder', extra: { subscriptions: [{ topic: 'app.news', url: 'http://127.0.0.1:8000/' }] } }, 'forwarder');
    assertDefaults(forwarder, bridgeExtra('MessageForwarder'), {
      given: [...componentIdentity, 'subscriptions'],
      renamed: { timeoutMs: 'timeout', initialDelayMs: 'initial_delay', maxDelayMs: 'max_delay' },
    });
    const rest = componentOf({ type: 'class', classname: 'RESTCallee', extra: { procedure: 'app.api', baseurl: 'http://127.0.0.1:8000/' } }, 'rest-callee');
    assertDefaults(rest, bridgeExtra('RESTCallee'), {
      given: [...componentIdentity, 'procedure', 'baseUrl'],
      renamed: { timeoutMs: 'timeout', errorOn4xx: 'error_on_4xx', errorOn5xx: 'error_on_5xx' },
    });
    const program = componentOf({ type: 'process', procedure: 'app.run', command: ['/bin/true'] }, 'process');
    // cwd: the config folder (where the file is), not a fixed default.
    assertDefaults(program, component('process'), { given: [...componentIdentity, 'procedure', 'command', 'cwd'], renamed: { timeoutMs: 'timeout' } });
    const zeromq = componentOf({ type: 'zeromq', bind: 'tcp://127.0.0.1:5555' }, 'zeromq');
    // subscribe: only meaningful with socket "sub" (documented default [""]); endpoint: given.
    assertDefaults(zeromq, component('zeromq'), { given: [...componentIdentity, 'endpoint', 'subscribe'] });
    const stdio = componentOf({ type: 'stdio', command: ['/bin/cat'] }, 'stdio');
    assertDefaults(stdio, component('stdio'), { given: [...componentIdentity, 'command', 'cwd'], renamed: { initialDelayMs: 'initial_delay', maxDelayMs: 'max_delay' } });
  });

  it('mqtt', () => {
    const { realm: _realm, payloadMapping: _mapping, auth: _auth, ...mqtt } = listenerOf({ type: 'mqtt', options: { realm: 'realm1' } }).mqtt!;
    assertDefaults(mqtt, child(transport('mqtt'), 'properties', 'options'));
  });

  it('pusher', () => {
    const pusher = listenerOf({ type: 'pusher', apps: [{ id: 'app1', key: 'key1', secret: 'secret1', realm: 'realm1', role: 'backend' }] }).pusher!;
    const { apps, ...limits } = pusher;
    const schema = transport('pusher');
    assertDefaults(limits, child(schema, 'properties', 'options'), { renamed: { activityTimeoutS: 'activity_timeout', pongTimeoutMs: 'pong_timeout' } });
    assertDefaults(apps[0]!, child(schema, 'properties', 'apps', 'items'), { given: ['id', 'key', 'secret', 'realm', 'role'] });
  });
});
