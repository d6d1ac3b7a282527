import type { Dict } from '../protocol/messages.js';
import { isDict } from '../protocol/parse.js';
import type { Action, Decision, SessionFacts } from '../router/hooks.js';
import { clipped, type Logger } from '../router/log.js';
import { trustedRole, type ProcedureCaller } from './caller.js';
import type { CacheDrops } from './realm-authorizer.js';

export interface DynamicAuthorizerSettings {
  /** The realm whose role this authorizes; the procedure is called in it. */
  realm: string;
  /** URI of the authorizer procedure. */
  procedure: string;
  /** Cached decisions kept at most; the oldest go first. */
  maxCached?: number;
  /** Where the decisions let go for room are counted. */
  drops?: CacheDrops;
}

type Answer = { ok: true; decision: Decision; cache: boolean } | { ok: false; why: string };

/**
 * Authorizes a role through an application procedure, as Crossbar does: the router calls it as
 * (session, uri, action, options) with session = {session, realm, authid, authrole, authmethod,
 * authprovider, authextra}, and takes `true`/`false` or {allow, disclose, cache}. With cache
 * true the decision is kept per (authrole, action, uri) and later asks are answered at once.
 * An authorizer that fails, is not registered, or answers nonsense denies (fails closed) and
 * the log says why.
 */
export class DynamicAuthorizer {
  private readonly cache = new Map<string, Decision>();
  private readonly maxCached: number;

  constructor(
    private readonly settings: DynamicAuthorizerSettings,
    private readonly caller: ProcedureCaller,
    private readonly log: Logger,
  ) {
    this.maxCached = settings.maxCached ?? 10_000;
  }

  authorize(session: SessionFacts, action: Action, uri: string, options: Dict): Decision | Promise<Decision> {
    const key = `${session.authrole}\u0000${action}\u0000${uri}`;
    return this.cache.get(key) ?? this.ask(session, action, uri, options, key);
  }

  get cachedCount(): number {
    return this.cache.size;
  }

  private async ask(session: SessionFacts, action: Action, uri: string, options: Dict, key: string): Promise<Decision> {
    const facts: Dict = {
      session: session.session,
      realm: session.realm,
      authid: session.authid,
      authrole: session.authrole,
      authmethod: session.authmethod,
      authprovider: session.authprovider,
      authextra: session.authextra ?? null,
    };
    const context = { session: session.session, authrole: session.authrole, action, uri, authorizer: this.settings.procedure };
    let answer: Answer;
    try {
      const outcome = await this.caller.call({ realm: this.settings.realm, role: trustedRole }, this.settings.procedure, [facts, uri, action, options]);
      answer = readAnswer(outcome.args[0]);
    } catch (error) {
      answer = { ok: false, why: `the call failed: ${(error as Error).message}` };
    }
    if (!answer.ok) {
      this.log.error({ ...context, why: clipped(answer.why) }, 'dynamic authorizer gave no usable answer; denying');
      return { allow: false };
    }
    if (answer.cache) this.remember(key, answer.decision);
    return answer.decision;
  }

  private remember(key: string, decision: Decision): void {
    this.cache.set(key, decision);
    if (this.cache.size > this.maxCached) {
      this.cache.delete(this.cache.keys().next().value!);
      if (this.settings.drops) this.settings.drops.count++;
    }
  }
}

function readAnswer(answer: unknown): Answer {
  if (typeof answer === 'boolean') return { ok: true, decision: { allow: answer }, cache: false };
  if (!isDict(answer)) return { ok: false, why: `it answered ${JSON.stringify(answer) ?? String(answer)}, expected true, false or {allow, disclose, cache}` };
  if (typeof answer.allow !== 'boolean') return { ok: false, why: 'its answer has no boolean "allow"' };
  for (const key of ['disclose', 'cache'] as const) {
    if (answer[key] !== undefined && answer[key] !== null && typeof answer[key] !== 'boolean') {
      return { ok: false, why: `its answer has a "${key}" that is not a boolean` };
    }
  }
  const decision: Decision = { allow: answer.allow };
  if (typeof answer.disclose === 'boolean') decision.disclose = answer.disclose;
  return { ok: true, decision, cache: answer.cache === true };
}
