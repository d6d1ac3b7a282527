import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDocument, problemsOf, serviceAt, webDocument } from './test-support.js';

const ticket = { type: 'static', principals: { op: { ticket: 'op-ticket', role: 'backend' } } };

describe('the console path service', () => {
  it('loads with its realm, its sign-in methods and the JSON WebSocket defaults', () => {
    const config = loadDocument(webDocument({ console: { type: 'console', realm: 'realm1', auth: { ticket, anonymous: { type: 'static', role: 'anonymous' } } } }));
    const service = serviceAt(config.listeners[0], '/console', 'console');
    assert.equal(service.realm, 'realm1');
    assert.deepEqual(Object.keys(service.auth).sort(), ['anonymous', 'ticket']);
    assert.equal(service.websocket.maxMessageSize, 1048576);
  });

  it('needs "auth": nobody is let in by default', () => {
    assert.deepEqual(problemsOf(webDocument({ console: { type: 'console', realm: 'realm1' } })), [
      'workers[0].transports[0].paths.console.auth: missing: "auth", how operators sign in (ticket, wampcra or anonymous with a role)',
    ]);
  });

  it('offers ticket, wampcra and anonymous only', () => {
    const problems = problemsOf(webDocument({ console: { type: 'console', realm: 'realm1', auth: { cryptosign: { type: 'static', principals: {} } } } }));
    assert.ok(problems.some((problem) => problem.includes('a console path offers anonymous, ticket and wampcra sign-in only (not cryptosign)')), problems.join('\n'));
  });

  it('refuses a realm or a role that does not exist', () => {
    const noRealm = problemsOf(webDocument({ console: { type: 'console', realm: 'elsewhere', auth: { ticket } } }));
    assert.ok(noRealm.some((problem) => problem.startsWith('workers[0].transports[0].paths.console.realm:')), noRealm.join('\n'));
    const noRole = problemsOf(webDocument({
      console: { type: 'console', realm: 'realm1', auth: { wampcra: { type: 'static', users: { op: { secret: 's', role: 'operator' } } } } },
    }));
    assert.ok(noRole.some((problem) => problem.startsWith('workers[0].transports[0].paths.console.auth.wampcra.users.op.role:')), noRole.join('\n'));
  });
});
