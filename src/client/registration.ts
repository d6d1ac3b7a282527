import type { Endpoint, RegisterOptions } from './types.js';

export interface RegistrationOwner {
  unregister(registration: Registration): Promise<void>;
}

/**
 * One `register()` of the app. Like a subscription it outlives reconnects: the session registers
 * it again on each new connection, so `id` may change.
 */
export class Registration {
  /** The router's id for it on the current connection (0 while none). */
  id = 0;
  #active = true;

  readonly #owner: RegistrationOwner;

  constructor(
    owner: RegistrationOwner,
    readonly procedure: string,
    readonly options: RegisterOptions,
    readonly endpoint: Endpoint,
  ) {
    this.#owner = owner;
  }

  get isActive(): boolean {
    return this.#active;
  }

  unregister(): Promise<void> {
    return this.#active ? this.#owner.unregister(this) : Promise.resolve();
  }

  end(): void {
    this.#active = false;
  }
}
