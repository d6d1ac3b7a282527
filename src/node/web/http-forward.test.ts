import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forwardedPath } from './http-forward.js';

describe('forwardedPath: what follows a forwarding path in the URL', () => {
  const cases: [url: string, servicePath: string, subpath: string, prefix: string, expected: string | undefined][] = [
    ['/app', '/app', '', '', '/'],
    ['/app', '/app', '', '/base', '/base'],
    ['/app/', '/app', '', '/base', '/base/'],
    ['/app/a/b%20c?x=1&y', '/app', '/a/b%20c', '/base', '/base/a/b%20c?x=1&y'],
    ['/app?x', '/app', '', '', '/?x'],
    ['/', '/', '', '', '/'],
    ['/a//b/?q', '/', '/a/b', '', '/a//b/?q'],
    // Not below the path as sent (doubled slashes before it): the listener's normalized subpath.
    ['//app//x', '/app', '/x', '', '/x'],
    ['/app/../etc/passwd', '/app', '/../etc/passwd', '/base', undefined],
    ['/app/a/%2E%2e/b', '/app', '/a/%2E%2e/b', '', undefined],
    ['/app/.', '/app', '/.', '', undefined],
    ['/app/..x/.y', '/app', '/..x/.y', '', '/..x/.y'],
  ];
  for (const [url, servicePath, subpath, prefix, expected] of cases) {
    it(`${url} on ${servicePath} with prefix "${prefix}" -> ${String(expected)}`, () => {
      assert.equal(forwardedPath(url, servicePath, subpath, prefix), expected);
    });
  }
});
