import type { Args, Dict } from '../../protocol/messages.js';
import { InternalCallError } from '../internal-session.js';
import { OptionError, readPublishOptions } from '../options.js';
import {
  argument, invalidArgument, readId, refuseUnknownKeywords, readOptionalDict, readOptionalList, readOptionalString, readOptionalStringList, readString,
} from './arguments.js';
import { killEverywhere, killHere, killKeywords, readKillOrder } from './kill.js';
import { callerOf, noSuchSession, visibleSession, type MetaContext, type MetaProcedures } from './context.js';
import { testamentScopes, testamentsPerScope, type TestamentScope } from './testaments.js';
import { isVisible, sessionDetails } from './views.js';

/** wamp.session.*: who is connected, closing sessions, and testaments. */
export function sessionProcedures(context: MetaContext): MetaProcedures {
  const { realm } = context;

  /** The ids of the visible sessions of the realm on every node (the cluster's other nodes too), by role if asked. */
  const visibleSessionIds = (args: Args, kwargs: Dict): number[] => {
    refuseUnknownKeywords(kwargs, ['filter_authroles']);
    const roles = readOptionalStringList(argument(args, kwargs, 0, 'filter_authroles'), 'filter_authroles');
    const here = [...realm.sessions.values()].filter((session) => isVisible(session) && (!roles || roles.includes(session.authrole)));
    const elsewhere = realm.remoteSessions().filter((session) => !roles || roles.includes(session.authrole));
    return [...here.map((session) => session.id), ...elsewhere.map((session) => session.session)];
  };

  const scope = (value: unknown): TestamentScope => {
    const given = readOptionalString(value, 'scope') ?? 'destroyed';
    if (!testamentScopes.includes(given as TestamentScope)) {
      throw new InternalCallError('wamp.error.testament_error', [`"scope" must be "detached" or "destroyed", got "${given}"`]);
    }
    return given as TestamentScope;
  };

  return {
    'wamp.session.count': (args, kwargs) => visibleSessionIds(args, kwargs).length,

    'wamp.session.list': (args, kwargs) => visibleSessionIds(args, kwargs),

    'wamp.session.get': (args, kwargs) => {
      refuseUnknownKeywords(kwargs, ['session']);
      const id = readId(argument(args, kwargs, 0, 'session'), 'session');
      const elsewhere = realm.sessions.has(id) ? undefined : realm.remoteSessions().find((session) => session.session === id);
      if (elsewhere) return elsewhere;
      const details = sessionDetails(visibleSession(context, id));
      // In a cluster every session's details name its node, this node's too.
      return realm.backplane ? { ...details, node: realm.backplane.nodeId } : details;
    },

    'wamp.session.kill': async (args, kwargs, details) => {
      refuseUnknownKeywords(kwargs, ['session', ...killKeywords]);
      const id = readId(argument(args, kwargs, 0, 'session'), 'session');
      const caller = callerOf(context, details);
      // The spec: a session cannot kill itself this way; its own ID names no *other* session.
      if (id === caller.id) throw noSuchSession(context, id);
      const order = readKillOrder({ session: id }, caller, args, kwargs, 1);
      if (realm.sessions.has(id)) {
        visibleSession(context, id);
        killHere(context, order);
        return undefined;
      }
      const node = realm.remoteSessions().find((session) => session.session === id)?.node;
      if (node === undefined || (await killEverywhere(context, order, [node])).length === 0) throw noSuchSession(context, id);
      return undefined;
    },

    // kill_by_authid and kill_by_authrole answer the list of the sessions closed, as Crossbar does
    // (the spec: a list for kill_by_authid, a count for kill_by_authrole); kill_all the count.
    'wamp.session.kill_by_authid': (args, kwargs, details) => {
      refuseUnknownKeywords(kwargs, ['authid', ...killKeywords]);
      const authid = readString(argument(args, kwargs, 0, 'authid'), 'authid');
      return killEverywhere(context, readKillOrder({ authid }, callerOf(context, details), args, kwargs, 1));
    },

    'wamp.session.kill_by_authrole': (args, kwargs, details) => {
      refuseUnknownKeywords(kwargs, ['authrole', ...killKeywords]);
      const authrole = readString(argument(args, kwargs, 0, 'authrole'), 'authrole');
      return killEverywhere(context, readKillOrder({ authrole }, callerOf(context, details), args, kwargs, 1));
    },

    'wamp.session.kill_all': (args, kwargs, details) => {
      refuseUnknownKeywords(kwargs, killKeywords);
      return killEverywhere(context, readKillOrder({ all: true }, callerOf(context, details), args, kwargs, 0)).then((closed) => closed.length);
    },

    'wamp.session.add_testament': async (args, kwargs, details) => {
      refuseUnknownKeywords(kwargs, ['topic', 'args', 'kwargs', 'publish_options', 'scope']);
      const caller = callerOf(context, details);
      const topic = readString(argument(args, kwargs, 0, 'topic'), 'topic');
      const eventArgs = readOptionalList(argument(args, kwargs, 1, 'args'), 'args');
      const eventKwargs = readOptionalDict(argument(args, kwargs, 2, 'kwargs'), 'kwargs');
      // The spec's keywords, or Crossbar's positional form (topic, args, kwargs, publish_options, scope).
      const options = { ...readOptionalDict(argument(args, kwargs, 3, 'publish_options'), 'publish_options') };
      const bucket = scope(argument(args, kwargs, 4, 'scope'));
      // The router publishes the testament later on the session's behalf: it must be a publication
      // the session may make now. Options that only make sense for a live publisher are dropped.
      for (const key of ['acknowledge', 'exclude_me', 'disclose_me']) delete options[key];
      try {
        readPublishOptions(options);
      } catch (error) {
        if (error instanceof OptionError) throw invalidArgument(`publish_options: ${error.message}`);
        throw error;
      }
      const refusal = await realm.publishRefusal(caller, topic, options);
      if (refusal) throw new InternalCallError(refusal.error, [refusal.text]);
      // The caller may have left while the authorizer thought: a testament stored now would never be published.
      if (realm.session(caller.id) !== caller) throw noSuchSession(context, caller.id);
      if (!context.testaments.add(caller.id, bucket, { topic, args: eventArgs, kwargs: eventKwargs, options })) {
        throw new InternalCallError('wamp.error.testament_error', [`at most ${testamentsPerScope} testaments per scope; flush some first`]);
      }
      shareTestaments(context, caller.id);
      return undefined;
    },

    // Answers how many testaments it removed, as Crossbar does (the spec: no value, which a client ignores).
    'wamp.session.flush_testaments': (args, kwargs, details) => {
      refuseUnknownKeywords(kwargs, ['scope']);
      const caller = callerOf(context, details);
      const flushed = context.testaments.flush(caller.id, scope(argument(args, kwargs, 0, 'scope')));
      if (flushed > 0) shareTestaments(context, caller.id);
      return flushed;
    },
  };
}

/** In a cluster the other nodes keep a copy of a session's testaments, to publish them if this node dies. */
function shareTestaments(context: MetaContext, session: number): void {
  context.realm.backplane?.shareTestaments(context.realm.name, session, context.testaments.peek(session));
}
