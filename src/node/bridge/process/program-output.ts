import type { Args, Dict } from '../../../protocol/messages.js';
import { isDict } from '../../../protocol/parse.js';

/** A call's result: positional and keyword results. */
export interface ProgramResult {
  args: Args;
  kwargs?: Dict;
}

/**
 * How a program's stdout (after exit code 0) becomes the call's result:
 * - nothing but white space: no result;
 * - a JSON object whose only keys are "args" (a list) and/or "kwargs" (a dict): those;
 * - any other JSON value: that value as the single result;
 * - text that is not JSON: the text as one string, without its final line break.
 */
export function readProgramOutput(stdout: Buffer): ProgramResult {
  const text = stdout.toString('utf8');
  if (text.trim() === '') return { args: [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { args: [text.replace(/\r?\n$/, '')] };
  }
  if (isDict(value) && isResultShape(value)) {
    const result: ProgramResult = { args: (value.args as Args | undefined) ?? [] };
    if (value.kwargs !== undefined) result.kwargs = value.kwargs as Dict;
    return result;
  }
  return { args: [value] };
}

function isResultShape(value: Dict): boolean {
  const keys = Object.keys(value);
  if (keys.length === 0 || keys.some((key) => key !== 'args' && key !== 'kwargs')) return false;
  return (value.args === undefined || Array.isArray(value.args)) && (value.kwargs === undefined || isDict(value.kwargs));
}
