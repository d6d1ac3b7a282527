import { transformSync, type TransformFailure } from 'esbuild';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { commandNames, main } from '../../src/cli/main.js';
import { ConfigError, embeddedDefaultConfig, parseConfig, type JunctionConfig, type ListenerConfig, type PathService } from '../../src/config/index.js';
import { callBodyFields, callOptionNames } from '../../src/node/web/http-bridge/caller.js';
import { publishOptionNames } from '../../src/node/web/http-bridge/publish-options.js';
import { publishBodyFields } from '../../src/node/web/http-bridge/publisher.js';
import { parseSseRequest } from '../../src/transport/sse/sse-request.js';
import { captureIo, projectRoot } from '../support/cli.js';
import { blockValue, codeSpans, configPlaces, fencedBlocks, minimalConfig, namedCommands, placedConfig, type DocBlock } from '../support/doc-blocks.js';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';
import { userDocFiles } from '../support/markdown-links.js';
import { curlRequest, junctionArguments, optionProblems, optionValue, shellCommands, usageOptions, type CurlRequest } from '../support/shell-commands.js';

/**
 * Every config block of the user's documentation (README.md, docs/, examples/, the client's
 * README) loads through the loader `junction check` uses, so that a snippet a user copies works.
 *
 * The convention: a JSON or YAML block that is config has, on the last non-blank line before its
 * fence, an HTML comment (GitHub shows none) naming where it goes:
 *
 *   <!-- config: file -->          a whole config file
 *   <!-- config: PLACE -->         a fragment, placed into a minimal config (below) at PLACE
 *   <!-- config: PLACE; refused: CODE -->   a config shown as refused: loading it must fail with CODE
 *
 * The minimal config: one router worker with realm "realm1" (and each realm the block names), each
 * realm with role "anonymous" and each role the block names (no permissions), and a web transport
 * with a WebSocket path "ws". Places that take keys (a block of `"key": value` pairs, or an object):
 * node (the file's top level), router (the router worker), realm (realm1), web (the web transport),
 * paths (its paths), websocket (its "ws" path, for `auth` and `cookie` blocks), rlink (a link of
 * realm1). Places that take items (an object, or a list of them): workers, transports,
 * components, roles (added to the list there). Objects merge key by key; a list the block writes
 * replaces the one there, but an item with the `name` of one there (a realm, a role), or a router
 * worker, merges into it; `[...]` and `{...}` stand for the rest of the config (what the minimal
 * one has, or nothing). `${NAME}` references are set (exampleEnv).
 *
 * JSON and YAML blocks that are not config (a request body, an event) and config blocks that
 * cannot be checked are listed below with the reason, so that both lists stay visible and short;
 * the former must be valid JSON. JavaScript and TypeScript blocks must parse (esbuild, as modules);
 * blocks in other languages (nginx, PHP...) are not checked, each language listed with why.
 * Shell blocks: each `junction` command line is one the CLI takes (its own parser, with --help so
 * that nothing runs), each `junction` command and option named in the prose's code spans exists,
 * and each `curl` to the HTTP bridge uses a port and a path of the doc's config, the fields that
 * path's service reads, and a signature only where the path checks one; each `mosquitto_pub` and
 * `mosquitto_sub` line (blocks and prose) uses options its usage summary has, on the port of an
 * MQTT listener of the doc.
 */

const docs = userDocFiles(projectRoot);
const blocks = docs.flatMap((file) => fencedBlocks(file, readFileSync(join(projectRoot, file), 'utf8')));
const configLanguages = new Set(['json', 'yaml']);

/** A block named by its file and the start of its text (line numbers move as docs change). */
interface ListedBlock {
  file: string;
  starts: string;
  why: string;
}

