/**
 * Relative links of markdown files and the anchors their headings make, as GitHub renders them,
 * for the test that every link of the README and docs/ leads somewhere.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** A link's target as written, and the line it is on. */
export interface MarkdownLink {
  target: string;
  line: number;
}

/** Fenced code blocks (``` or ~~~) blanked out line for line, so line numbers stay right. */
export function withoutFences(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker[0]!;
      return '';
    }
    if (fence !== undefined) {
      if (marker?.startsWith(fence)) fence = undefined;
      return '';
    }
    return line;
  });
}

/** Inline code spans blanked out, so that `[a](b)` written as code is no link. */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)[^`].*?\1/g, (span) => ' '.repeat(span.length));
}

/** The links (and images) of a markdown text: inline `[text](target)` and reference definitions `[name]: target`. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  withoutFences(markdown).forEach((raw, index) => {
    const line = withoutCodeSpans(raw);
    for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: match[1]!, line: index + 1 });
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line);
    if (definition) links.push({ target: definition[1]!, line: index + 1 });
  });
  return links;
}

/** The text a heading shows: links reduced to their text, code marks and emphasis stars dropped. */
function headingText(heading: string): string {
  return heading
    .replace(/\s+#+\s*$/, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
}

/** GitHub's anchor for a heading's text: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
export function headingSlug(text: string): string {
  return headingText(text).trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a markdown text defines: its headings' slugs (a repeated one gets -1, -2...) and `<a id|name="...">`. */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading !== undefined) {
      const slug = headingSlug(heading);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  }
  return anchors;
}

/**
 * Every relative link of `file` (a markdown file under `root`) that leads nowhere: a file or folder
 * that does not exist, or an `#anchor` that its markdown target (or `file` itself) does not define.
 * Web links (`https:`, `mailto:`...) are not followed. Each problem reads `file:line: target: why`.
 */
export function brokenLinks(root: string, file: string): string[] {
  const path = join(root, file);
  const problems: string[] = [];
  for (const { target, line } of markdownLinks(readFileSync(path, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [pathPart = '', anchor] = target.split('#', 2);
    const linked = pathPart === '' ? path : join(dirname(path), decodeURIComponent(pathPart));
    const where = `${file}:${line}: ${target}`;
    if (relative(root, linked).startsWith('..')) {
      problems.push(`${where}: leads outside the project`);
      continue;
    }
    if (!existsSync(linked)) {
      problems.push(`${where}: no such file`);
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(linked).isDirectory() || !linked.endsWith('.md')) {
      problems.push(`${where}: an anchor on a file that is not markdown`);
      continue;
    }
    if (!markdownAnchors(readFileSync(linked, 'utf8')).has(decodeURIComponent(anchor))) problems.push(`${where}: no heading or anchor "${anchor}" there`);
  }
  return problems;
}

function markdownFiles(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(root, path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** What a user reads, relative to `root`: the README, docs/, the examples and the client's README. */
export function userDocFiles(root: string): string[] {
  return ['README.md', ...['docs', 'examples', 'src'].flatMap((dir) => markdownFiles(root, dir))];
}
