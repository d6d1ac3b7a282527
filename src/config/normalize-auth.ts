/** The `auth` block of a transport or path, from the file's shape to the model's. */

import type { AuthConfig, DynamicAuthConfig } from './model.js';
import type { FunctionAuthenticators } from './normalize-function-auth.js';
import type { AuthFile, ConsoleAuthFile, FunctionAuthFile, SseAuthFile } from './schema-auth.js';
import type { MqttAuthFile } from './schema-mqtt.js';

/** Absent auth means anonymous with role "anonymous", as Crossbar. A function method becomes a dynamic one (normalize-function-auth.ts). */
export function authConfig(
  auth: AuthFile | SseAuthFile | ConsoleAuthFile | MqttAuthFile | undefined,
  functions: FunctionAuthenticators,
): AuthConfig {
  if (auth === undefined) return { anonymous: { type: 'static', role: 'anonymous' } };
  /** A method's model: its static form, else the dynamic authenticator it names. */
  const form = <Static extends { type: 'static' }, Config>(method: Static | DynamicAuthFile | FunctionAuthFile, staticForm: (method: Static) => Config): Config | DynamicAuthConfig =>
    method.type === 'static' ? staticForm(method) : authenticatorConfig(method, functions);
  const result: AuthConfig = {};
  if (auth.anonymous !== undefined) {
    result.anonymous = form(auth.anonymous, (method) => ({ type: 'static', role: method.role, ...(method.authid === undefined ? {} : { authid: method.authid }) }));
  }
  if (auth.ticket !== undefined) {
    result.ticket = form(auth.ticket, (method) => ({ type: 'static', principals: mapValues(method.principals, (p) => ({ ticket: p.ticket, role: p.role })) }));
  }
  if ('wampcra' in auth && auth.wampcra !== undefined) {
    result.wampcra = form(auth.wampcra, (method) => ({
      type: 'static',
      users: mapValues(method.users, (user) => ({
        secret: user.secret,
        role: user.role,
        ...(user.salt === undefined ? {} : { salt: user.salt, iterations: user.iterations!, keylen: user.keylen! }),
      })),
    }));
  }
  if ('cryptosign' in auth && auth.cryptosign !== undefined) {
    result.cryptosign = form(auth.cryptosign, (method) => ({
      type: 'static',
      principals: mapValues(method.principals, (principal) => ({
        authorizedKeys: principal.authorized_keys.map((key) => key.toLowerCase()),
        role: principal.role,
        ...(principal.realm === undefined ? {} : { realm: principal.realm }),
      })),
    }));
  }
  if ('scram' in auth && auth.scram !== undefined) {
    result.scram = form(auth.scram, (method) => ({
      type: 'static',
      principals: mapValues(method.principals, (principal) => ({
        kdf: principal.kdf,
        iterations: principal.iterations,
        ...(principal.memory === undefined ? {} : { memory: principal.memory }),
        salt: principal.salt,
        storedKey: principal['stored-key'],
        serverKey: principal['server-key'],
        role: principal.role,
      })),
    }));
  }
  if ('tls' in auth && auth.tls !== undefined) {
    result.tls = form(auth.tls, (method) => ({
      type: 'static',
      principals: mapValues(method.principals, (principal) => ({
        role: principal.role,
        ...(principal['certificate-sha1'] === undefined ? {} : { certificateSha1: principal['certificate-sha1'] }),
      })),
    }));
  }
  return result;
}

/** A dynamic method's authenticator, or the one that stands for a function method. */
export function authenticatorConfig(method: DynamicAuthFile | FunctionAuthFile, functions: FunctionAuthenticators): DynamicAuthConfig {
  return method.type === 'function' ? functions.dynamicFor(method) : dynamicConfig(method);
}

interface DynamicAuthFile {
  type: 'dynamic';
  authenticator: string;
  'authenticator-realm'?: string | undefined;
  'authenticator-role'?: string | undefined;
}

function dynamicConfig(method: DynamicAuthFile): DynamicAuthConfig {
  return {
    type: 'dynamic',
    authenticator: method.authenticator,
    ...(method['authenticator-realm'] === undefined ? {} : { authenticatorRealm: method['authenticator-realm'] }),
    ...(method['authenticator-role'] === undefined ? {} : { authenticatorRole: method['authenticator-role'] }),
  };
}

/**
 * Records keyed by names from the file (authids, URL paths, headers) have no prototype, so
 * looking up a client-supplied name such as "constructor" finds nothing instead of an Object method.
 */
export function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  const result: Record<string, U> = Object.create(null);
  for (const [key, value] of Object.entries(record)) result[key] = map(value);
  return result;
}
