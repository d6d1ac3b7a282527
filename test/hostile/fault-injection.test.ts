import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { MessageType } from '../../src/protocol/codes.js';
import { RawClient } from '../support/raw-client.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { addRawSocketListener } from '../transport/rawsocket-support.js';
import { RawSocketClient } from '../transport/rawsocket-client.js';

/**
 * Fault injection on the call path: callees and callers whose sockets are destroyed in the middle
 * of many concurrent calls. Every caller still connected gets an answer for every call (an ERROR
 * when its callee vanished), callees learn of callers that vanished (INTERRUPT), and when the
 * dust settles the dealer holds no pending call and no entry for any session that is gone.
 */

const config = testConfig();
addRawSocketListener(config, 'raw');
const node = await startTestNode(config);
after(() => node.stop());
const rawPort = node.ports.get('raw')!;
const realm = node.router.realm('realm1')!;
const dealer = realm.dealer;

/** Waits of this test are bounds on "promptly" that fail a hung test; they assert no speed. */
const PROMPTLY_MS = 5_000;

const calleeRoles = { callee: { features: { call_canceling: true, progressive_call_results: true } }, caller: {} };
const callerRoles = { caller: { features: { call_canceling: true } } };

interface Wamp {
  readonly messages: unknown[][];
  send(message: unknown[]): void;
  next(match: (message: unknown[]) => boolean, timeoutMs?: number): Promise<unknown[]>;
  /** Destroys the socket at once: no close frame, no GOODBYE. */
  kill(): void;
}

const open: Wamp[] = [];

async function webSocketSession(roles: object): Promise<Wamp> {
  const client = await RawClient.open(node.url);
  client.send([MessageType.HELLO, 'realm1', { roles }]);
  assert.equal((await client.next())[0], MessageType.WELCOME);
  const session: Wamp = {
    messages: client.messages,
    send: (message) => client.send(message),
    next: (match, timeoutMs) => client.next(match, timeoutMs),
    kill: () => (client.ws as unknown as { _socket: { destroy(): void } })._socket.destroy(),
  };
  open.push(session);
  return session;
}

async function rawSocketSession(roles: object): Promise<Wamp> {
  const client = await RawSocketClient.open({ port: rawPort });
  assert.equal((await client.hello('realm1', { roles }))[0], MessageType.WELCOME);
  const session: Wamp = {
    messages: client.messages,
    send: (message) => client.send(message),
    next: (match, timeoutMs) => client.next(match, timeoutMs),
    kill: () => client.socket.destroy(),
  };
  open.push(session);
  return session;
}

afterEach(async () => {
  for (const session of open.splice(0)) session.kill();
  await waitFor(() => node.router.sessionCount === 0, 'every test session to be gone');
  assert.equal(dealer.callsInFlight(), 0, 'no call in flight');
  assert.deepEqual(dealer.pendingFootprint(), { callees: 0, callers: 0, abandoned: 0 }, 'no pending-call entry outlives its sessions');
});

/** Registers `procedure` (shared, round robin) and resolves with the registration ID. */
async function register(callee: Wamp, request: number, procedure: string): Promise<number> {
  callee.send([MessageType.REGISTER, request, { invoke: 'roundrobin' }, procedure]);
  const registered = await callee.next((m) => m[0] === MessageType.REGISTERED && m[1] === request);
  return registered[2] as number;
}

const invocations = (callee: Wamp): unknown[][] => callee.messages.filter((m) => m[0] === MessageType.INVOCATION);

/** Every answer (RESULT or ERROR) a caller got, by its request ID. */
function answersOf(caller: Wamp): Map<number, unknown[]> {
  const answers = new Map<number, unknown[]>();
  for (const m of caller.messages) {
    if (m[0] === MessageType.RESULT) answers.set(m[1] as number, m);
    if (m[0] === MessageType.ERROR && m[1] === MessageType.CALL) answers.set(m[2] as number, m);
  }
  return answers;
}

