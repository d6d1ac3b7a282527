import { randomId } from '../protocol/ids.js';
import type { AuthGate } from '../router/hooks.js';
import { DynamicAuthenticator, identityOf, isFailure } from './dynamic.js';
import { authGate } from './gate.js';
import type { AuthMethod } from './method.js';

const method = 'anonymous';

function randomAuthid(): string {
  return `anonymous-${randomId().toString(36)}`;
}

/** Anonymous sign-in with a fixed role; each session gets a random authid unless one is configured. */
export function staticAnonymous(role: string, authid?: string): AuthMethod {
  return {
    name: method,
    begin: () => ({
      kind: 'welcome',
      identity: { authid: authid ?? randomAuthid(), authrole: role, authmethod: method, authprovider: 'static' },
    }),
  };
}

/**
 * Anonymous sign-in where an application procedure picks the role (and may set authid, realm and
 * authextra), e.g. from the transport's address. A random authid is made up when none is given.
 */
export function dynamicAnonymous(authenticator: DynamicAuthenticator): AuthMethod {
  return {
    name: method,
    async begin(request) {
      const answer = await authenticator.ask(request);
      if (isFailure(answer)) return answer;
      const identity = identityOf(answer.principal, { method, provider: authenticator.provider, makeAuthid: randomAuthid });
      return isFailure(identity) ? identity : { kind: 'welcome', identity };
    },
  };
}

/** A gate offering only static anonymous sign-in (the embedded default and test harnesses). */
export function anonymousGate(role: string, authid?: string): AuthGate {
  return authGate({ methods: [staticAnonymous(role, authid)] });
}