/** JSON and YAML blocks that show something other than config. */
const notConfig: ListedBlock[] = [
  { file: 'docs/configuration.md', starts: '[{"realm": "realm1", "session":', why: 'the arguments of a wamp.session.on_stats event' },
  { file: 'docs/http-bridge.md', starts: '{"error": "wamp.error.not_authorized"', why: "the bridge's 403 answer" },
  { file: 'docs/http-bridge.md', starts: '{\n  "headers": {"Content-Type"', why: "a webhook event's argument" },
  { file: 'docs/http-bridge.md', starts: '{"error": "invalid_field"', why: "the bridge's 400 answer" },
  { file: 'docs/rest-procedures.md', starts: '{"args": ["cat.jpg"]', why: "what a process procedure's program reads on stdin" },
  { file: 'docs/rest-procedures.md', starts: '{\n  "realm": "realm1",\n  "authid": "joe"', why: 'the request an HTTP authenticator app receives' },
  { file: 'docs/stdio.md', starts: '{"type":"error","id":"r1"', why: "a stdio component's error line" },
];

/** Config blocks that are not checked, and why (none today). */
const unchecked: ListedBlock[] = [];

/** The languages of blocks checked here, and those that are not, with why. */
const checkedLanguages = new Set(['json', 'yaml', 'sh', 'js', 'ts']);
const uncheckedLanguages: Record<string, string> = {
  nginx: "nginx's own configuration",
  ini: "a Laravel app's .env",
  php: "an app's PHP code",
  python: "an app's or a program's Python code",
  ruby: "an app's Ruby code",
  http: 'a request as an app receives it',
  '': 'output as a client prints it',
};

function listed(list: readonly ListedBlock[], block: DocBlock): ListedBlock | undefined {
  return list.find((entry) => entry.file === block.file && block.text.trimStart().startsWith(entry.starts));
}

/** `${NAME}` values of the shape their place needs; any other name is set to "example-value". */
const shapedEnv: Record<string, string> = {
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  CAROL_STORED_KEY: 'ab'.repeat(32),
  CAROL_SERVER_KEY: 'cd'.repeat(32),
};
const exampleEnv = new Proxy(shapedEnv, { get: (env, name) => (typeof name !== 'string' ? undefined : env[name] ?? 'example-value') });

function where(block: DocBlock): string {
  return `${block.file}:${block.line}`;
}

/** The model of a marked block, or why it does not load (or, for a block shown as refused, loads). */
function loadBlock(block: DocBlock): { config?: JunctionConfig; problem?: string } {
  const marker = block.marker!;
  let document: unknown;
  try {
    document = placedConfig(blockValue(block), marker.place);
  } catch (error) {
    return { problem: `${where(block)}: cannot be placed at "${marker.place}": ${(error as Error).message}` };
  }
  try {
    const config = parseConfig(document, { source: where(block), env: exampleEnv, baseDir: join(projectRoot, block.file, '..') });
    return marker.refused === undefined ? { config } : { problem: `${where(block)}: loads, but the doc shows it refused with ${marker.refused}` };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (marker.refused !== undefined && error.problems.some((problem) => problem.code === marker.refused)) return {};
    return { problem: error.message };
  }
}

const configBlocks = blocks.filter((block) => block.marker !== undefined);
const loaded = new Map(configBlocks.map((block) => [block, loadBlock(block)]));

