import { createServer } from 'node:net';
import { sleep } from './clock.mjs';

/** A port that was free a moment ago on 127.0.0.1 (for servers that must be told their port). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Retries `attempt()` until it resolves, at most `timeoutMs`; `giveUp()` returning an error ends early. */
export async function retryUntil(attempt, { timeoutMs, intervalMs = 100, what, giveUp = () => null }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    const reason = giveUp();
    if (reason) throw reason;
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms: ${lastError?.message ?? 'no attempt finished'}`);
}
