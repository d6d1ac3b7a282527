import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../support/cli.js';

/**
 * Imports run only downward through the layers (README, "Project layout"), so no module of src/
 * reaches itself through its imports: in a circle neither side can be read, tested or loaded
 * without the other. Type-only imports count: they tie the reader all the same. When this fails,
 * move what both sides share into a small module below them, or let the lower side declare the
 * interface it needs and the higher one implement it.
 */

/** `import ... from '...'` and `export ... from '...'`, `import '...'` (each at a line's start), and `import('...')` anywhere. */
const importPatterns = [/^\s*(?:import|export)\b[^;'"]*?\bfrom\s+'(\.[^']+)'/gm, /^\s*import\s+'(\.[^']+)'/gm, /\bimport\(\s*'(\.[^']+)'\s*\)/g];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each source file (relative to the project) and the source files it imports. */
function importGraph(): Map<string, Set<string>> {
  const files = sourceFiles(join(projectRoot, 'src')).map((file) => relative(projectRoot, file));
  const known = new Set(files);
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const text = readFileSync(join(projectRoot, file), 'utf8');
    const targets = new Set<string>();
    for (const pattern of importPatterns) {
      for (const match of text.matchAll(pattern)) {
        const target = normalize(join(dirname(file), match[1]!)).replace(/\.js$/, '.ts');
        if (known.has(target)) targets.add(target);
      }
    }
    graph.set(file, targets);
  }
  return graph;
}

/** The groups of files that reach each other through imports (Tarjan's strongly connected components), larger than one file. */
function circles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file)!) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== file);
    if (group.length > 1) found.push(group.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return found;
}

describe('the imports of src/', () => {
  it('form no circle', () => {
    const graph = importGraph();
    const described = circles(graph).map((group) => {
      const members = new Set(group);
      const arrows = group.flatMap((file) => [...graph.get(file)!].filter((target) => members.has(target)).map((target) => `  ${file} -> ${target}`));
      return `${group.length} files import each other:\n${arrows.join('\n')}`;
    });
    assert.deepEqual(described, []);
  });
});