describe('config blocks of the documentation', () => {
  it('finds the blocks of the README, docs/ and the client README', () => {
    assert.ok(blocks.some((block) => block.file === 'src/client/README.md'));
    assert.ok(configBlocks.length > 50, `${configBlocks.length} marked blocks`);
  });

  it('marks each JSON or YAML block as config (with a known place), or lists it as something else', () => {
    const unaccounted = blocks
      .filter((block) => configLanguages.has(block.info) && block.marker === undefined && !listed(notConfig, block) && !listed(unchecked, block))
      .map((block) => `${where(block)} [${block.info}] ${block.text.split('\n')[0]}`);
    assert.deepEqual(unaccounted, []);
    const unknownPlaces = configBlocks.filter((block) => !configPlaces.includes(block.marker!.place)).map((block) => `${where(block)}: ${block.marker!.place}`);
    assert.deepEqual(unknownPlaces, []);
  });

  it('checks the blocks of each language, or says why not', () => {
    const unknown = blocks.filter((block) => !checkedLanguages.has(block.info) && !Object.hasOwn(uncheckedLanguages, block.info));
    assert.deepEqual(unknown.map((block) => `${where(block)} [${block.info}]`), []);
    const unused = Object.keys(uncheckedLanguages).filter((info) => !blocks.some((block) => block.info === info));
    assert.deepEqual(unused, []);
  });

  it('lists only blocks that are there and not marked', () => {
    const stale = [...notConfig, ...unchecked].filter((entry) => !blocks.some((block) => block.marker === undefined && listed([entry], block)));
    assert.deepEqual(stale, []);
  });

  it('loads each config block as junction check does (or refuses it as the doc says)', () => {
    assert.deepEqual([...loaded.values()].flatMap((result) => (result.problem === undefined ? [] : [result.problem])), []);
  });

  it('writes each JSON block that is not config as valid JSON', () => {
    const invalid = blocks.filter((block) => block.info === 'json' && listed(notConfig, block)).flatMap((block) => {
      try {
        JSON.parse(block.text);
        return [];
      } catch (error) {
        return [`${where(block)}: ${(error as Error).message}`];
      }
    });
    assert.deepEqual(invalid, []);
  });
});

describe('client code of the documentation', () => {
  it('writes each JavaScript and TypeScript block as a module that parses', () => {
    const code = blocks.filter((block) => block.info === 'js' || block.info === 'ts');
    assert.ok(code.some((block) => block.file === 'src/client/README.md' && block.info === 'ts'));
    const invalid = code.flatMap((block) => {
      try {
        transformSync(block.text, { loader: block.info as 'js' | 'ts', format: 'esm', target: 'esnext', logLevel: 'silent' });
        return [];
      } catch (error) {
        return (error as TransformFailure).errors.map((problem) => `${block.file}:${block.line + (problem.location?.line ?? 0)}: ${problem.text}`);
      }
    });
    assert.deepEqual(invalid, []);
  });
});

const cliAnswers = new Map<string, { ok: boolean; said: string }>();

/** Whether the CLI takes these arguments (with --help added, its parser runs and nothing else); each asked once. */
async function cliTakes(args: readonly string[]): Promise<{ ok: boolean; said: string }> {
  const key = JSON.stringify(args);
  const known = cliAnswers.get(key);
  if (known !== undefined) return known;
  const { out, io } = captureIo();
  const code = await main([...args, '--help'], io);
  const answer = { ok: code === 0, said: out.stderr.split('\n')[0] ?? '' };
  cliAnswers.set(key, answer);
  return answer;
}

const shellBlocks = blocks.filter((block) => block.info === 'sh');

describe('shell blocks of the documentation', () => {
  it('runs each junction command line through the CLI parser', async () => {
    const refused: string[] = [];
    for (const block of shellBlocks) {
      for (const command of shellCommands(block.text)) {
        const args = junctionArguments(command);
        if (args === undefined) continue;
        const { ok, said } = await cliTakes(args);
        if (!ok) refused.push(`${where(block)}: junction ${args.join(' ')}: ${said}`);
      }
    }
    assert.deepEqual(refused, []);
  });

  it('names only junction commands and options that exist, in the prose too', async () => {
    const unknown: string[] = [];
    for (const file of docs) {
      for (const { line, command, options } of namedCommands(readFileSync(join(projectRoot, file), 'utf8'))) {
        const exists = command === undefined ? { ok: true, said: '' } : await cliTakes([command]);
        if (!exists.ok) unknown.push(`${file}:${line}: junction ${command}: ${exists.said}`);
        for (const option of exists.ok ? options : []) {
          if (command === undefined && otherProgramsOptions.has(option.name)) continue;
          if (!(await optionExists(command === undefined ? commandNames : [command], option.name))) unknown.push(`${file}:${line}: junction ${command ?? '(any command)'} --${option.name}`);
        }
      }
    }
    assert.deepEqual(unknown, []);
  });
});

/** Options the prose names alone that are other programs' (redis-server's, a stdio command's). */
const otherProgramsOptions = new Set(['save', 'appendonly', 'password', 'token', 'api-key', 'dsn']);

