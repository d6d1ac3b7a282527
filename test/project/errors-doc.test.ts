import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../support/cli.js';

/**
 * docs/errors.md lists every error code and URI of Junction's own that the source can produce,
 * and nothing else (issue 12). The set is read from the source, so a new error needs no list here:
 * - WAMP error and close URIs: every 'junction.error.*' / 'junction.close.*' literal in src/;
 * - HTTP errors: the `error` code of every JSON error answer (bridge refusals, static files,
 *   long-poll, SSE), in each form the source writes one (see `sources`: a new way of answering
 *   with an error code needs its pattern there);
 * - start-up failures: every `new StartupError('code'`.
 */

const http = 'HTTP errors';
const sources: { section: string; pattern: RegExp }[] = [
  { section: 'WAMP errors', pattern: /['"`](junction\.(?:error|close)\.[a-z0-9_.]*[a-z0-9_])['"`]/g },
  // The `error` of an HTTP answer's JSON body, in each way the HTTP services write one.
  { section: http, pattern: /new Refusal\(\s*\d+,\s*'([a-z0-9_]+)'/g },
  { section: http, pattern: /\berror: '([a-z0-9_]+)'/g },
  { section: http, pattern: /\bstatus: \d+, code: '([a-z0-9_]+)'/g },
  { section: http, pattern: /\bsendError\(response, \d+, '([a-z0-9_]+)'/g },
  { section: http, pattern: /\brefuse\(\d+, '([a-z0-9_]+)'/g },
  { section: http, pattern: /\bbadRequest\('([a-z0-9_]+)'/g },
  { section: 'Start-up failures', pattern: /new StartupError\(\s*'([a-z0-9_]+)'/g },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Each code the source produces, with the section of docs/errors.md it belongs in and a file that produces it. */
function codesInSource(): Map<string, { section: string; file: string }> {
  const found = new Map<string, { section: string; file: string }>();
  for (const file of sourceFiles(join(projectRoot, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const { section, pattern } of sources) {
      for (const match of text.matchAll(pattern)) {
        if (!found.has(match[1]!)) found.set(match[1]!, { section, file: relative(projectRoot, file) });
      }
    }
  }
  return found;
}

function rowTemplate(section: string, code: string): string {
  return section === http ? `| \`${code}\` | <status> | <what it means> | <what to do> |` : `| \`${code}\` | <what it means> | <what to do> |`;
}

/** The first cell of every table row in docs/errors.md: `| \`code\` | ...`. */
function codesInCatalogue(): string[] {
  const doc = readFileSync(join(projectRoot, 'docs', 'errors.md'), 'utf8');
  return [...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]!);
}

describe('docs/errors.md', () => {
  it('has one line for every error code and URI the source produces, and none for one it does not', () => {
    const produced = codesInSource();
    const documented = codesInCatalogue();
    const twice = documented.filter((code, index) => documented.indexOf(code) !== index);
    assert.deepEqual(twice, [], 'each code has one line in docs/errors.md');
    const missing = [...produced].filter(([code]) => !documented.includes(code));
    assert.equal(missing.length, 0,
      'these codes appear in src/ but have no line in docs/errors.md; add one line per code under the section named:\n' +
      missing.map(([code, { section, file }]) => `  ## ${section} (from ${file}):\n    ${rowTemplate(section, code)}`).join('\n'));
    const stale = documented.filter((code) => !produced.has(code));
    assert.deepEqual(stale, [], 'docs/errors.md lists codes that nothing in src/ produces any more; remove their lines');
  });

  it('finds every kind of error it checks (the scan itself still works)', () => {
    const sections = new Set([...codesInSource().values()].map(({ section }) => section));
    assert.deepEqual([...sections].sort(), ['HTTP errors', 'Start-up failures', 'WAMP errors']);
    assert.ok(codesInSource().has('junction.error.limit_exceeded'));
    assert.ok(codesInSource().has('port_in_use'));
    assert.ok(codesInSource().has('body_too_large'));
  });

  it('is linked from the README', () => {
    assert.match(readFileSync(join(projectRoot, 'README.md'), 'utf8'), /\]\(docs\/errors\.md\)/);
  });
});
