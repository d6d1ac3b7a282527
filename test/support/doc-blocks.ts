/**
 * The fenced code blocks of the user's documentation, for the test that each config block loads:
 * where a block goes (its marker), the minimal config it is placed into, and the `junction`
 * command lines and `curl` requests of shell blocks. The convention is described in
 * test/project/doc-configs.test.ts.
 */
import { parseText } from '../../src/config/source.js';
import { withoutFences } from './markdown-links.js';

/** A fenced block: its file, the line of its opening fence, the info string, its text and its marker. */
export interface DocBlock {
  file: string;
  line: number;
  info: string;
  text: string;
  /** The `<!-- config: ... -->` comment on the last non-blank line before the fence, when there is one. */
  marker?: ConfigMarker;
}

/** Where a config block goes, and, for a block that shows a refused config, the problem code it must get. */
export interface ConfigMarker {
  place: string;
  refused?: string;
}

const markerPattern = /^\s*<!--\s*config:\s*([\w-]+)(?:\s*;\s*refused:\s*([\w.]+))?\s*-->\s*$/;

/** Every fenced block (``` or ~~~) of a markdown text, in order. */
export function fencedBlocks(file: string, markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  let open: { fence: string; line: number; info: string; body: string[] } | undefined;
  lines.forEach((line, index) => {
    const fence = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (open === undefined) {
      if (fence) open = { fence: fence[1]!, line: index + 1, info: fence[2]!.trim(), body: [] };
      return;
    }
    if (fence && fence[1]!.startsWith(open.fence) && fence[2]!.trim() === '') {
      const before = lines.slice(0, open.line - 1).reverse().find((text) => text.trim() !== '');
      const marker = before === undefined ? undefined : readMarker(before);
      blocks.push({ file, line: open.line, info: open.info, text: open.body.join('\n'), ...(marker === undefined ? {} : { marker }) });
      open = undefined;
      return;
    }
    open.body.push(line);
  });
  return blocks;
}

function readMarker(line: string): ConfigMarker | undefined {
  const match = markerPattern.exec(line);
  if (!match) return undefined;
  return { place: match[1]!, ...(match[2] === undefined ? {} : { refused: match[2] }) };
}

/** `[...]` and `{...}` in a block: "the rest of your config". */
const elided = Symbol('elided');

/**
 * A block's value: JSON (a list of `"key": value` pairs is read as an object) or YAML, with each
 * `[...]` or `{...}` read as an elision.
 */
export function blockValue(block: Pick<DocBlock, 'info' | 'text'>): unknown {
  const json = block.info === 'json';
  let text = block.text;
  if (json) {
    text = text.replace(/\[\s*\.\.\.\s*\]/g, '["..."]').replace(/\{\s*\.\.\.\s*\}/g, '{"...": null}');
    if (/^\s*"/.test(text)) text = `{${text}}`;
  }
  const parsed = parseText(text, json ? 'json' : 'yaml');
  if (!parsed.ok) throw new Error(`${parsed.problems.map((problem) => problem.message).join('; ')}`);
  return withElisions(parsed.value);
}

function withElisions(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 1 && value[0] === '...' ? elided : value.map(withElisions);
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '...' && value['...'] === null) return elided;
    return Object.fromEntries(keys.map((key) => [key, withElisions(value[key])]));
  }
  return value;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The minimal config a fragment goes into: one router worker with realm "realm1" (and every other
 * realm the block names), each with every role the block names, and a web transport with a
 * WebSocket path `ws`. Roles have no permissions: the block's own are all that is checked.
 */
export function minimalConfig(realms: readonly string[], roles: readonly string[]): Json {
  const roleList = () => ['anonymous', ...roles.filter((role) => role !== 'anonymous')].map((name) => ({ name }));
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: ['realm1', ...realms.filter((realm) => realm !== 'realm1')].map((name) => ({ name, roles: roleList() })),
      transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0 }, paths: { ws: { type: 'websocket' } } }],
    }],
  };
}

