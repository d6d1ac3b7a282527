import type { AuthGate } from '../hooks.js';
import { InternalSession } from '../internal-session.js';
import type { AttachOptions, Peer, SessionLink } from '../peer.js';
import type { Realm } from '../realm.js';
import type { MetaContext } from './context.js';
import { registrationItems, subscriptionItems } from './cluster-view.js';
import { killHere } from './kill.js';
import { sessionStatsTopic } from '../stats/session-meter.js';
import { metaEventPublisher } from './meta-events.js';
import { registrationProcedures } from './registration-procedures.js';
import { sessionProcedures } from './session-procedures.js';
import { subscriptionProcedures } from './subscription-procedures.js';
import { Testaments } from './testaments.js';

export type Attach = (peer: Peer, gate: AuthGate, options: AttachOptions) => SessionLink;

/**
 * The WAMP meta API of one realm, served by a trusted internal session: it registers the
 * wamp.session.* / wamp.subscription.* / wamp.registration.* procedures and publishes the meta
 * events. It reads the broker and dealer but is no part of them.
 */
export async function startMetaApi(realm: Realm, attach: Attach): Promise<InternalSession> {
  const context: MetaContext = { realm, testaments: new Testaments(), quietLeaves: new Set() };
  const session = await InternalSession.join(attach, realm.name, { authid: 'router', authrole: 'trusted' });
  realm.events.listen(metaEventPublisher(context, (topic, args, kwargs, options) => session.publish(topic, args, kwargs, options)));
  realm.stats?.publishWith((args) => session.publish(sessionStatsTopic, args));
  if (realm.backplane) {
    realm.clusterMeta = {
      answer: (question) => {
        switch (question.k) {
          case 'kill': return killHere(context, question);
          case 'subscriptions': return subscriptionItems(realm, question.filter);
          case 'registrations': return registrationItems(realm, question.filter);
        }
      },
      publishTestaments: (testaments) => {
        for (const testament of testaments) session.publish(testament.topic, testament.args, testament.kwargs, testament.options);
      },
    };
  }
  const procedures = { ...sessionProcedures(context), ...subscriptionProcedures(context), ...registrationProcedures(context) };
  // disclose_caller: procedures such as kill and add_testament act relative to the caller.
  await Promise.all(Object.entries(procedures).map(([uri, handler]) => session.register(uri, handler, { disclose_caller: true })));
  return session;
}
