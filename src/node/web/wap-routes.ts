import type { WapRoute } from '../../config/model.js';
import { parseWapRule, type RouteValue, type WapRule } from '../../config/wap-rule.js';

export type RouteMatch =
  | { kind: 'found'; route: WapRoute; kwargs: Record<string, RouteValue> }
  | { kind: 'not_found' }
  /** The path is a route's, for other methods. */
  | { kind: 'method_not_allowed'; allowed: string[] };

/**
 * A wap path's routes, in their order: the first whose rule matches the path below the service's
 * and whose method is the request's wins, as in Werkzeug's map. Variable parts are matched as sent
 * (as Crossbar matches the undecoded path) and given to the call percent-decoded.
 */
export class WapRoutes {
  private readonly rules: { route: WapRoute; rule: WapRule }[];

  constructor(routes: readonly WapRoute[]) {
    // The config check parsed each rule already; a string here would be a rule it let through.
    this.rules = routes.map((route) => {
      const rule = parseWapRule(route.path);
      if (typeof rule === 'string') throw new Error(`route ${route.path}: ${rule}`);
      return { route, rule };
    });
  }

  /** `path` is what follows the service's own path ("" for the path itself). */
  match(method: string, path: string): RouteMatch {
    const below = path === '' ? '/' : path;
    const allowed: string[] = [];
    for (const { route, rule } of this.rules) {
      const found = rule.pattern.exec(below);
      if (found === null) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const kwargs: Record<string, RouteValue> = {};
      for (const [index, parameter] of rule.parameters.entries()) kwargs[parameter.name] = parameter.convert(decodeSegment(found[index + 1]!));
      return { kind: 'found', route, kwargs };
    }
    return allowed.length > 0 ? { kind: 'method_not_allowed', allowed: [...new Set(allowed)] } : { kind: 'not_found' };
  }
}

/** Percent-decoded; a malformed escape is left as sent. */
function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
