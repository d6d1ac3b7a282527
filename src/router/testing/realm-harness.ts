import { anonymousGate } from '../../auth/anonymous.js';
import { MessageType } from '../../protocol/codes.js';
import type { Dict } from '../../protocol/messages.js';
import { allRoles, flush, ManualClock, MemoryPeer } from '../../../test/support/router-harness.js';
import { allowEverything, type AuthGate } from '../hooks.js';
import type { RealmSettings } from '../realm.js';
import { Router } from '../router.js';

/**
 * Test support only. For router tests that need realm settings the shared RouterHarness does not expose (event
 * history, retained-topic limit, meta API off): a router with realm "realm1" built from them.
 */
export class RealmHarness {
  readonly router: Router;
  readonly clock = new ManualClock();
  constructor(settings: Partial<RealmSettings> = {}, private readonly gate: AuthGate = anonymousGate('anonymous')) {
    this.router = new Router({
      realms: [{ name: 'realm1', authorizer: allowEverything, uriCheck: 'loose', ...settings }],
      clock: this.clock,
      helloTimeoutMs: 0,
    });
  }

  /** Joins with HELLO.Details `details` (authid, authextra... for the gate) and the client roles. */
  async join(roles: Dict = allRoles, details: Dict = {}): Promise<{ peer: MemoryPeer; id: number; welcome: Dict }> {
    const peer = new MemoryPeer();
    peer.link = this.router.attach(peer, this.gate);
    peer.deliver({ type: MessageType.HELLO, realm: 'realm1', details: { ...details, roles } });
    await flush();
    const welcome = peer.take()[0];
    if (welcome?.type !== MessageType.WELCOME) throw new Error(`expected WELCOME, got ${JSON.stringify(welcome)}`);
    return { peer, id: welcome.session, welcome: welcome.details };
  }
}
