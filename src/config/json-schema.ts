/**
 * The JSON Schema of the configuration file, derived from the same zod schema the loader uses,
 * for editors: `"$schema"` in a JSON file, or `# yaml-language-server: $schema=...` in YAML.
 */

import * as z from 'zod';
import { configFileSchema } from './file-schema.js';

export function configJsonSchema(): Record<string, unknown> {
  // draft-07: the version editors' JSON and YAML language servers support best.
  // io "input": describe what a user writes (defaults optional), not the loader's output.
  const schema = z.toJSONSchema(configFileSchema, { target: 'draft-07', io: 'input' }) as Record<string, unknown>;
  return { ...schema, title: 'Junction configuration (Crossbar.io format)' };
}
