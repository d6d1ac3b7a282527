/**
 * Environment references in config values, so secrets and deployment details stay out of the file.
 *
 * Any string value may contain `${NAME}`; each is replaced by the variable's value at load time.
 * Crossbar's `"port": "$PORT"` form (a whole value, no braces) is also read for endpoint ports.
 * Keys are never substituted. A missing variable is a problem naming it; its would-be value never
 * appears in any message.
 */

import { problem, type ConfigProblem } from './problems.js';
import type { ConfigPath } from './config-path.js';

export type Environment = Readonly<Record<string, string | undefined>>;

const reference = /\$\{([^}]*)\}/g;
const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const crossbarPortReference = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;

export function substituteEnv(value: unknown, env: Environment): { value: unknown; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const substituted = walk(value, [], env, problems);
  return { value: substituted, problems };
}

function walk(value: unknown, path: ConfigPath, env: Environment, problems: ConfigProblem[]): unknown {
  if (typeof value === 'string') return substituteString(value, path, env, problems);
  if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index], env, problems));
  if (typeof value === 'object' && value !== null) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = walk(item, [...path, key], env, problems);
    return result;
  }
  return value;
}

function substituteString(text: string, path: ConfigPath, env: Environment, problems: ConfigProblem[]): string {
  const portReference = isEndpointPort(path) ? crossbarPortReference.exec(text) : null;
  if (portReference !== null) return lookup(portReference[1]!, path, env, problems) ?? text;

  return text.replace(reference, (whole, name: string) => {
    if (!variableName.test(name)) {
      problems.push(problem('config.env.bad_reference', path, name));
      return whole;
    }
    return lookup(name, path, env, problems) ?? whole;
  });
}

function lookup(name: string, path: ConfigPath, env: Environment, problems: ConfigProblem[]): string | undefined {
  const found = env[name];
  if (found === undefined) problems.push(problem('config.env.unset', path, name));
  return found;
}

function isEndpointPort(path: ConfigPath): boolean {
  return path.length >= 2 && path[path.length - 1] === 'port' && path[path.length - 2] === 'endpoint';
}
