/**
 * A node for the console's tests, from a config document as a user would write it: realm1 with an
 * "operator" role (everything), a read-only "viewer" role (may subscribe and call the listings,
 * nothing else) and "anonymous" for the AutobahnJS clients on /ws; the console at /console signs
 * operators in with a ticket and viewers with WAMP-CRA.
 */
import { parseConfig } from '../../src/config/load.js';
import type { JunctionConfig } from '../../src/config/model.js';

export const operator = { authid: 'op', ticket: 'op-ticket-5d1' };
export const viewer = { authid: 'watcher', secret: 'watcher-secret-9a' };

const everything = { call: true, register: true, publish: true, subscribe: true };
const nothing = { call: false, register: false, publish: false, subscribe: false };

export function consoleConfig(): JunctionConfig {
  return parseConfig({
    version: 2,
    workers: [{
      type: 'router',
      realms: [{
        name: 'realm1',
        roles: [
          { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: everything }] },
          { name: 'operator', permissions: [{ uri: '', match: 'prefix', allow: everything }] },
          {
            name: 'viewer',
            permissions: [
              { uri: '', match: 'prefix', allow: { ...nothing, subscribe: true } },
              { uri: 'junction.', match: 'prefix', allow: { ...nothing, call: true } },
              { uri: 'junction.config.get', match: 'exact', allow: nothing },
            ],
          },
        ],
      }],
      transports: [{
        type: 'web',
        endpoint: { type: 'tcp', interface: '127.0.0.1', port: 0 },
        paths: {
          ws: { type: 'websocket' },
          console: {
            type: 'console',
            realm: 'realm1',
            auth: {
              ticket: { type: 'static', principals: { [operator.authid]: { ticket: operator.ticket, role: 'operator' } } },
              wampcra: { type: 'static', users: { [viewer.authid]: { secret: viewer.secret, role: 'viewer' } } },
            },
          },
        },
      }],
    }],
  }, { source: 'console test', env: {} });
}
