import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { maskedMark } from '../../src/config/mask-secrets.js';
import type { ProcessComponentConfig, StdioComponentConfig } from '../../src/config/model.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { openAutobahn } from '../support/autobahn.js';
import { projectRoot } from '../support/cli.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/**
 * A process or stdio program that echoes its arguments and environment on stderr (an unknown
 * option, a settings dump) must not put the secrets the configuration gives it into the log:
 * each is masked in the logged line, and the rest of the line is kept.
 */

const programs = join(projectRoot, 'test/fixtures/programs');
/** The secret option values and the secret-named variable values the program is given. */
const secrets = ['cc-xyz-1', 'tok-xyz-2', 'db-pw-xyz-3'];
const command = ['/bin/sh', join(programs, 'tell-stderr.sh'), '--credential=cc-xyz-1', '--token', 'tok-xyz-2', '--verbose'];
const env = { DB_PASSWORD: 'db-pw-xyz-3', APP_MODE: 'test-mode' };
/** What the program echoes that is no secret, and must stay readable. */
const kept = ['--credential=', '--token', '--verbose', 'APP_MODE=test-mode', 'DB_PASSWORD=', maskedMark];

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function assertMasked(text: string): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  for (const part of kept) assert.ok(text.includes(part), `${part} missing: ${text}`);
}

/** A stdio component running `command` with `env`. */
function stdioComponent(command: string[], env: Record<string, string>): StdioComponentConfig {
  return {
    kind: 'stdio', id: 'teller', realm: 'realm1', role: 'anonymous', command, cwd: programs, env,
    maxLineBytes: 65_536, queueLimit: 100, restart: { initialDelayMs: 1_000, maxDelayMs: 1_000 },
  };
}

/** A process component answering proc.teller by running `command` with `env`. */
function processComponent(command: string[], env: Record<string, string>): ProcessComponentConfig {
  return {
    kind: 'process', id: 'teller', realm: 'realm1', procedure: 'proc.teller', command, cwd: programs, env,
    timeoutMs: 10_000, concurrency: 1, queueLimit: 10, maxOutputBytes: 65_536,
  };
}

/** A node running `component` (stopped after the test): its WebSocket URL and its captured log. */
async function nodeWith(component: StdioComponentConfig | ProcessComponentConfig): Promise<{ url: string; log: CaptureLog }> {
  const config = testConfig();
  config.components = [component];
  const log = new CaptureLog();
  const node = await startTestNode(config, { log });
  cleanups.push(() => node.stop());
  return { url: node.url, log };
}

/** The stderr lines a stdio program's node logged. */
function stderrLines(log: CaptureLog): string[] {
  return log.lines.filter((line) => line.message === 'program stderr').map((line) => String(line.fields.stderr));
}

/** The WAMP error a call of proc.teller on `url` fails with. */
async function failedCall(url: string): Promise<{ error: string; kwargs: { stderr: string } }> {
  const client = await openAutobahn(url);
  cleanups.push(() => client.close());
  return client.session.call('proc.teller').then(
    () => assert.fail('the program fails'),
    (error: { error: string; kwargs: { stderr: string } }) => error,
  );
}

describe("a program's stderr in the log", () => {
  it('stdio: each logged stderr line has the secrets the program was given masked and the rest kept', async () => {
    const { log } = await nodeWith(stdioComponent(command, env));
    await waitFor(() => stderrLines(log).some((line) => line.startsWith('DB_PASSWORD=')) && stderrLines(log).some((line) => line.startsWith('APP_MODE=')), 'the program\'s environment in the log');
    assert.ok(stderrLines(log).includes(`arguments: --credential=${maskedMark} --token ${maskedMark} --verbose`), stderrLines(log).join('\n'));
    assertMasked(log.text());
  });

  it("process: the logged failure and the caller's error carry the stderr with the secrets masked", async () => {
    const { url, log } = await nodeWith(processComponent(command, env));
    const failure = await failedCall(url);
    assert.equal(failure.error, 'junction.error.process.failed');
    assertMasked(failure.kwargs.stderr);
    const logged = log.find('program run failed');
    assert.ok(logged, log.text());
    assertMasked(JSON.stringify(logged));
    assertMasked(log.text());
  });

  /** A key of two lines, as a PEM key is given in an environment variable. */
  const key = 'AAAA-first-line-xyz\nBBBB-second-line-xyz';

  it('stdio: a secret of several lines, logged line by line, has each line masked', async () => {
    const { log } = await nodeWith(stdioComponent([process.execPath, '-e', 'console.error(`key:\\n${process.env.PRIVATE_KEY}\\nend`); setInterval(() => {}, 1000)'], { PRIVATE_KEY: key }));
    await waitFor(() => stderrLines(log).includes('end'), 'the program\'s stderr in the log');
    assert.deepEqual(stderrLines(log), ['key:', maskedMark, maskedMark, 'end']);
  });

  it('process: a secret cut in half by the 4 KiB the error keeps of stderr is masked whole', async () => {
    const secret = 'db-pw-xyz-3';
    // The first 4 characters of the secret fall before the last 4096 bytes of stderr.
    const after = '.'.repeat(4096 - (secret.length - 4));
    const { url, log } = await nodeWith(processComponent(
      [process.execPath, '-e', `process.stderr.write("x".repeat(100) + "\\n" + process.env.DB_PASSWORD + ".".repeat(${after.length}), () => process.exit(3))`],
      { DB_PASSWORD: secret }));
    const failure = await failedCall(url);
    assert.equal(failure.kwargs.stderr, `${maskedMark}${after}`);
    assert.ok(!log.text().includes(secret.slice(4)), log.text());
  });

  it('stdio: a stdout line that is no command is refused in the log without a piece of a secret it holds', async () => {
    const secret = 'db-pw-xyz-3';
    const { log } = await nodeWith(stdioComponent([process.execPath, '-e', 'console.log(process.env.DB_PASSWORD); setInterval(() => {}, 1000)'], { DB_PASSWORD: secret }));
    await waitFor(() => log.lines.some((line) => line.message.startsWith('the program wrote a line that is not a command')), 'the refusal in the log');
    assert.match(log.text(), /not JSON: .*\\"\*{5}\\"/, 'the parser quotes the line with the secret masked');
    for (let start = 0; start + 4 <= secret.length; start += 1) assert.ok(!log.text().includes(secret.slice(start, start + 4)), log.text());
  });
});
