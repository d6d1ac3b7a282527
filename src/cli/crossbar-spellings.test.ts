import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { logLevels } from '../node/logger.js';
import { crossbarLogLevels, personalityProblem, readCrossbarStart, withoutGlobalOptions, withoutPersonalityCommand } from './crossbar-spellings.js';

describe("Crossbar's global options", () => {
  it('--personality standalone, community or edge and the debug flags are taken before or after the command, in either form', () => {
    assert.deepEqual(withoutGlobalOptions(['--personality=community', 'start', '--cbdir=./router/failure1/.crossbar']), ['start', '--cbdir=./router/failure1/.crossbar']);
    assert.deepEqual(withoutGlobalOptions(['start', '--personality', 'standalone', '--config', 'c.json']), ['start', '--config', 'c.json']);
    assert.deepEqual(withoutGlobalOptions(['--debug-lifecycle', 'start', '--debug-programflow', '--personality=edge']), ['start']);
  });

  it("refuses the management personalities, naming the reason, and a name Crossbar never had", () => {
    for (const name of ['fabric', 'fabriccenter', 'master', 'network', 'xbrnetwork']) {
      assert.match(String(withoutGlobalOptions([`--personality=${name}`, 'start'])), new RegExp(`^the node personality "${name}" is refused: .*Junction runs a router node only`));
    }
    assert.equal(withoutGlobalOptions(['start', '--personality', 'communty']), '--personality must be standalone, community, edge (the router node Junction runs), got "communty"');
    assert.equal(withoutGlobalOptions(['start', '--personality']), "option '--personality <value>' argument missing");
  });

  it("Crossbar's newer first word (crossbar edge start) names the node Junction runs; master and network are refused", () => {
    assert.deepEqual(withoutPersonalityCommand(['edge', 'start', '--config=config-rtrpxy.json']), ['start', '--config=config-rtrpxy.json']);
    assert.deepEqual(withoutPersonalityCommand(['standalone', 'check']), ['check']);
    assert.deepEqual(withoutPersonalityCommand(['start']), ['start']);
    assert.equal(withoutPersonalityCommand(['master', 'start']), personalityProblem('master'));
    assert.match(String(withoutPersonalityCommand(['network', 'start'])), /^the node personality "network" is refused/);
  });
});

describe("Crossbar's start options", () => {
  const folder = '/srv/app/.crossbar';

  it("--loglevel maps each of Crossbar's six names to a level of Junction's (none: silent)", () => {
    assert.deepEqual(Object.keys(crossbarLogLevels), ['none', 'error', 'warn', 'info', 'debug', 'trace']);
    for (const [name, level] of Object.entries(crossbarLogLevels)) {
      assert.ok((logLevels as readonly string[]).includes(level));
      assert.deepEqual(readCrossbarStart({ loglevel: name }, folder), { logLevel: level });
    }
    assert.equal((readCrossbarStart({ loglevel: 'none' }, folder) as { logLevel: string }).logLevel, 'silent');
    assert.equal(readCrossbarStart({ loglevel: 'verbose' }, folder), '--loglevel must be one of none, error, warn, info, debug, trace (Crossbar\'s names), got "verbose"');
  });

  it('--logtofile writes node.log in the node folder, or in --logdir (inside the node folder unless absolute); --logdir alone writes no file, as Crossbar', () => {
    assert.deepEqual(readCrossbarStart({ logtofile: true }, folder), { logFile: join(folder, 'node.log') });
    assert.deepEqual(readCrossbarStart({ logtofile: true, logdir: 'logs' }, folder), { logFile: join(folder, 'logs', 'node.log') });
    assert.deepEqual(readCrossbarStart({ logtofile: true, logdir: '/var/log/node' }, folder), { logFile: '/var/log/node/node.log' });
    assert.deepEqual(readCrossbarStart({ logtofile: true }, 'relative'), { logFile: resolve('relative', 'node.log') });
    assert.deepEqual(readCrossbarStart({ logdir: 'logs' }, folder), {});
    assert.equal(readCrossbarStart({ logdir: ' ' }, folder), '--logdir must not be empty');
  });

  it('--shutdownafter takes whole seconds (0: never, as Crossbar)', () => {
    assert.deepEqual(readCrossbarStart({ shutdownafter: '120' }, folder), { shutdownAfterMs: 120_000 });
    assert.deepEqual(readCrossbarStart({ shutdownafter: '0' }, folder), {});
    for (const bad of ['-1', '1.5', 'ten', '']) assert.equal(readCrossbarStart({ shutdownafter: bad }, folder), `--shutdownafter must be a whole number of seconds, got "${bad}"`);
  });

  it("--color and --logformat take Crossbar's values and change nothing; others are refused; --vmprof is refused with the reason", () => {
    assert.deepEqual(readCrossbarStart({ color: 'false', logformat: 'syslogd' }, folder), {});
    assert.equal(readCrossbarStart({ color: 'yes' }, folder), '--color must be one of true, false, auto, got "yes"');
    assert.equal(readCrossbarStart({ logformat: 'json' }, folder), '--logformat must be one of syslogd, standard, none, got "json"');
    assert.match(String(readCrossbarStart({ vmprof: true }, folder)), /^--vmprof is refused: it profiles Crossbar's Python processes/);
  });
});

describe("Crossbar's spellings and names every object has", () => {
  it('refuses --loglevel and --personality values such as "constructor" or "toString" plainly, as any unknown name', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      assert.match(String(readCrossbarStart({ loglevel: name }, '.')), /^--loglevel must be one of none, error, warn, info, debug, trace/, name);
      assert.match(String(personalityProblem(name)), /^--personality must be standalone, community, edge /, name);
    }
  });
});
