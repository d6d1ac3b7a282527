import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../support/cli.js';

/** docs/metrics.md documents every metric the code registers, and nothing else (issue 13). */

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('docs/metrics.md', () => {
  it('has one row for every metric registered in src/, and none for a metric that does not exist', () => {
    const registered = new Set<string>();
    for (const file of sourceFiles(join(projectRoot, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\.(?:counter|gauge|histogram)\(\s*'(junction_[a-z0-9_]+)'/g)) registered.add(match[1]!);
    }
    const doc = readFileSync(join(projectRoot, 'docs', 'metrics.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `(junction_[a-z0-9_]+)` \|/gm)].map((match) => match[1]!);
    assert.equal(new Set(documented).size, documented.length, 'each metric has one row');
    assert.deepEqual([...registered].filter((name) => !documented.includes(name)).sort(), [], 'registered but not documented');
    assert.deepEqual(documented.filter((name) => !registered.has(name)).sort(), [], 'documented but not registered');
  });

  it('is linked from the README', () => {
    assert.match(readFileSync(join(projectRoot, 'README.md'), 'utf8'), /\]\(docs\/metrics\.md\)/);
  });
});