describe('callees killed in the middle of many concurrent calls', () => {
  it('every caller gets ERROR wamp.error.canceled for every call, and nothing is left pending', async () => {
    const callees = [await webSocketSession(calleeRoles), await webSocketSession(calleeRoles), await rawSocketSession(calleeRoles)];
    for (const [i, callee] of callees.entries()) await register(callee, i + 1, 'fault.held');
    const callers = await Promise.all(Array.from({ length: 6 }, () => webSocketSession(callerRoles)));
    const perCaller = 40;
    for (const caller of callers) for (let r = 1; r <= perCaller; r++) caller.send([MessageType.CALL, r, {}, 'fault.held', [r]]);
    const total = callers.length * perCaller;
    await waitFor(() => callees.reduce((n, callee) => n + invocations(callee).length, 0) === total, `${total} invocations held by the callees`, PROMPTLY_MS);
    assert.equal(dealer.callsInFlight(), total);

    for (const callee of callees) callee.kill();

    await waitFor(() => callers.every((caller) => answersOf(caller).size === perCaller), 'an answer to every call', PROMPTLY_MS);
    for (const caller of callers) {
      for (const [request, answer] of answersOf(caller)) {
        assert.equal(answer[0], MessageType.ERROR, `call ${request}: ${JSON.stringify(answer)}`);
        assert.equal(answer[4], 'wamp.error.canceled');
        assert.match(String((answer[5] as unknown[])[0]), /callee left before answering/);
      }
    }
    assert.equal(dealer.callsInFlight(), 0);
    // The procedure went with its callees: a new call is refused at once, not held.
    callers[0]!.send([MessageType.CALL, 1000, {}, 'fault.held']);
    assert.equal((await callers[0]!.next((m) => m[2] === 1000))[4], 'wamp.error.no_such_procedure');
  });

  it('a callee killed while it streams progressive results: the caller gets the progress so far, then ERROR', async () => {
    const callee = await webSocketSession(calleeRoles);
    await register(callee, 1, 'fault.stream');
    const caller = await webSocketSession({ caller: { features: { progressive_call_results: true } } });
    caller.send([MessageType.CALL, 7, { receive_progress: true }, 'fault.stream']);
    const invocation = await callee.next((m) => m[0] === MessageType.INVOCATION);
    callee.send([MessageType.YIELD, invocation[1], { progress: true }, ['chunk 1']]);
    assert.deepEqual((await caller.next((m) => m[0] === MessageType.RESULT))[3], ['chunk 1']);
    callee.kill();
    const error = await caller.next((m) => m[0] === MessageType.ERROR, PROMPTLY_MS);
    assert.deepEqual([error[2], error[4]], [7, 'wamp.error.canceled']);
  });
});

describe('callers killed in the middle of many concurrent calls', () => {
  it('their callees get INTERRUPT for every call, late answers are ignored, and other callers are served', async () => {
    const callee = await webSocketSession(calleeRoles);
    await register(callee, 1, 'fault.held');
    const doomed = await Promise.all(Array.from({ length: 4 }, () => webSocketSession(callerRoles)));
    const survivor = await rawSocketSession(callerRoles);
    const perCaller = 30;
    for (const caller of [...doomed, survivor]) for (let r = 1; r <= perCaller; r++) caller.send([MessageType.CALL, r, {}, 'fault.held', [r]]);
    const total = (doomed.length + 1) * perCaller;
    await waitFor(() => invocations(callee).length === total, `${total} invocations`, PROMPTLY_MS);

    for (const caller of doomed) caller.kill();

    const doomedCount = doomed.length * perCaller;
    await waitFor(() => callee.messages.filter((m) => m[0] === MessageType.INTERRUPT).length === doomedCount,
      `${doomedCount} INTERRUPTs`, PROMPTLY_MS);
    assert.equal(dealer.callsInFlight(), perCaller, "only the survivor's calls are in flight");
    // The callee answers everything: the late answers to the vanished callers go nowhere; the survivor gets its own.
    for (const invocation of invocations(callee)) {
      callee.send([MessageType.YIELD, invocation[1], {}, (invocation[4] as unknown[]) ?? []]);
    }
    await waitFor(() => answersOf(survivor).size === perCaller, 'the survivor\'s results', PROMPTLY_MS);
    for (const [request, answer] of answersOf(survivor)) assert.deepEqual([answer[0], answer[3]], [MessageType.RESULT, [request]]);
    assert.equal(dealer.callsInFlight(), 0);
  });
});

describe('callers and callees killed at the same time', () => {
  it('leaves no call pending and every surviving caller answered', async () => {
    const callees = await Promise.all(Array.from({ length: 4 }, () => webSocketSession(calleeRoles)));
    for (const [i, callee] of callees.entries()) await register(callee, i + 1, 'fault.mixed');
    const callers = await Promise.all(Array.from({ length: 6 }, () => webSocketSession(callerRoles)));
    const perCaller = 20;
    for (const caller of callers) for (let r = 1; r <= perCaller; r++) caller.send([MessageType.CALL, r, {}, 'fault.mixed', [r]]);
    const total = callers.length * perCaller;
    await waitFor(() => callees.reduce((n, callee) => n + invocations(callee).length, 0) === total, `${total} invocations`, PROMPTLY_MS);

    // Half the callees answer everything; then half the callees and half the callers die in the same turn.
    for (const callee of callees.slice(0, 2)) {
      for (const invocation of invocations(callee)) callee.send([MessageType.YIELD, invocation[1], {}, ['done']]);
    }
    for (const callee of callees.slice(2)) callee.kill();
    for (const caller of callers.slice(3)) caller.kill();

    const survivors = callers.slice(0, 3);
    await waitFor(() => survivors.every((caller) => answersOf(caller).size === perCaller), 'an answer to every surviving call', PROMPTLY_MS);
    for (const caller of survivors) {
      for (const answer of answersOf(caller).values()) {
        assert.ok(answer[0] === MessageType.RESULT || answer[4] === 'wamp.error.canceled', JSON.stringify(answer));
      }
    }
    await waitFor(() => dealer.callsInFlight() === 0, 'no call in flight', PROMPTLY_MS);
  });
});