/** The object a block of keys is merged into, for each place that takes keys. */
const objectPlaces: Record<string, (config: Json) => Json> = {
  node: (config) => config,
  router: (config) => at(config, 'workers', 0),
  realm: (config) => at(at(config, 'workers', 0), 'realms', 0),
  web: (config) => at(at(config, 'workers', 0), 'transports', 0),
  paths: (config) => objectAt(at(at(config, 'workers', 0), 'transports', 0), 'paths'),
  websocket: (config) => objectAt(objectAt(at(at(config, 'workers', 0), 'transports', 0), 'paths'), 'ws'),
  rlink: (config) => {
    const realm = at(at(config, 'workers', 0), 'realms', 0);
    realm.rlinks ??= [{ id: 'doc-link', realm: 'realm1', transport: { type: 'websocket', endpoint: { type: 'tcp', host: 'node2.example.com', port: 8080 }, url: 'ws://node2.example.com:8080/ws' } }];
    return at(realm, 'rlinks', 0);
  },
};

/** The places that take items (an object, or a list of them), and the key at an object place that holds their list. */
const listPlaces: Record<string, { place: string; key: string }> = {
  workers: { place: 'node', key: 'workers' },
  transports: { place: 'router', key: 'transports' },
  components: { place: 'router', key: 'components' },
  roles: { place: 'realm', key: 'roles' },
};

export const configPlaces = ['file', ...Object.keys(objectPlaces), ...Object.keys(listPlaces)];

function at(parent: Json, key: string, index: number): Json {
  return (parent[key] as Json[])[index]!;
}

function objectAt(parent: Json, key: string): Json {
  return parent[key] as Json;
}

/**
 * The config document a block makes at `place`: the block itself for `file`, else the minimal
 * config with the block merged in at that place (see mergeInto).
 */
export function placedConfig(value: unknown, place: string): unknown {
  if (place === 'file') return withoutElisions(value);
  const names = namedRealmsAndRoles(value);
  const config = minimalConfig(names.realms, names.roles);
  const list = Object.hasOwn(listPlaces, place) ? listPlaces[place] : undefined;
  const objectPlace = list?.place ?? place;
  const target = Object.hasOwn(objectPlaces, objectPlace) ? objectPlaces[objectPlace] : undefined;
  if (!target) throw new Error(`unknown place "${place}" (known: ${configPlaces.join(', ')})`);
  if (list) {
    const parent = target(config);
    parent[list.key] = mergedItems((parent[list.key] ?? []) as unknown[], Array.isArray(value) ? value : [value], 'add');
  } else {
    if (!isObject(value)) throw new Error(`a block at "${place}" must be an object of keys`);
    mergeInto(target(config), value);
  }
  return config;
}

/**
 * Objects are merged key by key; a list replaces the one there (see mergedItems), and an elision
 * keeps what is there (or is empty).
 */
function mergeInto(target: Json, keys: Json): void {
  for (const [key, value] of Object.entries(keys)) {
    const present = target[key];
    if (value === elided) {
      target[key] ??= {};
    } else if (isObject(value) && isObject(present)) {
      mergeInto(present, value);
    } else if (Array.isArray(value) && Array.isArray(present)) {
      target[key] = mergedItems(present, value, 'replace');
    } else {
      target[key] = withoutElisions(value);
    }
  }
}

/**
 * A list's items with a block's: an item with the `name` of one there (a realm, a role), or a
 * router worker where there is one, is merged into it; the other items there are kept ('add', for
 * a place that takes items) or dropped ('replace', for a list the block writes whole).
 */
function mergedItems(present: unknown[], items: unknown[], mode: 'add' | 'replace'): unknown[] {
  const merged = mode === 'add' ? [...present] : [];
  for (const item of items) {
    const same = isObject(item) ? present.find((there): there is Json => isObject(there) && sameItem(there, item)) : undefined;
    if (same === undefined) {
      merged.push(withoutElisions(item));
      continue;
    }
    mergeInto(same, item as Json);
    if (mode === 'replace') merged.push(same);
  }
  return merged;
}