/**
 * Whether one of `commands` knows the option: its parser does not call it unknown, given with a
 * value or without (the value is a placeholder, and may be refused).
 */
async function optionExists(commands: readonly string[], name: string): Promise<boolean> {
  for (const command of commands) {
    for (const spelling of [`--${name}`, `--${name}=x`]) if (!(await cliTakes([command, spelling])).said.includes(`Unknown option '${spelling.split('=')[0]}'`)) return true;
  }
  return false;
}

/** The places of blocks that show a doc's own web paths. */
const webPlaces = new Set(['file', 'web', 'paths']);

/** The listeners of a doc's config blocks at these places. */
function listenersOf(file: string, places: (place: string) => boolean): ListenerConfig[] {
  return configBlocks.filter((block) => block.file === file && places(block.marker!.place)).flatMap((block) => loaded.get(block)?.config?.listeners ?? []);
}

/**
 * The services of the web paths a doc shows, by URL path, and the ports they are on: the
 * listeners' and those its `junction` command lines give with `--port` (undefined: any port, for a
 * fragment, placed on the minimal config's port 0). A doc that shows no web paths runs the
 * embedded default (`npm start`, `junction start`), which serves the paths `junction init` writes.
 */
function webOf(file: string): { services: Map<string, PathService>; ports: Set<number> | undefined } {
  const shown = listenersOf(file, (place) => webPlaces.has(place));
  const listeners = shown.length > 0 ? shown : embeddedDefaultConfig().listeners;
  const services = new Map<string, PathService>();
  for (const listener of listeners) for (const [path, service] of Object.entries(listener.paths)) services.set(path, service);
  const withPaths = listeners.filter((listener) => Object.keys(listener.paths).length > 0);
  if (withPaths.some((listener) => listener.endpoint.port === 0)) return { services, ports: undefined };
  const given = shellBlocks.filter((block) => block.file === file).flatMap((block) => shellCommands(block.text)).flatMap((command) => optionValue(junctionArguments(command) ?? [], '--port') ?? []);
  return { services, ports: new Set([...withPaths.map((listener) => listener.endpoint.port), ...given.map(Number)]) };
}

