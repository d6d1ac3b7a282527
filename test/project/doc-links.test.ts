import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../support/cli.js';
import { brokenLinks, headingSlug, markdownAnchors, userDocFiles } from '../support/markdown-links.js';

/** Every relative link of the user's documentation leads to a file that exists and to a heading (or `<a id>`) in it. */

const userDocs = userDocFiles(projectRoot);

describe('documentation links', () => {
  it('finds the README and every file of docs/', () => {
    assert.ok(userDocs.includes('docs/metrics.md') && userDocs.includes('src/client/README.md'), userDocs.join(', '));
  });

  it('each relative link leads to an existing file, and each #anchor to a heading of it', () => {
    assert.deepEqual(userDocs.flatMap((file) => brokenLinks(projectRoot, file)), []);
  });
});

describe('the link checker', () => {
  it('makes the anchors GitHub makes for headings', () => {
    assert.equal(headingSlug('Allowed hosts (DNS rebinding)'), 'allowed-hosts-dns-rebinding');
    assert.equal(headingSlug('`--workers` and `max_buffered_bytes`: bounds'), '--workers-and-max_buffered_bytes-bounds');
    assert.equal(headingSlug('Recipe: sign-in decided by [your](x.md) HTTP app'), 'recipe-sign-in-decided-by-your-http-app');
    assert.deepEqual([...markdownAnchors('# A\n## A\n```\n# not a heading\n```\n- <a id="here"></a>text')], ['a', 'a-1', 'here']);
  });

  it('reports a missing file, a missing anchor and an anchor on a folder, and none for links that work', () => {
    const root = mkdtempSync(join(tmpdir(), 'junction-links-'));
    try {
      mkdirSync(join(root, 'docs'));
      writeFileSync(join(root, 'docs', 'b.md'), '# Title\n\n## Limits and bounds\n');
      writeFileSync(join(root, 'a.md'), [
        '# Top',
        '[ok](docs/b.md) [ok](docs/b.md#limits-and-bounds) [ok](#top) [web](https://example.com/x.md#y) [dir](docs/)',
        '[gone](docs/c.md)',
        '[bad anchor](docs/b.md#limits)',
        '[bad local](#bottom)',
        '[folder anchor](docs/#x)',
        '`[code](not-a-link.md)`',
        '```',
        '[fenced](not-a-link-either.md)',
        '```',
        '[ref]: docs/missing.md',
      ].join('\n'));
      assert.deepEqual(brokenLinks(root, 'a.md'), [
        'a.md:3: docs/c.md: no such file',
        'a.md:4: docs/b.md#limits: no heading or anchor "limits" there',
        'a.md:5: #bottom: no heading or anchor "bottom" there',
        'a.md:6: docs/#x: an anchor on a file that is not markdown',
        'a.md:11: docs/missing.md: no such file',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
