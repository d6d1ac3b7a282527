import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { configCodes, noticeMessages } from '../../src/config/codes.js';
import { cbdirConfigNames } from '../../src/config/load.js';
import { projectRoot } from '../support/cli.js';

/**
 * docs/errors.md lists every error code and URI of Junction's own that the source can produce,
 * and nothing else (issue 12). The set is read from the source, so a new error needs no list here:
 * - WAMP error and close URIs: every 'junction.error.*' / 'junction.close.*' literal in src/ (and Crossbar's 'crossbar.error.*' the router answers with);
 * - HTTP errors: the `error` code of every JSON error answer (bridge refusals, static files,
 *   long-poll, SSE), in each form the source writes one (see `sources`: a new way of answering
 *   with an error code needs its pattern there);
 * - start-up failures: every `new StartupError('code'`;
 * - configuration problems and notices: every code of src/config/codes.ts, each of which must
 *   also be used by the loader (a 'config.*' literal elsewhere in src/), and every 'config.*'
 *   literal in src/ must be one of them.
 */

const http = 'HTTP errors';
const sources: { section: string; pattern: RegExp }[] = [
  { section: 'WAMP errors', pattern: /['"`]((?:junction|crossbar)\.(?:error|close)\.[a-z0-9_.]*[a-z0-9_])['"`]/g },
  // The `error` of an HTTP answer's JSON body, in each way the HTTP services write one.
  { section: http, pattern: /new Refusal\(\s*\d+,\s*'([a-z0-9_]+)'/g },
  { section: http, pattern: /\berror: '([a-z0-9_]+)'/g },
  { section: http, pattern: /\bstatus: \d+, code: '([a-z0-9_]+)'/g },
  { section: http, pattern: /\bsendError\(response, \d+, '([a-z0-9_]+)'/g },
  { section: http, pattern: /\brefuse\(\d+, '([a-z0-9_]+)'/g },
  { section: http, pattern: /\bbadRequest\('([a-z0-9_]+)'/g },
  { section: 'Start-up failures', pattern: /new StartupError\(\s*'([a-z0-9_]+)'/g },
];

const configProblems = 'Configuration problems';
const configNotices = 'Configuration notices';
const configLiteral = /['"`](config\.[a-z0-9_.]*[a-z0-9_])['"`]/g;
/** 'config.json' and 'config.yaml' are file names, not codes. */
const configFileNames: readonly string[] = cbdirConfigNames;

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
  for (const code of configCodes) {
    found.set(code, { section: code in noticeMessages ? configNotices : configProblems, file: 'src/config/codes.ts' });
  }
  return found;
}

/** Each 'config.*' literal outside codes.ts, with a file that has it: the codes the loader uses. */
function configCodesUsed(): Map<string, string> {
  const used = new Map<string, string>();
  for (const file of sourceFiles(join(projectRoot, 'src'))) {
    if (file.endsWith(join('config', 'codes.ts'))) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(configLiteral)) {
      if (!configFileNames.includes(match[1]!) && !used.has(match[1]!)) used.set(match[1]!, relative(projectRoot, file));
    }
  }
  return used;
}

function rowTemplate(section: string, code: string): string {
  return section === http ? `| \`${code}\` | <status> | <what it means> | <what to do> |` : `| \`${code}\` | <what it means> | <what to do> |`;
}

/** The first cell of every table row in docs/errors.md: `| \`code\` | ...`. */
function codesInCatalogue(): string[] {
  return [...catalogueSections().values()].flat();
}

/** The codes of each `## section` of docs/errors.md. */
function catalogueSections(): Map<string, string[]> {
  const doc = readFileSync(join(projectRoot, 'docs', 'errors.md'), 'utf8');
  const sections = new Map<string, string[]>();
  for (const part of doc.split(/^## /m).slice(1)) {
    const title = part.slice(0, part.indexOf('\n'));
    sections.set(title, [...part.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]!));
  }
  return sections;
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

  it('lists each configuration code in its section: problems and notices', () => {
    const sections = catalogueSections();
    for (const [code, { section }] of codesInSource()) {
      if (section !== configProblems && section !== configNotices) continue;
      assert.ok(sections.get(section)?.includes(code), `${code} belongs in "## ${section}" of docs/errors.md`);
    }
  });

  it('every configuration code is used by the loader, and the loader uses no code that codes.ts lacks', () => {
    const used = configCodesUsed();
    const unused = configCodes.filter((code) => !used.has(code));
    assert.deepEqual(unused, [], 'codes.ts has codes that nothing in src/ reports; remove them');
    const unknown = [...used].filter(([code]) => !(configCodes as readonly string[]).includes(code));
    assert.deepEqual(unknown, [], 'these config.* codes are used in src/ but not declared in src/config/codes.ts');
  });

  it('finds every kind of error it checks (the scan itself still works)', () => {
    const sections = new Set([...codesInSource().values()].map(({ section }) => section));
    assert.deepEqual([...sections].sort(), [configNotices, configProblems, 'HTTP errors', 'Start-up failures', 'WAMP errors']);
    assert.ok(configCodesUsed().has('config.realm.undefined'));
    assert.ok(codesInSource().has('junction.error.limit_exceeded'));
    assert.ok(codesInSource().has('port_in_use'));
    assert.ok(codesInSource().has('body_too_large'));
  });

  it('is linked from the README', () => {
    assert.match(readFileSync(join(projectRoot, 'README.md'), 'utf8'), /\]\(docs\/errors\.md\)/);
  });
});