/** What is wrong with a curl request to a service, by what that service reads; undefined when nothing is. */
function requestProblem(request: CurlRequest, service: PathService): string | undefined {
  const url = new URL(request.url);
  const fields = (allowed: readonly string[], options: readonly string[]): string | undefined => {
    const body = JSON.parse(request.body ?? '{}') as Record<string, unknown>;
    const unknown = [...Object.keys(body).filter((key) => !allowed.includes(key)), ...Object.keys(body.options ?? {}).filter((key) => !options.includes(key))];
    return unknown.length === 0 ? undefined : `a ${service.type} does not read ${unknown.join(', ')}`;
  };
  // A signature sent to a path without key and secret is not checked: the reader would think it was.
  if ((service.type === 'publisher' || service.type === 'caller') && url.searchParams.has('signature') && service.options.signature === undefined) {
    return `signed, but the ${service.type} path has no key and secret, so the signature is not checked`;
  }
  switch (service.type) {
    case 'publisher': return fields(publishBodyFields, publishOptionNames);
    case 'caller': return fields(callBodyFields, callOptionNames);
    case 'sse':
      try {
        parseSseRequest(`${url.pathname}${url.search}`, request.headers, { maxTopics: 10, cookieName: 'junction_ticket' });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    default: return undefined;
  }
}

describe('curl requests of the documentation', () => {
  it('sends each to a port and path of the doc\'s config, with the fields its service reads, signed only where checked', () => {
    const problems: string[] = [];
    for (const block of shellBlocks) {
      for (const command of shellCommands(block.text)) {
        const request = curlRequest(command);
        if (request === undefined) continue;
        const { services, ports } = webOf(block.file);
        const url = new URL(request.url);
        const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
        const service = services.get(url.pathname);
        const problem = ports !== undefined && !ports.has(port) ? `port ${port}, where the doc's config and command lines listen on ${[...ports].join(', ')}`
          : service === undefined ? `no path ${url.pathname} in the doc's config (it has ${[...services.keys()].join(', ')})` : requestProblem(request, service);
        if (problem !== undefined) problems.push(`${where(block)}: curl ${request.url}: ${problem}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});

const mosquittoPrograms = ['mosquitto_pub', 'mosquitto_sub'];

/** The options of mosquitto_pub and mosquitto_sub, from their own usage summaries. */
function mosquittoOptions(program: string): Map<string, boolean> {
  const help = spawnSync(join(dirname(debianNeed('mosquitto-clients').file), program), ['--help'], { encoding: 'utf8' }).stdout;
  const usage = help.slice(help.indexOf('Usage:'), help.indexOf('\n\n', help.indexOf('Usage:')));
  return usageOptions(usage);
}

describe('MQTT command lines of the documentation', { skip: skipWithoutDebian('mosquitto-clients') }, () => {
  it('gives mosquitto_pub and mosquitto_sub only options they have, and the port of an MQTT listener of the doc', () => {
    const options = new Map(mosquittoPrograms.map((program) => [program, mosquittoOptions(program)]));
    assert.equal(options.get('mosquitto_sub')!.get('-t'), true);
    assert.equal(options.get('mosquitto_sub')!.get('-c'), false);
    const problems: string[] = [];
    let checked = 0;
    for (const file of docs) {
      const text = readFileSync(join(projectRoot, file), 'utf8');
      const lines = [
        ...shellBlocks.filter((block) => block.file === file).flatMap((block) => shellCommands(block.text).map((command) => ({ line: block.line, command }))),
        ...codeSpans(text).filter(({ code }) => /^mosquitto_\w+ -/.test(code)).flatMap(({ line, code }) => shellCommands(code).map((command) => ({ line, command }))),
      ].filter(({ command }) => mosquittoPrograms.includes(command[0]!) && command.length > 1);
      const mqttPorts = [...new Set(listenersOf(file, () => true).filter((listener) => listener.mqtt !== undefined).map((listener) => listener.endpoint.port))];
      for (const { line, command } of lines) {
        checked++;
        const port = Number(optionValue(command, '-p') ?? 1883);
        const wrongPort = mqttPorts.includes(port) ? [] : [`port ${port}, where the doc's MQTT listeners are on ${mqttPorts.join(', ') || 'none'}`];
        for (const problem of [...optionProblems(command, options.get(command[0]!)!), ...wrongPort]) problems.push(`${file}:${line}: ${command.join(' ')}: ${problem}`);
      }
    }
    assert.ok(checked >= 2, `${checked} mosquitto command lines`);
    assert.deepEqual(problems, []);
  });
});

describe('the block reader', () => {
  const markdown = [
    'A realm:',
    '<!-- config: realm -->',
    '```json',
    '"roles": [{"name": "frontend"}]',
    '```',
    '<!-- config: transports; refused: config.value -->',
    '',
    '~~~yaml',
    '- type: rawsocket',
    '~~~',
    '<!-- config: file -->',
    'A paragraph between.',
    '```json',
    '{}',
    '```',
  ].join('\n');

  it('reads each block with its info string, line and the marker on the line before it', () => {
    assert.deepEqual(fencedBlocks('a.md', markdown), [
      { file: 'a.md', line: 3, info: 'json', text: '"roles": [{"name": "frontend"}]', marker: { place: 'realm' } },
      { file: 'a.md', line: 8, info: 'yaml', text: '- type: rawsocket', marker: { place: 'transports', refused: 'config.value' } },
      { file: 'a.md', line: 13, info: 'json', text: '{}' },
    ]);
  });

  it('reads a JSON list of keys as an object, and [...] and {...} as the rest of the config', () => {
    const value = blockValue({ info: 'json', text: '"type": "router", "realms": [...], "options": {...}' });
    assert.deepEqual(placedConfig(value, 'workers'), minimalDocument({ options: {} }));
    assert.deepEqual(placedConfig(blockValue({ info: 'yaml', text: 'realms: [...]' }), 'file'), { realms: {} });
  });

  it('places a fragment into the minimal config, which has each realm and role the block names', () => {
    const auth = placedConfig(blockValue({ info: 'json', text: '"auth": {"ticket": {"type": "dynamic", "authenticator": "x", "authenticator-realm": "auth", "authenticator-role": "checker"}}' }), 'websocket');
    const router = (auth as { workers: Record<string, unknown>[] }).workers[0]!;
    assert.deepEqual((router.realms as { name: string; roles: unknown[] }[]).map((realm) => [realm.name, realm.roles]), [
      ['realm1', [{ name: 'anonymous' }, { name: 'checker' }]],
      ['auth', [{ name: 'anonymous' }, { name: 'checker' }]],
    ]);
    assert.deepEqual((router.transports as Record<string, unknown>[])[0]!.paths, {
      ws: { type: 'websocket', auth: { ticket: { type: 'dynamic', authenticator: 'x', 'authenticator-realm': 'auth', 'authenticator-role': 'checker' } } },
    });
  });

  it('replaces a list the block writes, merging an item with the name of one there into it', () => {
    const placed = placedConfig(blockValue({ info: 'yaml', text: 'realms:\n  - {name: other}\n  - {name: realm1, options: {uri_check: loose}}' }), 'router');
    const realms = (placed as { workers: { realms: unknown[] }[] }).workers[0]!.realms;
    assert.deepEqual(realms, [{ name: 'other' }, { name: 'realm1', roles: [{ name: 'anonymous' }], options: { uri_check: 'loose' } }]);
    assert.deepEqual(placedConfig(blockValue({ info: 'json', text: '{"type": "router", "transports": []}' }), 'workers'), minimalDocument({ transports: [] }));
  });

  it('adds the items of a place that takes them, merging a router worker into the router', () => {
    const placed = placedConfig(blockValue({ info: 'yaml', text: '- {type: router, max_nesting_depth: 32}\n- {type: guest, executable: node}' }), 'workers');
    assert.deepEqual(placed, { ...minimalDocument({ max_nesting_depth: 32 }), workers: [...(minimalDocument({ max_nesting_depth: 32 }).workers as unknown[]), { type: 'guest', executable: 'node' }] });
  });

  it('refuses a place it does not know, and keys where items go', () => {
    assert.throws(() => placedConfig({}, 'realms'), /unknown place "realms"/);
    assert.throws(() => placedConfig({}, 'constructor'), /unknown place "constructor"/);
    assert.throws(() => placedConfig('text', 'router'), /must be an object of keys/);
  });

  it('loads a block marked refused only when it is refused with the code the marker names', () => {
    const block = (marker: DocBlock['marker'], text: string): DocBlock => ({ file: 'a.md', line: 1, info: 'json', text, ...(marker ? { marker } : {}) });
    const wrongPort = '{"type": "websocket", "endpoint": {"type": "tcp", "port": "eighty"}}';
    assert.deepEqual(loadBlock(block({ place: 'transports', refused: 'config.value' }, wrongPort)), {});
    assert.match(loadBlock(block({ place: 'transports', refused: 'config.missing' }, wrongPort)).problem!, /workers\[0\]\.transports\[1\]\.endpoint\.port/);
    assert.match(loadBlock(block({ place: 'transports', refused: 'config.value' }, '{"type": "websocket", "endpoint": {"type": "tcp", "port": 80}}')).problem!, /loads, but the doc shows it refused with config\.value/);
    assert.match(loadBlock(block({ place: 'transports' }, '{"type": "websocket"')).problem!, /cannot be placed at "transports"/);
  });
});

/** The minimal config with these keys of the router worker. */
function minimalDocument(router: Record<string, unknown>): Record<string, unknown> {
  const config = minimalConfig([], []);
  Object.assign((config.workers as Record<string, unknown>[])[0]!, router);
  return config;
}

describe('the shell reader', () => {
  it('splits a block into commands, with quotes, continuations, comments, redirections and variables', () => {
    const text = [
      "BODY='{\"a\": 1}'; URL=http://h/p",
      'NODE_ID=n1 junction start --config "my file.yaml" \\',
      '  --port 8081 &   # a comment',
      'junction schema > schema.json 2>&1 && echo "$(date -u) done"',
      'curl -N -H \'Last-Event-ID: 1\' -d "$BODY" "$URL?x=1" | jq .',
    ].join('\n');
    assert.deepEqual(shellCommands(text), [
      ['junction', 'start', '--config', 'my file.yaml', '--port', '8081'],
      ['junction', 'schema'],
      ['echo', '$(date -u) done'],
      ['curl', '-N', '-H', 'Last-Event-ID: 1', '-d', '{"a": 1}', 'http://h/p?x=1'],
      ['jq', '.'],
    ]);
    assert.deepEqual(curlRequest(shellCommands(text)[3]!), { url: 'http://h/p?x=1', headers: { 'last-event-id': '1' }, body: '{"a": 1}' });
  });

  it('reads an unclosed quote to the end, as the shell waits for its end', () => {
    assert.deepEqual(shellCommands("echo it's"), [['echo', 'its']]);
  });

  it('reads a session (`$ ` before each command) from its command lines only', () => {
    assert.deepEqual(shellCommands("$ curl -i 'http://h/sse?topic=a'\nHTTP/1.1 403 Forbidden\n\n{\"error\": 1}"), [['curl', '-i', 'http://h/sse?topic=a']]);
  });

  it('knows junction by its name, its path, npx and npm start', () => {
    assert.deepEqual(junctionArguments(['/opt/junction/node_modules/.bin/junction', 'init', 'dir']), ['init', 'dir']);
    assert.deepEqual(junctionArguments(['npx', 'junction', 'check']), ['check']);
    assert.deepEqual(junctionArguments(['npm', 'start', '--', '--port', '8081']), ['start', '--port', '8081']);
    assert.equal(junctionArguments(['npm', 'test']), undefined);
  });

  it('finds the commands and options code spans name, in usage summaries and tables too', () => {
    const prose = [
      '| `junction status [--cbdir DIR \\| --pid-file FILE] [--assert running\\|stopped]` | `ExecReload=junction reload --pid-file F` |',
      'Use `--workers N` or `junction.config.get`; `npm start -- --port 8081`.',
      '```sh',
      'junction ignored --in-fences',
      '```',
    ].join('\n');
    assert.deepEqual(namedCommands(prose), [
      { line: 1, command: 'status', options: [{ name: 'cbdir', value: 'DIR' }, { name: 'pid-file', value: 'FILE' }, { name: 'assert', value: 'running' }] },
      { line: 1, command: 'reload', options: [{ name: 'pid-file', value: 'F' }] },
      { line: 2, options: [{ name: 'workers', value: 'N' }] },
      { line: 2, command: 'start', options: [{ name: 'port', value: '8081' }] },
    ]);
  });

  it('reads a usage summary\'s options, each with whether a value follows it', () => {
    const options = usageOptions('Usage: sub {[-h host] [-p port] -t topic | -L URL}\n    [-c] [-U topic ...] [--will-topic [--will-payload payload]]');
    assert.deepEqual([...options], [['-h', true], ['-p', true], ['-t', true], ['-L', true], ['-c', false], ['-U', true], ['--will-topic', false], ['--will-payload', true]]);
    assert.deepEqual(optionProblems(['sub', '-c', '-t', 'a/b', '-x', 'stray'], options), ['no option -x', 'a word that is no option\'s value: stray']);
    assert.deepEqual(optionProblems(['sub', '-c', '-t'], options), ['-t without its value']);
    assert.equal(optionValue(['sub', '-p', '1883', '-p', '8883'], '-p'), '8883');
  });

  it('tells an option the CLI does not know from one it does', async () => {
    assert.equal(await optionExists(['start'], 'workers'), true);
    assert.equal(await optionExists(['stop'], 'workers'), false);
    assert.equal(await optionExists(commandNames, 'debug-lifecycle'), true);
    assert.equal(await optionExists(commandNames, 'no-such-option'), false);
  });
});
