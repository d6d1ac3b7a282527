import type { InternalSession } from '../../router/internal-session.js';
import { InternalCallError } from '../../router/internal-session.js';
import type { PusherApp } from '../../transport/pusher/app.js';

/**
 * Pusher presence and channels seen from WAMP: procedures registered in each realm that has
 * Pusher apps (one registration per realm; `kwargs.app` picks the app when several share it).
 *   junction.pusher.channels(kwargs {app?, prefix?}) -> {channels: {name: {subscription_count, user_count?}}}
 *   junction.pusher.members(channel, kwargs {app?})   -> {members: [{user_id, user_info}], count}
 */
export const membersProcedure = 'junction.pusher.members';
export const channelsProcedure = 'junction.pusher.channels';

export async function registerPusherMeta(session: InternalSession, apps: PusherApp[]): Promise<void> {
  const pick = (kwargs: Record<string, unknown>): PusherApp => {
    const id = kwargs.app;
    if (id === undefined && apps.length === 1) return apps[0]!;
    const app = apps.find((candidate) => candidate.settings.id === id);
    if (!app) {
      throw new InternalCallError('wamp.error.invalid_argument', [`name the Pusher app in kwargs.app: one of ${apps.map((candidate) => `"${candidate.settings.id}"`).join(', ')}`]);
    }
    return app;
  };
  await session.register(membersProcedure, (args, kwargs) => {
    const channel = args[0];
    if (typeof channel !== 'string') throw new InternalCallError('wamp.error.invalid_argument', ['give the channel name as the first argument']);
    const presence = pick(kwargs).channels.presence(channel);
    return { members: presence.ids.map((id) => ({ user_id: id, user_info: presence.hash[id] })), count: presence.count };
  });
  await session.register(channelsProcedure, (_args, kwargs) => {
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
}
