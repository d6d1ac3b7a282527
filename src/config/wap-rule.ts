/**
 * The route paths of a `wap` path service, in the rule syntax of Werkzeug (which Crossbar's wap
 * service routes with): "/product/<int:product_id>/<report>". Each variable part is one keyword
 * argument of the route's call. Read once at load (a malformed rule is a config problem) and
 * compiled by the path into one anchored regular expression.
 */

export type RouteValue = string | number;

/** A variable part: its keyword name and how its text becomes the value. */
export interface RouteParameter {
  name: string;
  convert(text: string): RouteValue;
}

export interface WapRule {
  pattern: RegExp;
  parameters: RouteParameter[];
}

const identity = (text: string): string => text;

/** Werkzeug's converters without arguments, as regular expression source and value. */
const converters: Record<string, { source: string; convert(text: string): RouteValue }> = {
  default: { source: '[^/]+', convert: identity },
  string: { source: '[^/]+', convert: identity },
  int: { source: '\\d+', convert: Number },
  float: { source: '\\d+\\.\\d+', convert: Number },
  path: { source: '[^/].*?', convert: identity },
  uuid: { source: '[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}', convert: identity },
};

const variable = /<(?:([a-z]+)(?:\(([^)]*)\))?:)?([A-Za-z_][A-Za-z0-9_]*)>/g;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The rule compiled, or why it cannot be (for the config problem). */
export function parseWapRule(rule: string): WapRule | string {
  if (!rule.startsWith('/')) return 'a route path starts with "/", like "/greeting/<name>"';
  if (/[<>]/.test(rule.replace(variable, ''))) return 'a variable part is written <name> or <converter:name>, like <int:year>';
  const parameters: RouteParameter[] = [];
  let source = '';
  let at = 0;
  for (const match of rule.matchAll(variable)) {
    const [whole, converter = 'default', args, name] = match as unknown as [string, string | undefined, string | undefined, string];
    source += escapeRegExp(rule.slice(at, match.index));
    at = match.index + whole.length;
    if (parameters.some((parameter) => parameter.name === name)) return `the variable <${name}> appears twice`;
    if (converter === 'any') {
      const choices = (args ?? '').split(',').map((choice) => choice.trim().replace(/^["']|["']$/g, '')).filter((choice) => choice !== '');
      if (choices.length === 0) return `<any(...):${name}> needs its choices, like <any(about, help):${name}>`;
      source += `(${choices.map(escapeRegExp).join('|')})`;
      parameters.push({ name, convert: identity });
      continue;
    }
    const known = converters[converter];
    if (known === undefined) return `unknown converter "${converter}" in <${whole.slice(1, -1)}>; Junction knows ${[...Object.keys(converters), 'any'].join(', ')}`;
    if (args !== undefined) return `converter arguments are not supported (in ${whole}); use <${converter}:${name}>`;
    source += `(${known.source})`;
    parameters.push({ name, convert: known.convert });
  }
  source += escapeRegExp(rule.slice(at));
  return { pattern: new RegExp(`^${source}$`), parameters };
}
