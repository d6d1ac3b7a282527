import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidUri, maxUriLength, uriMatches, uriProblem, type MatchPolicy, type UriRules } from './uri.js';

const strict: UriRules = { strict: true };
const loose: UriRules = { strict: false };
const strictPattern: UriRules = { strict: true, allowEmptyComponents: true };
const loosePattern: UriRules = { strict: false, allowEmptyComponents: true };

/** uri -> [strict, loose, strict with empty components, loose with empty components] */
const validity: [uri: string, expected: [boolean, boolean, boolean, boolean]][] = [
  ['com.myapp.topic_1', [true, true, true, true]],
  ['a', [true, true, true, true]],
  ['wamp.close.normal', [true, true, true, true]],
  ['com.MyApp.topic', [false, true, false, true]],
  ['com.my-app.topic', [false, true, false, true]],
  ['com.überapp.topic', [false, true, false, true]],
  ['com.my app.topic', [false, false, false, false]],
  ['com.myapp\t.topic', [false, false, false, false]],
  ['com.myapp\n', [false, false, false, false]],
  ['com.myapp#1', [false, false, false, false]],
  ['', [false, false, false, false]],
  ['com..update', [false, false, true, true]],
  ['.myapp.topic', [false, false, true, true]],
  ['com.myapp.', [false, false, true, true]],
  ['..', [false, false, true, true]],
  ['com..Update', [false, false, false, true]],
];

describe('isValidUri', () => {
  for (const [uri, [inStrict, inLoose, inStrictPattern, inLoosePattern]] of validity) {
    test(JSON.stringify(uri), () => {
      assert.equal(isValidUri(uri, strict), inStrict, 'strict');
      assert.equal(isValidUri(uri, loose), inLoose, 'loose');
      assert.equal(isValidUri(uri, strictPattern), inStrictPattern, 'strict, empty components allowed');
      assert.equal(isValidUri(uri, loosePattern), inLoosePattern, 'loose, empty components allowed');
    });
  }
});

describe('uriProblem', () => {
  test('is undefined for a valid URI', () => {
    assert.equal(uriProblem('com.myapp.topic', strict), undefined);
    assert.equal(uriProblem('com.My-App', loose), undefined);
    assert.equal(uriProblem('com..update', loosePattern), undefined);
  });

  test(`refuses a URI longer than ${maxUriLength} characters, quoting only its start`, () => {
    const longest = `com.${'a'.repeat(maxUriLength - 4)}`;
    assert.equal(uriProblem(longest, loose), undefined);
    const problem = uriProblem(`${longest}b`, loose);
    assert.match(problem ?? '', new RegExp(`is not a valid URI: it is longer than ${maxUriLength} characters`));
    assert.match(problem ?? '', new RegExp(`\\.\\.\\." \\(${maxUriLength + 1} characters\\)`));
    assert.ok(problem!.length < 400, 'the error does not echo the whole URI');
    assert.ok(uriProblem(`com.${'a b'.repeat(1_000)}`, loose)!.length < 400, 'nor does any other refusal of a long URI');
  });

  test('quotes the URI and states the strict rule', () => {
    const problem = uriProblem('com.MyApp', strict);
    assert.ok(problem?.includes('"com.MyApp"'), problem);
    assert.ok(problem?.includes('a-z, 0-9 and "_"'), problem);
  });

  test('quotes the URI and states the loose rule', () => {
    const problem = uriProblem('com.my app', loose);
    assert.ok(problem?.includes('"com.my app"'), problem);
    assert.ok(problem?.includes('no whitespace, "." or "#"'), problem);
  });

  test('reports empty components outside patterns', () => {
    const problem = uriProblem('com..update', loose);
    assert.ok(problem?.includes('non-empty'), problem);
  });
});

describe('uriMatches', () => {
  const cases: [pattern: string, policy: MatchPolicy, uri: string, matches: boolean][] = [
    ['com.myapp.topic', 'exact', 'com.myapp.topic', true],
    ['com.myapp.topic', 'exact', 'com.myapp.topic.sub', false],
    ['com.myapp.topic', 'exact', 'com.myapp', false],
    ['com.myapp', 'prefix', 'com.myapp', true],
    ['com.myapp', 'prefix', 'com.myapp.topic', true],
    ['com.myapp', 'prefix', 'com.myapp.topic.deep', true],
    // The spec's prefix matching is on strings, not components: "emergency" matches "emergency-low".
    ['com.myapp.emergency', 'prefix', 'com.myapp.emergency-low', true],
    ['com.myapp', 'prefix', 'com.other', false],
    ['com.myapp.topic', 'prefix', 'com.myapp', false],
    ['com..update', 'wildcard', 'com.myapp.update', true],
    ['com..update', 'wildcard', 'com.other.update', true],
    ['com..update', 'wildcard', 'com.myapp.create', false],
    ['com..update', 'wildcard', 'com.a.b.update', false],
    ['com..update', 'wildcard', 'com.update', false],
    ['com..update', 'wildcard', 'org.myapp.update', false],
    ['com.myapp.', 'wildcard', 'com.myapp.anything', true],
    ['com.myapp.', 'wildcard', 'com.myapp', false],
    ['..', 'wildcard', 'a.b.c', true],
    ['..', 'wildcard', 'a.b', false],
    ['com.myapp.update', 'wildcard', 'com.myapp.update', true],
  ];
  for (const [pattern, policy, uri, matches] of cases) {
    test(`${policy} ${JSON.stringify(pattern)} ${matches ? 'matches' : 'does not match'} ${JSON.stringify(uri)}`, () => {
      assert.equal(uriMatches(pattern, policy, uri), matches);
    });
  }
});
