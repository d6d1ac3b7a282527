import type { Call, Cancel } from '../../protocol/messages.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import type { ClaimAnswer } from '../backplane.js';
import type { InvocationPolicy } from '../options.js';
import type { Session } from '../session.js';
import type { Registration } from './registration.js';

/**
 * What a dealer asks of the cluster when its router is one node of several: declared beside the
 * dealer, which stays below the realm; RemoteCalls (backplane-calls.ts) serves it and says how.
 */
export interface ClusterCalls {
  claim(procedure: string, match: MatchPolicy, invoke: InvocationPolicy): Promise<ClaimAnswer>;
  release(procedure: string, match: MatchPolicy): Promise<void>;
  forward(caller: Session, message: Call, disclose: boolean, local?: Registration): boolean;
  forwardShared(caller: Session, message: Call, disclose: boolean, registration: Registration): boolean;
  summarize(registration: Registration): void;
  continueCall(caller: Session, message: Call): boolean;
  cancel(caller: Session, message: Cancel): void;
  endedQuietly(caller: Session, request: number): void;
  callsOf(caller: Session): number;
  leave(session: Session): void;
}
