/**
 * Reading config text (YAML, and therefore JSON too) with positions: syntax errors carry their
 * line:column, and later problems are located through the path of the value they concern. A
 * `.json` file must be JSON, as Crossbar reads it: YAML would take a comment, a trailing comma or
 * single quotes, and a comment line would come out as a strange unknown key.
 */

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { problem, type ConfigProblem } from './problems.js';
import type { ConfigPath } from './config-path.js';

/** Finds the 1-based position of a path's key or value in the source, or the nearest enclosing one. */
export type Locator = (path: ConfigPath, at: 'key' | 'value') => { line: number; column: number } | undefined;

export type ParsedText = { ok: true; value: unknown; locate: Locator } | { ok: false; problems: ConfigProblem[] };

export function parseText(text: string, format: 'json' | 'yaml' = 'yaml'): ParsedText {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (format === 'json') {
    const json = jsonSyntaxProblem(text, position);
    if (json !== undefined) return { ok: false, problems: [json] };
  }
  if (document.errors.length > 0) {
    // YAML's own errors, with their positions, unless JSON's words come with one.
    const json = looksLikeJson(text) ? jsonSyntaxProblem(text, position) : undefined;
    if (json?.line !== undefined) return { ok: false, problems: [json] };
    return {
      ok: false,
      problems: document.errors.map((error) => ({ ...syntaxProblem(error.code, error.message), ...position(error.pos[0]) })),
    };
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return { ok: false, problems: [problem('config.file.unresolvable', [], (error as Error).message)] };
  }
  const cycle = cyclePath(value);
  if (cycle !== undefined) {
    return { ok: false, problems: [problem('config.file.alias_cycle', cycle)] };
  }
  return { ok: true, value, locate: (path, at) => locate(document, path, at, position) };
}

/** The path of the first value that contains itself (a YAML alias of an enclosing anchor), if any. */
function cyclePath(root: unknown): ConfigPath | undefined {
  const open = new Set<object>();
  const visit = (value: unknown, path: ConfigPath): ConfigPath | undefined => {
    if (typeof value !== 'object' || value === null) return undefined;
    if (open.has(value)) return path;
    open.add(value);
    const children: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
    for (const [key, child] of children) {
      const found = visit(child, [...path, key]);
      if (found !== undefined) return found;
    }
    open.delete(value);
    return undefined;
  };
  return visit(root, []);
}

const looksLikeJson = (text: string): boolean => /^\s*[{[]/.test(text);

/**
 * A JSON document's first syntax error in JSON's words ("Expected ',' or '}' after property
 * value"), at the position JSON.parse names (when it names one): a Crossbar user's config.json,
 * read by the YAML parser, would otherwise get YAML's words ("Block collections are not allowed
 * within flow collections"), often twice. A duplicate key parses as JSON, so it is still the YAML
 * parser's. Comments and trailing commas, which YAML users expect to work, are named.
 */
function jsonSyntaxProblem(text: string, position: (offset: number) => { line: number; column: number }): ConfigProblem | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const message = (error as Error).message;
    const found = /^(.*) in JSON at position (\d+)/.exec(message);
    if (found === null) {
      // Without a position V8 names the token, then quotes the text around it (which may hold a secret): keep the token.
      const token = /^Unexpected token '(.)'/.exec(message)?.[1];
      return problem('config.file.syntax', [], token === undefined ? 'not valid JSON' : `unexpected '${token}' in JSON${jsonMistake(token, '')}`);
    }
    const offset = Number(found[2]);
    return { ...problem('config.file.syntax', [], found[1]! + jsonMistake(text[offset], text.slice(0, offset))), ...position(offset) };
  }
}

/** What a JSON syntax error at `token` (after `before`) most likely is, when it is one of the usual slips. */
function jsonMistake(token: string | undefined, before: string): string {
  if (token === '/' || token === '#') return ' (JSON has no comments: remove it, or write the file as YAML, config.yaml)';
  if ((token === '}' || token === ']') && /,\s*$/.test(before)) return ' (JSON allows no comma after the last item)';
  if (token === "'") return ' (JSON strings and keys take double quotes)';
  return '';
}

function syntaxProblem(parserCode: string, message: string): ConfigProblem {
  return parserCode === 'DUPLICATE_KEY' ? problem('config.file.duplicate_key', []) : problem('config.file.syntax', [], message);
}

function locate(
  document: Document,
  path: ConfigPath,
  at: 'key' | 'value',
  position: (offset: number) => { line: number; column: number },
): { line: number; column: number } | undefined {
  let node: unknown = document.contents;
  let found: { line: number; column: number } | undefined = startOf(node, position);
  for (let index = 0; index < path.length; index++) {
    const segment = path[index]!;
    if (isAlias(node)) node = node.resolve(document);
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) return found;
      const last = index === path.length - 1;
      if (last && at === 'key') return startOf(pair.key, position) ?? found;
      node = pair.value;
      // A key without a value (`key:` in YAML) has no node of its own: report the key.
      found = startOf(node, position) ?? startOf(pair.key, position) ?? found;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (node === undefined) return found;
      found = startOf(node, position) ?? found;
    } else {
      return found;
    }
  }
  return found;
}

function startOf(node: unknown, position: (offset: number) => { line: number; column: number }) {
  const range = (node as Node | null | undefined)?.range;
  return range ? position(range[0]) : undefined;
}
