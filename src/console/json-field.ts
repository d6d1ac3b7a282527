/** A form field holding JSON: empty means "not given"; anything else must parse and have the expected shape. */
export type JsonFieldKind = 'list' | 'dict';

export type JsonFieldValue =
  | { ok: true; value: unknown[] | Record<string, unknown> | undefined }
  | { ok: false; error: string };

export function readJsonField(text: string, kind: JsonFieldKind): JsonFieldValue {
  if (text.trim() === '') return { ok: true, value: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not valid JSON: ${(error as Error).message}` };
  }
  if (kind === 'list' && !Array.isArray(value)) return { ok: false, error: 'must be a JSON array, like [2, 3]' };
  if (kind === 'dict' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    return { ok: false, error: 'must be a JSON object, like {"name": "value"}' };
  }
  return { ok: true, value: value as unknown[] | Record<string, unknown> };
}
