import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embeddedDefaultDocument } from '../config/defaults.js';
import { commandNames, main } from './main.js';

async function capture(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
  return { code, stdout, stderr };
}

describe('junction <command> --help', () => {
  for (const name of commandNames) {
    for (const flag of ['--help', '-h']) {
      it(`${name} ${flag} prints that command's usage and does nothing else`, async () => {
        const { code, stdout, stderr } = await capture([name, flag]);
        assert.equal(code, 0);
        assert.equal(stderr, '');
        assert.match(stdout, new RegExp(`^Usage: junction ${name}\\b`));
      });
    }
  }

  it('start --help names every path the embedded default serves', async () => {
    const { stdout } = await capture(['start', '--help']);
    const help = stdout.replace(/\s+/g, ' ');
    for (const path of Object.keys(embeddedDefaultDocument.workers[0].transports[0].paths)) assert.match(help, new RegExp(`/${path}\\b`), path);
  });

  it('version refuses an unknown option instead of printing the version', async () => {
    const { code, stdout, stderr } = await capture(['version', '--bogus']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /^junction version: .*--bogus[\s\S]*Usage: junction version/);
  });

  it('start names the option a misspelt one most likely is, and the option a bare file name needs (exit 2, nothing started)', async () => {
    const misspelt = await capture(['start', '--prot', '8081']);
    assert.equal(misspelt.code, 2);
    assert.match(misspelt.stderr, /^junction start: Unknown option '--prot' \(did you mean --port\?\)\n\nUsage: junction start/);
    const bare = await capture(['start', 'config.json']);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /^junction start: Unexpected argument 'config\.json'.* \(did you mean --config config\.json\?\)\n/);
  });

  it('an unknown command names the command it most likely is, stop and status included (exit 2)', async () => {
    for (const [typed, meant] of [['stpo', 'stop'], ['stauts', 'status'], ['strat', 'start']]) {
      const { code, stderr } = await capture([typed!]);
      assert.equal(code, 2);
      assert.match(stderr, new RegExp(`^junction: unknown command "${typed}" \\(did you mean "${meant}"\\?\\)\n`));
    }
    assert.match((await capture(['launch-rockets'])).stderr, /^junction: unknown command "launch-rockets"\n/);
  });

  it('a name every object has ("constructor", "toString") is an unknown command like any other (exit 2)', async () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      const { code, stderr } = await capture([name]);
      assert.equal(code, 2, name);
      assert.match(stderr, new RegExp(`^junction: unknown command "${name}"`), name);
    }
  });

  it('start given a bare number: --port, or through npm start (which took --port for itself) the words that pass it on', async () => {
    const before = process.env.npm_lifecycle_event;
    try {
      delete process.env.npm_lifecycle_event;
      assert.match((await capture(['start', '8081'])).stderr, /^junction start: Unexpected argument '8081'.* \(did you mean --port 8081\?\)\n/);
      process.env.npm_lifecycle_event = 'start';
      const viaNpm = await capture(['start', '8081']);
      assert.equal(viaNpm.code, 2);
      assert.match(viaNpm.stderr, /^junction start: Unexpected argument '8081'.* \(npm keeps the options before "--" for itself: npm start -- --port 8081\)\n/);
    } finally {
      if (before === undefined) delete process.env.npm_lifecycle_event;
      else process.env.npm_lifecycle_event = before;
    }
  });
});

describe("junction run with Crossbar's command lines", () => {
  it("takes Crossbar's global options and first word before the command: the command's own usage answers", async () => {
    for (const argv of [['--personality=community', 'start', '--help'], ['--debug-lifecycle', 'stop', '--personality', 'standalone', '--help'], ['edge', 'start', '-h'], ['standalone', 'check', '--help']]) {
      const { code, stdout, stderr } = await capture(argv);
      assert.equal(code, 0, `${argv.join(' ')}: ${stderr}`);
      assert.match(stdout, new RegExp(`^Usage: junction ${argv.find((word) => ['start', 'stop', 'check'].includes(word))}\\b`));
    }
  });

  it('refuses a management personality, as an option or as the first word, before anything runs (exit 2)', async () => {
    const option = await capture(['start', '--personality=fabric']);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /^junction: the node personality "fabric" is refused: .*Junction runs a router node only/);
    const word = await capture(['master', 'start']);
    assert.equal(word.code, 2);
    assert.match(word.stderr, /^junction: the node personality "master" is refused/);
  });

  it("refuses Crossbar's commands Junction has no counterpart for, saying why, not as a misspelling", async () => {
    for (const name of ['keygen', 'shell', 'quickstart', 'legal']) {
      const { code, stderr } = await capture([name]);
      assert.equal(code, 2);
      assert.match(stderr, new RegExp(`^junction: Crossbar's command "${name}" is not Junction's: \\S`));
    }
  });

  it("start refuses a --loglevel Crossbar does not have, and --log-level with --loglevel (exit 2)", async () => {
    const bad = await capture(['start', '--loglevel=verbose']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^junction start: --loglevel must be one of none, error, warn, info, debug, trace/);
    const both = await capture(['start', '--log-level', 'info', '--loglevel', 'debug']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^junction start: give --log-level or Crossbar's --loglevel, not both\n/);
  });
});
