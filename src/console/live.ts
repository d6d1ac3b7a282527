/** How views stay live without hammering the router: meta events where they exist, slow polls where they do not. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Session } from '../client/session.js';

/** No view polls more often than this (the meta events carry the rest). */
export const MIN_POLL_MS = 1000;
/** A burst of meta events (a hundred sessions joining) becomes one reload, after this quiet time... */
const SETTLE_MS = 150;
/** ...and at most one reload this often. */
const MAX_RELOAD_RATE_MS = 500;
/** Without meta events (the role may not subscribe to them), views reload this often. */
export const FALLBACK_POLL_MS = 5000;

export interface RealmChanges {
  /** Bumped when sessions, subscriptions or registrations change. */
  version: number;
  /** Why meta events are not available, if they are not. */
  problem: string | undefined;
}

/** Follows the realm's meta events (wamp.session.*, wamp.subscription.*, wamp.registration.*) as one change counter. */
export function useRealmChanges(session: Session): RealmChanges {
  const [version, setVersion] = useState(0);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    let poll: ReturnType<typeof setInterval> | undefined;
    let closed = false;
    const changed = () => {
      if (timer !== undefined) return;
      const wait = Math.max(SETTLE_MS, last + MAX_RELOAD_RATE_MS - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        setVersion((v) => v + 1);
      }, wait);
    };
    const subscriptions = ['wamp.session.', 'wamp.subscription.', 'wamp.registration.'].map((prefix) =>
      session.subscribe(prefix, changed, { match: 'prefix' }));
    Promise.all(subscriptions).catch((error: Error) => {
      if (closed) return;
      setProblem(`live updates unavailable (${error.message}); reloading every ${FALLBACK_POLL_MS / 1000} s`);
      poll = setInterval(() => setVersion((v) => v + 1), FALLBACK_POLL_MS);
    });
    return () => {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      for (const subscription of subscriptions) subscription.then((s) => s.unsubscribe(), () => undefined).catch(() => undefined);
    };
  }, [session]);
  return { version, problem };
}

export type Load<T> = { data: T | undefined; error: unknown; loading: boolean };

/**
 * Calls `load` when `key` changes and every `everyMs` (never more often than MIN_POLL_MS), keeping
 * the last good answer while the next one is under way.
 */
export function useLoad<T>(load: () => Promise<T>, key: unknown, everyMs?: number): Load<T> & { reload(): void } {
  const [state, setState] = useState<Load<T>>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    latest.current().then(
      (data) => current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      current = false;
    };
  }, [key, tick]);
  useEffect(() => {
    if (everyMs === undefined) return;
    const timer = setInterval(() => setTick((t) => t + 1), Math.max(MIN_POLL_MS, everyMs));
    return () => clearInterval(timer);
  }, [everyMs]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}
