/** Crossbar's pseudo transports, listeners that serve no WAMP: the Flash policy file and the TCP echo server. */

import type { ListenerConfig } from '../config/model.js';
import { FlashPolicyService } from '../transport/flash-policy.js';
import { StreamEchoService } from '../transport/stream-echo.js';
import { UnsupportedConfigError } from './auth-wiring.js';
import type { Listener } from './listener-types.js';
import { streamListener } from './rawsocket-listener.js';
import type { NodeContext } from './web/service-context.js';

/** A `flashpolicy` transport: Flash's socket policy file on a TCP port (TLS when configured). */
export function flashPolicyListener(config: ListenerConfig, context: NodeContext): Listener {
  return streamListener(config, context, {
    acceptorFor: (listener, node) => {
      if (!listener.flashPolicy) throw new UnsupportedConfigError(`transport "${listener.id}": the Flash policy is missing`);
      return new FlashPolicyService(listener.flashPolicy, node.metrics, { transport: listener.id });
    },
    // A changed policy is reported by the config diff as needing a restart.
    changed: () => false,
    schemes: ['tcp', 'tls'],
    service: 'flashpolicy',
  });
}

/** A `stream.testee` transport: a TCP echo server (TLS when configured) for tests and benchmarks. */
export function streamTesteeListener(config: ListenerConfig, context: NodeContext): Listener {
  return streamListener(config, context, {
    acceptorFor: (listener, node) => new StreamEchoService(node.metrics, { transport: listener.id }),
    // Nothing to change: it has no settings.
    changed: () => false,
    schemes: ['tcp', 'tls'],
    service: 'stream-testee',
  });
}