function sameItem(there: Json, item: Json): boolean {
  if (typeof item.name === 'string') return there.name === item.name;
  return item.type === 'router' && there.type === 'router';
}

function withoutElisions(value: unknown): unknown {
  if (value === elided) return {};
  if (Array.isArray(value)) return value.map(withoutElisions);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutElisions(item)]));
  return value;
}

const realmKeys = new Set(['realm', 'authenticator-realm']);
const roleKeys = new Set(['role', 'authrole', 'authenticator-role']);

/** The realms and roles a block names (by the keys that name them, and a proxy's routes), so that the minimal config has them. */
function namedRealmsAndRoles(value: unknown): { realms: string[]; roles: string[] } {
  const realms = new Set<string>();
  const roles = new Set<string>();
  const walk = (item: unknown): void => {
    if (Array.isArray(item)) item.forEach(walk);
    if (!isObject(item)) return;
    for (const [key, inner] of Object.entries(item)) {
      // A proxy worker's routes: realm -> role -> connection.
      if (key === 'routes' && isObject(inner)) {
        for (const [realm, routes] of Object.entries(inner)) {
          realms.add(realm);
          if (isObject(routes)) Object.keys(routes).forEach((role) => roles.add(role));
        }
      }
      if (typeof inner === 'string' && !inner.includes('$')) {
        if (realmKeys.has(key)) realms.add(inner);
        if (roleKeys.has(key)) roles.add(inner);
      }
      walk(inner);
    }
  };
  walk(value);
  return { realms: [...realms], roles: [...roles] };
}

/** An option a code span gives, without `--`, and the value written after it, if any. */
export interface NamedOption {
  name: string;
  value?: string;
}

/** A `junction` command named in a code span of the prose, with the options the span gives it. */
export interface NamedCommand {
  line: number;
  /** Undefined for a span that names options alone (`--workers N`). */
  command?: string;
  options: NamedOption[];
}

/**
 * The `junction COMMAND --option...` of the prose's code spans (tables included), as written in
 * usage summaries too (`junction stop [--cbdir DIR | --pid-file FILE]`), the clone's
 * `npm start -- --option...`, and the spans that name options alone (`--workers N`).
 */
export function namedCommands(markdown: string): NamedCommand[] {
  return codeSpans(markdown).flatMap(({ line, code }) => {
    const named: NamedCommand[] = [];
    if (code.startsWith('--')) named.push({ line, options: optionsOf(code) });
    for (const use of code.matchAll(/(?:^|[\s=|])junction ([a-z][\w-]*)(.*)$/g)) {
      named.push({ line, command: use[1]!, options: optionsOf(use[2]!) });
    }
    // The clone's `npm start -- ...` is `junction start ...`.
    const npmStart = /^npm start -- (.*)$/.exec(code);
    if (npmStart) named.push({ line, command: 'start', options: optionsOf(npmStart[1]!) });
    return named;
  });
}

/** The code spans of the prose (tables included, fenced blocks left out), with their line. */
export function codeSpans(markdown: string): { line: number; code: string }[] {
  return withoutFences(markdown).flatMap((text, index) => [...text.matchAll(/(`+)([^`].*?)\1/g)].map((span) => ({ line: index + 1, code: span[2]! })));
}

function optionsOf(code: string): NamedOption[] {
  const words = code.replace(/\\\|/g, '|').split(/[\s[\]]+/).filter((word) => word !== '' && word !== '|');
  return words.flatMap((word, at) => {
    const option = /^--([\w-]+)(?:=(.*))?$/.exec(word);
    if (!option) return [];
    const value = option[2] ?? (words[at + 1]?.startsWith('-') ? undefined : words[at + 1]?.split('|')[0]);
    return [{ name: option[1]!, ...(value === undefined ? {} : { value }) }];
  });
}
