import type { Subscription } from './broker/subscription.js';
import type { Registration } from './dealer/registration.js';
import type { Session } from './session.js';

/**
 * What changes in a realm, told after the change is made (the session has joined, the
 * subscription exists...). The meta API listens and publishes them as wamp.* events; nothing in
 * the broker or dealer knows about the meta API.
 */
export interface RealmEventMap {
  sessionJoined: [session: Session];
  sessionLeft: [session: Session];
  subscriptionCreated: [session: Session, subscription: Subscription];
  subscribed: [session: Session, subscription: Subscription];
  unsubscribed: [session: Session, subscription: Subscription];
  subscriptionDeleted: [session: Session, subscription: Subscription];
  registrationCreated: [session: Session, registration: Registration];
  registered: [session: Session, registration: Registration];
  unregistered: [session: Session, registration: Registration];
  registrationDeleted: [session: Session, registration: Registration];
}

export type RealmListener = { [K in keyof RealmEventMap]?: (...args: RealmEventMap[K]) => void };

export class RealmEvents {
  private listeners: RealmListener[] = [];

  /** Adds a listener; returns the function that removes it. */
  listen(listener: RealmListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit<K extends keyof RealmEventMap>(name: K, ...args: RealmEventMap[K]): void {
    for (const listener of this.listeners) (listener[name] as ((...a: RealmEventMap[K]) => void) | undefined)?.(...args);
  }
}
