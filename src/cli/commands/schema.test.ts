import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from './schema.js';

describe('junction schema', () => {
  it('prints a JSON Schema of the file format', async () => {
    let stdout = '';
    const code = await run([], { stdout: (s) => void (stdout += s), stderr: () => assert.fail('no stderr expected') });
    assert.equal(code, 0);
    const schema = JSON.parse(stdout) as {
      $schema: string;
      type: string;
      additionalProperties: boolean;
      properties: Record<string, { items?: { oneOf?: { properties: { type: { const: string } } }[] } }>;
    };
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.type, 'object');
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(Object.keys(schema.properties).sort(), ['$schema', 'controller', 'version', 'workers']);
    const workerTypes = schema.properties.workers!.items!.oneOf!.map((worker) => worker.properties.type.const);
    assert.deepEqual(workerTypes, ['router', 'container']);
  });
});
