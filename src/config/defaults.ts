/**
 * The configuration used when `junction start` gets no --config: realm "realm1" (loose URIs, so
 * "some-channel" works) where anonymous clients may do everything, and on 127.0.0.1:8080 every
 * kind of entry a developer wants to try: WebSocket at /ws with every serializer, the HTTP
 * publisher (/publish) and caller (/call), long-poll (/lp), Server-Sent Events (/sse), node info
 * (/info), health (/health), metrics (/metrics) and the web console (/console, where / leads),
 * open to anonymous sign-in. Loopback only: it is a development default.
 * Written in the file format and passed through the same loader as any file, so it cannot drift
 * from what a user could write.
 */

import { parseConfig } from './load.js';
import type { JunctionConfig } from './model.js';

export const embeddedDefaultSource = '<embedded default>';

export const embeddedDefaultDocument = {
  version: 2,
  workers: [
    {
      type: 'router',
      realms: [
        {
          name: 'realm1',
          options: { uri_check: 'loose' },
          roles: [
            {
              name: 'anonymous',
              permissions: [
                {
                  uri: '',
                  match: 'prefix',
                  allow: { call: true, register: true, publish: true, subscribe: true },
                  disclose: { caller: false, publisher: false },
                  cache: true,
                },
              ],
            },
          ],
        },
      ],
      transports: [
        {
          type: 'web',
          endpoint: { type: 'tcp', interface: '127.0.0.1', port: 8080 },
          paths: {
            // A browser pointed at the port lands on the console rather than a 404.
            '/': { type: 'redirect', url: '/console' },
            ws: { type: 'websocket', serializers: ['json', 'msgpack', 'cbor'] },
            publish: { type: 'publisher', realm: 'realm1', role: 'anonymous' },
            call: { type: 'caller', realm: 'realm1', role: 'anonymous' },
            lp: { type: 'longpoll' },
            sse: { type: 'sse', realm: 'realm1' },
            info: { type: 'nodeinfo' },
            health: { type: 'health' },
            metrics: { type: 'metrics' },
            console: { type: 'console', realm: 'realm1', auth: { anonymous: { type: 'static', role: 'anonymous' } } },
          },
        },
      ],
    },
  ],
} as const;

export function embeddedDefaultConfig(): JunctionConfig {
  // No environment: the default must not change with whatever variables happen to be set.
  return parseConfig(embeddedDefaultDocument, { source: embeddedDefaultSource, env: {} });
}
