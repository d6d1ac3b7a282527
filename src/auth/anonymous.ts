import { ErrorUri } from '../protocol/errors.js';
import { randomId } from '../protocol/ids.js';
import type { AuthGate, AuthOutcome, AuthRequest } from '../router/hooks.js';

/** The HELLO's requested auth methods; an absent list means the client accepts anonymous. */
export function requestedAuthMethods(request: AuthRequest): string[] {
  const methods = request.details.authmethods;
  return Array.isArray(methods) ? methods.filter((m): m is string => typeof m === 'string') : ['anonymous'];
}

/** Anonymous sign-in with a fixed role; each session gets a random authid unless one is configured. */
export function anonymousGate(role: string, authid?: string): AuthGate {
  return {
    hello(request): AuthOutcome {
      if (!requestedAuthMethods(request).includes('anonymous')) {
        return {
          kind: 'deny',
          reason: ErrorUri.noAuthMethod,
          message: 'none of the requested authentication methods is offered here (offered: anonymous)',
        };
      }
      return {
        kind: 'welcome',
        identity: {
          authid: authid ?? `anonymous-${randomId().toString(36)}`,
          authrole: role,
          authmethod: 'anonymous',
          authprovider: 'static',
        },
      };
    },
  };
}
