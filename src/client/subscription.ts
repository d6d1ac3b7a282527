import type { Event as EventMessage } from '../protocol/messages.js';
import { Channel } from './channel.js';
import type { Args, Event, EventHandler, Kwargs, SubscribeOptions } from './types.js';

/** What a subscription needs from its session. */
export interface SubscriptionOwner {
  unsubscribe(subscription: Subscription): Promise<void>;
  reportHandlerError(error: unknown, where: string): void;
}

/**
 * One `subscribe()` of the app. It outlives reconnects: the session subscribes it again on each
 * new connection, so `id` (the router's subscription id) may change. Events go to the handler,
 * or, without one, into an async iterator (`for await (const event of subscription)`); leaving
 * that loop unsubscribes.
 */
export class Subscription<A extends Args = Args, K extends Kwargs = Kwargs> implements AsyncIterable<Event<A, K>> {
  /** The router's id for it on the current connection (0 while none). */
  id = 0;
  readonly #channel: Channel<Event<A, K>> | undefined;
  #active = true;

  readonly #owner: SubscriptionOwner;
  readonly #handler: EventHandler<A, K> | undefined;

  constructor(owner: SubscriptionOwner, readonly topic: string, readonly options: SubscribeOptions, handler: EventHandler<A, K> | undefined) {
    this.#owner = owner;
    this.#handler = handler;
    if (!handler) this.#channel = new Channel(() => void this.unsubscribe().catch(() => {}));
  }

  get isActive(): boolean {
    return this.#active;
  }

  /** Stops the events; resolves once the router confirmed (at once if other local subscriptions share the id). */
  unsubscribe(): Promise<void> {
    return this.#active ? this.#owner.unsubscribe(this as unknown as Subscription) : Promise.resolve();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Event<A, K>> {
    if (!this.#channel) throw new TypeError(`"${this.topic}" was subscribed with a handler: it cannot be iterated`);
    return this.#channel;
  }

  deliver(event: Event): void {
    if (!this.#active) return;
    const typed = event as Event<A, K>;
    if (!this.#handler) {
      this.#channel!.push(typed);
      return;
    }
    try {
      const returned: unknown = this.#handler(typed.args, typed.kwargs, typed.details);
      if (returned instanceof Promise) returned.catch(this.#report);
    } catch (error) {
      this.#report(error);
    }
  }

  /** One function for every event, rather than a closure per event. */
  readonly #report = (error: unknown): void => this.#owner.reportHandlerError(error, this.topic);

  /** Ends it on this side; an iterator loop finishes, or throws `error` when one is given. */
  end(error?: Error): void {
    this.#active = false;
    this.#channel?.end(error);
  }
}

/**
 * Active subscriptions, and which of them each router subscription id feeds: a router gives
 * two subscriptions to one topic the same id, so one EVENT may go to several of them.
 */
export class SubscriptionTable {
  readonly all = new Set<Subscription>();
  readonly #byId = new Map<number, Set<Subscription>>();

  bind(subscription: Subscription, id: number): void {
    subscription.id = id;
    let group = this.#byId.get(id);
    if (!group) this.#byId.set(id, (group = new Set()));
    group.add(subscription);
  }

  /** Forgets one subscription; true when it was the last one on its router id. */
  remove(subscription: Subscription): boolean {
    this.all.delete(subscription);
    const group = this.#byId.get(subscription.id);
    if (!group) return false;
    group.delete(subscription);
    if (group.size > 0) return false;
    this.#byId.delete(subscription.id);
    return true;
  }

  /** Router ids die with the connection; the subscriptions stay, to be restored. */
  unbindAll(): void {
    this.#byId.clear();
    for (const subscription of this.all) subscription.id = 0;
  }

  deliver(message: EventMessage): void {
    const group = this.#byId.get(message.subscription);
    if (!group) return;
    for (const subscription of group) {
      subscription.deliver({
        args: message.args ?? [],
        kwargs: message.kwargs ?? {},
        details: { ...message.details, topic: (message.details.topic as string | undefined) ?? subscription.topic, publication: message.publication },
      });
    }
  }
}
