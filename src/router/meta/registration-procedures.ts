import { ErrorUri } from '../../protocol/errors.js';
import type { Registration } from '../dealer/registration.js';
import { InternalCallError } from '../internal-session.js';
import { argument, readId, readMatch, readOptionalDict, readString } from './arguments.js';
import { visibleSession, type MetaContext, type MetaProcedures } from './context.js';
import { byMatchPolicy, isRouterUri, isVisible, registrationDetails } from './views.js';

/** wamp.registration.*: what is registered, and by which callees. */
export function registrationProcedures(context: MetaContext): MetaProcedures {
  const { realm } = context;
  const dealer = realm.dealer;

  /** A registration by ID; the router's own (wamp.*) ones, such as the meta API itself, are not shown. */
  const registration = (id: number): Registration => {
    const found = dealer.registration(id);
    if (!found) throw new InternalCallError(ErrorUri.noSuchRegistration, [`no registration with ID ${id} exists in realm "${realm.name}"`]);
    if (isRouterUri(found.uri)) {
      throw new InternalCallError(ErrorUri.notAuthorized, [`registration ${id} is the router's own procedure "${found.uri}"`]);
    }
    return found;
  };

  const visible = (found: Registration | undefined): number | null => (found && !isRouterUri(found.uri) ? found.id : null);

  const callees = (found: Registration): number[] => found.callees.filter(isVisible).map((session) => session.id);

  return {
    'wamp.registration.list': (args, kwargs) => {
      const sessionId = argument(args, kwargs, 0, 'session_id');
      if (sessionId === undefined || sessionId === null) return byMatchPolicy(dealer.registrations());
      return byMatchPolicy(dealer.registrationsOf(visibleSession(context, readId(sessionId, 'session_id'))));
    },

    'wamp.registration.lookup': (args, kwargs) => {
      const procedure = readString(argument(args, kwargs, 0, 'procedure'), 'procedure');
      const options = readOptionalDict(argument(args, kwargs, 1, 'options'), 'options');
      return visible(dealer.lookup(procedure, readMatch(options)));
    },

    'wamp.registration.match': (args, kwargs) =>
      visible(dealer.match(readString(argument(args, kwargs, 0, 'procedure'), 'procedure'))),

    'wamp.registration.get': (args, kwargs) =>
      registrationDetails(registration(readId(argument(args, kwargs, 0, 'registration'), 'registration'))),

    'wamp.registration.list_callees': (args, kwargs) =>
      callees(registration(readId(argument(args, kwargs, 0, 'registration'), 'registration'))),

    'wamp.registration.count_callees': (args, kwargs) =>
      callees(registration(readId(argument(args, kwargs, 0, 'registration'), 'registration'))).length,
  };
}
