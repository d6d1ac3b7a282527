import type { Router } from '../../router/router.js';
import type { NodeAuth } from '../auth-wiring.js';
import type { RunningComponent } from '../bridge/component-types.js';
import type { Listener } from '../listener-types.js';
import type { NodeContext } from '../web/service-context.js';
import type { GuestWorkers } from '../workers/guest-workers.js';
import type { RouterPython } from '../workers/router-python.js';

/** The running parts of a node that a reload changes in place. */
export interface NodeParts {
  router: Router;
  auth: NodeAuth;
  /** Its `config` is what new parts are built from: the reload sets it. */
  context: NodeContext;
  listeners: Map<string, Listener>;
  components: Map<string, RunningComponent>;
  /** Bound ports by listener id. */
  ports: Map<string, number>;
  guests: GuestWorkers;
  /** The router workers' Python components: guests too, reaching the router through its private entry. */
  routerPython: RouterPython;
}

/** What each applier records as it goes. */
export interface ReloadLog {
  applied(line: string): void;
  notApplied(line: string): void;
}
