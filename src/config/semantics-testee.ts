/**
 * Cross-checks of Crossbar's websocket-testee workers, whose echo servers Junction serves beside
 * its router: workers that open the same port (Crossbar's `"shared": true`) open it with the same
 * transport, since Junction opens it once (shared-ports.ts).
 */

import { problem, type ConfigProblem } from './problems.js';
import { isRecord, type Entry } from './semantics-realms.js';
import { endpointKey, transportDifference } from './shared-ports.js';

/**
 * The testee workers' transports, one per endpoint, each typed as the router transport it is served
 * as (`websocket.testee`), so that the listener checks treat it as normalize does.
 */
export function uniqueTesteeTransports(testees: readonly Entry[], problems: ConfigProblem[]): Entry[] {
  const byEndpoint = new Map<string, Entry>();
  const unique: Entry[] = [];
  for (const worker of testees) {
    if (!isRecord(worker.value.transport)) continue; // the schema reports it
    const transport: Entry = { value: { ...worker.value.transport, type: 'websocket.testee' }, path: [...worker.path, 'transport'] };
    const key = endpointKey(transport.value.endpoint);
    const first = key === undefined ? undefined : byEndpoint.get(key);
    if (first === undefined) {
      if (key !== undefined) byEndpoint.set(key, transport);
      unique.push(transport);
    } else if (transportDifference(first, transport) !== undefined) {
      problems.push(problem('config.testee.port_differs', [...transport.path, 'endpoint'], first.path));
    }
  }
  return unique;
}
