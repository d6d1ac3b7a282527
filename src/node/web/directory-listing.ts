import { opendir } from 'node:fs/promises';
import { isHiddenName } from './static-resolve.js';

/** A listing stops after this many entries, so a huge folder costs bounded time and memory. */
export const listingLimit = 5_000;

/**
 * A plain HTML page listing a folder's entries (folders first, then by name), each a relative
 * link. `title` is the request path as shown to the user; `withParent` adds a "../" link (not at
 * the service's own root, whose parent is not served by it). Every name is escaped for HTML and
 * percent-encoded in its link, so a file called `<script>` or `a"b` is text, never markup.
 */
export async function directoryListing(folder: string, title: string, withParent: boolean): Promise<string> {
  const entries: { name: string; folder: boolean }[] = [];
  let truncated = false;
  const dir = await opendir(folder);
  try {
    for await (const entry of dir) {
      if (isHiddenName(entry.name)) continue;
      if (entries.length >= listingLimit) {
        truncated = true;
        break;
      }
      // A symlink is listed as a file; following it (and refusing it when it leaves the root) is the file handler's job.
      entries.push({ name: entry.name, folder: entry.isDirectory() });
    }
  } finally {
    await dir.close().catch(() => undefined); // already closed when the loop ran to its end
  }
  entries.sort((a, b) => (a.folder === b.folder ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.folder ? -1 : 1));
  const items = entries.map(({ name, folder: isFolder }) => {
    const suffix = isFolder ? '/' : '';
    return `<li><a href="./${encodeURIComponent(name)}${suffix}">${escapeHtml(name)}${suffix}</a></li>`;
  });
  const note = truncated ? `<p>Only the first ${listingLimit} entries are listed.</p>\n` : '';
  const heading = `Index of ${escapeHtml(title)}`;
  const parent = withParent ? '<li><a href="../">../</a></li>\n' : '';
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${heading}</title></head>\n`
    + `<body><h1>${heading}</h1>\n<ul>\n${parent}${items.join('\n')}\n</ul>\n${note}</body></html>\n`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
