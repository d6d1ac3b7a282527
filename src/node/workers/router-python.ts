/**
 * A router worker's Python components (`class`, `function`). Crossbar runs them inside the router
 * worker (crossbar/worker/router.py, start_router_component: joined to its realm with the
 * component's role, default "anonymous", and a random authid). Junction runs them with the
 * container launcher (python-container.ts), one process per router worker, supervised as a guest
 * (GuestWorkers: logged, started again by a reload when its components changed or it is not
 * running, not when it exits). They reach the router through a private entry: a RawSocket
 * listener on a Unix socket in a folder of its own that only this user can enter (0700, removed
 * at stop), whose one sign-in is WAMP-Ticket with a random ticket made for each component and
 * handed to the launcher on stdin. It gives each exactly its configured realm and role.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { privateTicket, type PrivatePrincipal } from '../../auth/private-ticket.js';
import { allCodecs } from '../../codec/index.js';
import type { GuestConfig, RouterPythonComponent, RouterPythonConfig } from '../../config/model.js';
import { rawSocketDefaults } from '../../config/schema-rawsocket.js';
import { RawSocketService } from '../../transport/rawsocket/rawsocket-service.js';
import { makeSocketFolder } from '../socket-folder.js';
import type { NodeContext } from '../web/service-context.js';
import type { Peer } from '../../router/peer.js';

/** The largest message RawSocket can announce: Crossbar hands an in-router component's messages over without a size limit. */
const entryMaxMessageSize = 16 * 1024 * 1024;

/** The sign-in one component holds for the node's lifetime (a reload that keeps the component keeps it). */
interface SignIn extends PrivatePrincipal {
  authid: string;
}

interface OpenEntry {
  folder: string;
  socketPath: string;
  server: Server;
  service: RawSocketService;
}

/** Whether a guest is a router worker's Python process (guests() made it), not a guest or container worker of the file. */
export function runsRouterComponents(guest: GuestConfig): boolean {
  return guest.python?.router === true;
}

export class RouterPython {
  private entry: Promise<OpenEntry> | undefined;
  /** By component (its worker and its block): the same component keeps its sign-in, so an unchanged process is not restarted. */
  private signIns = new Map<string, SignIn>();
  private readonly byAuthid = new Map<string, SignIn>();
  /** The connections through the private entry: the components' sessions are on these. */
  private readonly peers = new WeakSet<Peer>();

  constructor(private readonly context: Pick<NodeContext, 'router' | 'auth' | 'log' | 'metrics' | 'config'>) {}

  /**
   * The guests that run these router workers' components, their sign-ins made (the entry opens
   * the first time); the sign-ins of components no longer among them are forgotten.
   */
  async guests(workers: readonly RouterPythonConfig[]): Promise<GuestConfig[]> {
    if (workers.length === 0 && this.entry === undefined) return [];
    const { socketPath } = await (this.entry ??= this.open());
    const kept = new Map<string, SignIn>();
    const guests = workers.map((worker): GuestConfig => ({
      ...worker.guest,
      python: {
        router: true,
        interpreterGiven: worker.interpreterGiven,
        pythonpath: worker.pythonpath,
        components: worker.components.map((component) => {
          const key = JSON.stringify([worker.guest.id, component]);
          const signIn = this.signIns.get(key) ?? newSignIn(component);
          kept.set(key, signIn);
          const session = component.type === 'class' ? { type: component.type, classname: component.classname } : { type: component.type, callbacks: component.callbacks };
          return {
            ...session, id: component.id, realm: component.realm, extra: component.extra,
            transport: { type: 'rawsocket', endpoint: { type: 'unix', path: socketPath }, serializer: 'cbor' },
            signIn: { authid: signIn.authid, ticket: signIn.ticket },
          };
        }),
      },
    }));
    this.signIns = kept;
    this.byAuthid.clear();
    for (const signIn of kept.values()) this.byAuthid.set(signIn.authid, signIn);
    return guests;
  }

  /** Closes the entry (its components' sessions end) and removes its folder; call once their processes are stopped. */
  /** Whether a session is a router Python component's: the node stops those after its clients have left. */
  carries(session: { readonly peer: Peer }): boolean {
    return this.peers.has(session.peer);
  }

  async close(): Promise<void> {
    const entry = await this.entry?.catch(() => undefined);
    this.entry = undefined;
    if (entry === undefined) return;
    await new Promise<void>((resolve) => entry.server.close(() => resolve()));
    await entry.service.close();
    await rm(entry.folder, { recursive: true, force: true });
  }

  private async open(): Promise<OpenEntry> {
    // mkdtemp makes the folder with mode 0700: no other user can reach the socket in it.
    const folder = await makeSocketFolder('components');
    const socketPath = join(folder, 'router.sock');
    const { router, auth, log, metrics, config } = this.context;
    const gate = auth.privateGate(privateTicket((authid) => this.byAuthid.get(authid)), 'router components');
    const service = new RawSocketService(
      (peer, helloTimeoutMs) => {
        this.peers.add(peer);
        return router.attach(peer, gate, { helloTimeoutMs, sessionSeries: true, exemptFromLimits: true });
      },
      {
        ...rawSocketDefaults, maxMessageSize: entryMaxMessageSize, maxPerAddress: 0,
        codecs: allCodecs, maxNestingDepth: config.maxNestingDepth,
      },
      log.child({ part: 'router components' }),
      metrics,
    );
    const server = createServer((socket) => service.accept(socket, `unix:${socketPath}`));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => resolve());
      });
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
    return { folder, socketPath, server, service };
  }
}

/** Crossbar gives a router component a random authid (a UUID); the ticket is 256 random bits. */
function newSignIn(component: RouterPythonComponent): SignIn {
  return { authid: randomUUID(), ticket: randomBytes(32).toString('base64url'), realm: component.realm, role: component.role };
}
