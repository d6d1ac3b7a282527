/**
 * The JSON Schema of the configuration file, derived from the same zod schema the loader uses,
 * for editors: `"$schema"` in a JSON file, or `# yaml-language-server: $schema=...` in YAML.
 */

import * as z from 'zod';
import { configFileSchema } from './file-schema.js';
import { bridgeClassnames, containerClassComponent, forwarderExtra, restCalleeExtra, routerClassComponent, type BridgeKind } from './schema-components.js';

// draft-07: the version editors' JSON and YAML language servers support best.
// io "input": describe what a user writes (defaults optional), not the loader's output.
const options = { target: 'draft-07', io: 'input' } as const;

export function configJsonSchema(): Record<string, unknown> {
  const extraSchemas: Record<BridgeKind, Record<string, unknown>> = {
    forwarder: standalone(forwarderExtra),
    'rest-callee': standalone(restCalleeExtra),
  };
  const schema = z.toJSONSchema(configFileSchema, {
    ...options,
    override: (context) => {
      // The loader checks a bridge class's `extra` by its classname; tell editors the same.
      if (context.zodSchema !== routerClassComponent && context.zodSchema !== containerClassComponent) return;
      context.jsonSchema.allOf = (Object.entries(bridgeClassnames) as [BridgeKind, readonly string[]][]).map(([kind, names]) => ({
        if: { properties: { classname: { enum: [...names] } }, required: ['classname'] },
        then: { properties: { extra: extraSchemas[kind] }, required: ['extra'] },
      }));
    },
  }) as Record<string, unknown>;
  return { ...schema, title: 'Junction configuration (Crossbar.io format)' };
}

function standalone(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, options) as Record<string, unknown>;
  return rest;
}
