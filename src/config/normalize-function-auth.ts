/**
 * Crossbar's function authenticators (`"type": "function"`): a Python `create(config, controller)`
 * returns the callable that authenticates each client. Junction runs it out of process: each
 * distinct (create, config) becomes a `stdio` component, Junction's Python host
 * (python/junction_authenticator.py) run by the router's options.python, which registers the
 * callable under a private procedure; the method itself becomes a dynamic authenticator calling
 * that procedure, so the dynamic authenticator's timeout and the stdio component's limits apply.
 */

import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { privateUriPrefix } from '../protocol/uri.js';
import { secretValues } from './mask-secrets.js';
import type { DynamicAuthConfig, StdioComponentConfig, WorkerPython } from './model.js';
import type { FunctionAuthFile } from './schema-auth.js';
import { stdioDefaults } from './schema-components.js';

/** The host, from dist/src/config/ (or src/config/) up to the package root. */
export const authenticatorHost = fileURLToPath(new URL('../../../python/junction_authenticator.py', import.meta.url));

/** The environment variable that hands the host its task (an env value is masked in its output, as config may hold secrets). */
export const authenticatorTaskVariable = 'JUNCTION_AUTHENTICATOR';

export interface FunctionAuthSettings {
  /** The router worker's options.python. */
  python: string;
  /** Absolute folders put first on sys.path (the router worker's options.pythonpath). */
  pythonpath: string[];
  /** The router worker's options.env: what the host inherits of the router's environment, and its variables. */
  env: WorkerPython['env'];
  /** Where the host's session joins and its procedures are registered: the router's first realm. */
  realm: string;
  /** The config folder: the host's working folder. */
  cwd: string;
}

export class FunctionAuthenticators {
  private readonly hosts = new Map<string, StdioComponentConfig>();

  constructor(private readonly settings: FunctionAuthSettings) {}

  /** The dynamic authenticator that stands for `method`; the same create and config share one host. */
  dynamicFor(method: FunctionAuthFile): DynamicAuthConfig {
    const task = { create: method.create, config: method.config };
    const digest = createHash('sha256').update(JSON.stringify(task)).digest('hex').slice(0, 16);
    const procedure = `${privateUriPrefix}authenticator.${digest}`;
    if (!this.hosts.has(procedure)) {
      const { python, pythonpath, env, realm, cwd } = this.settings;
      const { maxLineBytes } = stdioDefaults;
      this.hosts.set(procedure, {
        kind: 'stdio',
        id: `authenticator:${method.create}:${digest.slice(0, 8)}`,
        realm,
        command: [python, authenticatorHost],
        cwd,
        // max_line_bytes: the host refuses an answer longer than the link reads, rather than leave the sign-in to time out.
        env: { ...env.vars, [authenticatorTaskVariable]: JSON.stringify({ ...task, procedure, pythonpath, max_line_bytes: maxLineBytes }) },
        inherit: env.inherit,
        authenticatorFunction: method.create,
        maxLineBytes,
        queueLimit: stdioDefaults.queueLimit,
        restart: stdioDefaults.restart,
        secrets: secretValues(method.config),
      });
    }
    return { type: 'dynamic', authenticator: procedure, authenticatorRealm: this.settings.realm, function: method.create };
  }

  /** The hosts to run, one per distinct authenticator. */
  components(): StdioComponentConfig[] {
    return [...this.hosts.values()];
  }
}
