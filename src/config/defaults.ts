/**
 * The configuration used when `junction start` gets no --config: realm "realm1" where anonymous
 * clients may do everything, and WebSocket at ws://127.0.0.1:8080/ws with every serializer.
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
            ws: { type: 'websocket', serializers: ['json', 'msgpack', 'cbor'] },
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
