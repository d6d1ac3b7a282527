import type { InternalSession } from '../../router/internal-session.js';
import { InternalCallError } from '../../router/internal-session.js';
import { refuseUnknownKeywords } from '../../router/meta/arguments.js';
import type { Dict } from '../../protocol/messages.js';
import type { Router } from '../../router/router.js';
import type { PusherApp } from '../../transport/pusher/app.js';
import type { NodeContext } from '../web/service-context.js';

/**
 * Pusher presence and channels seen from WAMP: procedures registered once in each realm that has
 * Pusher apps, whatever pusher transports they belong to.
 *   junction.pusher.channels(kwargs {app?, transport?, prefix?}) -> {channels: {name: {subscription_count, user_count?}}}
 *   junction.pusher.members(channel, kwargs {app?, transport?})  -> {members: [{user_id, user_info}], count}
 * `app` (the app id) is needed only when several apps share the realm, `transport` (the
 * transport id) only when two transports have an app of that id.
 */
export const membersProcedure = 'junction.pusher.members';
export const channelsProcedure = 'junction.pusher.channels';

interface Listed {
  transport: string;
  app: PusherApp;
}

interface RealmEntry {
  apps: Listed[];
  /** The trusted session serving the procedures; joined with the realm's first app. */
  session: Promise<InternalSession>;
}

/** One per router: every pusher transport of the node adds its apps here. */
class PusherMeta {
  private readonly realms = new Map<string, RealmEntry>();

  constructor(private readonly node: NodeContext) {}

  /** Lists the transport's apps; the first app of a realm registers the procedures there. */
  async add(transport: string, apps: PusherApp[]): Promise<void> {
    for (const app of apps) {
      const realm = app.settings.realm;
      let entry = this.realms.get(realm);
      if (!entry) {
        const listed: Listed[] = [];
        entry = { apps: listed, session: this.serve(realm, listed) };
        this.realms.set(realm, entry);
      }
      entry.apps.push({ transport, app });
      await entry.session;
    }
  }

  /** Forgets the transport's apps; a realm left without apps loses its procedures. */
  remove(transport: string): void {
    for (const [realm, entry] of this.realms) {
      entry.apps = entry.apps.filter((listed) => listed.transport !== transport);
      if (entry.apps.length > 0) continue;
      this.realms.delete(realm);
      void entry.session.then((session) => session.leave(), () => undefined);
    }
  }

  private async serve(realm: string, apps: Listed[]): Promise<InternalSession> {
    const session = await this.node.joinTrustedSession(realm, 'pusher:meta');
    // The list is read at each call: transports added later are found.
    const pick = (kwargs: Dict): PusherApp => pickApp(this.realms.get(realm)?.apps ?? apps, kwargs);
    await session.register(membersProcedure, (args, kwargs) => {
      refuseUnknownKeywords(kwargs, appKeywords);
      const channel = args[0];
      if (typeof channel !== 'string') throw new InternalCallError('wamp.error.invalid_argument', ['give the channel name as the first argument']);
      const presence = pick(kwargs).channels.presence(channel);
      return { members: presence.ids.map((id) => ({ user_id: id, user_info: presence.hash[id] })), count: presence.count };
    });
    await session.register(channelsProcedure, (_args, kwargs) => {
      refuseUnknownKeywords(kwargs, [...appKeywords, 'prefix']);
      const app = pick(kwargs);
      const prefix = typeof kwargs.prefix === 'string' ? kwargs.prefix : '';
      const channels: Record<string, unknown> = {};
      for (const name of app.channels.names()) {
        if (!name.startsWith(prefix)) continue;
        channels[name] = name.startsWith('presence-')
          ? { subscription_count: app.channels.subscriptionCount(name), user_count: app.channels.userIds(name).length }
          : { subscription_count: app.channels.subscriptionCount(name) };
      }
      return { channels };
    });
    return session;
  }
}

/** The keywords that pick the Pusher app a meta call is about. */
const appKeywords = ['app', 'transport'];

function pickApp(apps: Listed[], kwargs: Dict): PusherApp {
  const matching = apps.filter((listed) =>
    (kwargs.app === undefined || listed.app.settings.id === kwargs.app) && (kwargs.transport === undefined || listed.transport === kwargs.transport));
  if (matching.length === 1) return matching[0]!.app;
  const known = apps.map((listed) => `"${listed.app.settings.id}" (transport "${listed.transport}")`).join(', ');
  const problem = matching.length === 0 ? 'no such Pusher app in this realm' : 'several Pusher apps match';
  throw new InternalCallError('wamp.error.invalid_argument', [`${problem}: name it with kwargs.app (and kwargs.transport when two transports share an app id); apps: ${known}`]);
}

const perRouter = new WeakMap<Router, PusherMeta>();

/** The node's Pusher meta procedures (created with the first pusher transport). */
export function pusherMeta(node: NodeContext): PusherMeta {
  let meta = perRouter.get(node.router);
  if (!meta) {
    meta = new PusherMeta(node);
    perRouter.set(node.router, meta);
  }
  return meta;
}
