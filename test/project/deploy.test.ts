import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { starterConfigYaml } from '../../src/config/starter.js';
import { freePort, projectRoot, RunningJunction, runJunction } from '../support/cli.js';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';

/**
 * The service recipes of examples/deploy (issue 13), tested as far as a machine without a
 * container engine allows: the systemd unit by systemd-analyze verify, the Dockerfile by a lint
 * of what it must do, and the commands both run by the real CLI.
 */

const deploy = join(projectRoot, 'examples', 'deploy');
const scratch = mkdtempSync(join(tmpdir(), 'junction-deploy-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(file: string, args: string[], timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A unit file's `Key=value` lines of one section. */
function unitSection(text: string, section: string): Map<string, string> {
  const entries = new Map<string, string>();
  let current = '';
  for (const line of text.split('\n')) {
    const header = /^\[(.+)\]$/.exec(line.trim());
    if (header) current = header[1]!;
    else if (current === section && /^[A-Za-z]+=/.test(line)) {
      const at = line.indexOf('=');
      entries.set(line.slice(0, at), line.slice(at + 1));
    }
  }
  return entries;
}

/** A Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerInstructions(text: string): { keyword: string; args: string }[] {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  return logical.map((line) => {
    const space = line.search(/\s/);
    return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
  });
}

/** `junction ARGS --help`: exit 0 means every option in ARGS exists (parsing is strict). */
async function cliAccepts(args: string[]): Promise<void> {
  const result = await runJunction([...args, '--help']);
  assert.equal(result.code, 0, `junction ${args.join(' ')}: ${result.stderr}`);
}

describe('systemd unit', () => {
  const unit = readFileSync(join(deploy, 'junction.service'), 'utf8');
  const service = unitSection(unit, 'Service');

  it('passes systemd-analyze verify', { skip: skipWithoutDebian('systemd') }, async () => {
    // verify checks that ExecStart's program exists: point it at this machine's node if elsewhere.
    const copy = join(scratch, 'junction.service');
    writeFileSync(copy, existsSync('/usr/bin/node') ? unit : unit.replace('/usr/bin/node ', `${process.execPath} `));
    const result = await run(debianNeed('systemd').file, ['verify', copy]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '', 'no warning either');
  });

  it('restarts on failure, raises the file limit, runs as its own user and reloads with SIGHUP', async () => {
    assert.equal(service.get('Restart'), 'on-failure');
    assert.ok(Number(service.get('LimitNOFILE')) >= 65536);
    assert.equal(service.get('User'), 'junction');
    assert.equal(service.get('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(service.get('KillSignal'), 'SIGTERM');
    const sysusers = readFileSync(join(deploy, 'junction.sysusers.conf'), 'utf8');
    assert.match(sysusers, /^u junction - ".+" \/var\/lib\/junction \/usr\/sbin\/nologin$/m, 'the unit\'s user is created by sysusers');
    assert.equal(service.get('StateDirectory'), 'junction');
  });

  it('starts junction with options the CLI has, the data dir its StateDirectory', async () => {
    const [, script, ...args] = service.get('ExecStart')!.split(' ');
    assert.equal(script, '/opt/junction/node_modules/junction/bin/junction.js');
    assert.deepEqual(args.slice(args.indexOf('--data-dir'), args.indexOf('--data-dir') + 2), ['--data-dir', '/var/lib/junction']);
    await cliAccepts(args);
  });
});

describe('Dockerfile', () => {
  const instructions = dockerInstructions(readFileSync(join(deploy, 'Dockerfile'), 'utf8'));
  const all = (keyword: string) => instructions.filter((instruction) => instruction.keyword === keyword);
  const finalStage = instructions.slice(instructions.findLastIndex((instruction) => instruction.keyword === 'FROM'));
  const inFinal = (keyword: string) => finalStage.filter((instruction) => instruction.keyword === keyword);
  const execForm = (args: string) => JSON.parse(args) as string[];

  it('uses only known instructions, and builds on the official Node image of the version package.json requires', () => {
    const known = new Set(['FROM', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'VOLUME', 'USER', 'EXPOSE', 'HEALTHCHECK', 'STOPSIGNAL', 'ENTRYPOINT', 'CMD']);
    assert.deepEqual(instructions.filter((instruction) => !known.has(instruction.keyword)), []);
    const engines = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const major = Number(/\d+/.exec(engines)![0]);
    for (const from of all('FROM')) assert.match(from.args, new RegExp(`^node:${major}-[a-z-]+( AS [a-z]+)?$`), 'the official image (Docker Hub "node"), pinned to a major version');
  });

  it('copies only what exists and what .dockerignore lets through, and from stages defined before', () => {
    const ignored = readFileSync(join(projectRoot, '.dockerignore'), 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));
    for (const entry of ['node_modules', 'dist', '.git']) assert.ok(ignored.includes(entry), `.dockerignore leaves out ${entry}`);
    const stages = all('FROM').map((from) => / AS ([a-z]+)$/.exec(from.args)?.[1]).filter(Boolean);
    for (const copy of all('COPY')) {
      const parts = copy.args.split(/\s+/);
      const from = /^--from=(.+)$/.exec(parts[0]!)?.[1];
      if (from) {
        assert.ok(stages.includes(from), `stage ${from} exists`);
        continue;
      }
      for (const source of parts.slice(0, -1)) if (source !== '.') assert.ok(existsSync(join(projectRoot, source)), `${source} exists`);
    }
  });

  it('runs as a non-root user, keeps the data directory in a volume, and starts junction with options the CLI has', async () => {
    const users = inFinal('USER');
    assert.equal(users.length, 1);
    assert.ok(!['root', '0'].includes(users[0]!.args), 'not root');
    const userAt = finalStage.indexOf(users[0]!);
    for (const keyword of ['ENTRYPOINT', 'CMD', 'HEALTHCHECK']) assert.ok(finalStage.findIndex((instruction) => instruction.keyword === keyword) > userAt, `${keyword} after USER`);
    const command = [...execForm(inFinal('ENTRYPOINT')[0]!.args), ...execForm(inFinal('CMD')[0]!.args)];
    assert.equal(command[0], 'junction');
    const dataDir = command[command.indexOf('--data-dir') + 1];
    assert.equal(inFinal('VOLUME')[0]!.args, dataDir);
    await cliAccepts(command.slice(1));
  });

  it('checks /health on the port it exposes, the starter config\'s, with a command that tells serving from not', async () => {
    const exposed = Number(inFinal('EXPOSE')[0]!.args);
    assert.match(starterConfigYaml, new RegExp(`port: ${exposed}\\n`));
    const healthcheck = inFinal('HEALTHCHECK')[0]!.args;
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD ') + 4));
    assert.equal(command[0], 'node');
    assert.ok(command[2]!.includes(`http://127.0.0.1:${exposed}/health`));

    // The same command against a real junction on the starter config, on a free port instead.
    const dir = join(scratch, 'starter');
    assert.equal((await runJunction(['init', dir])).code, 0);
    const port = await freePort();
    const probe = () => run(process.execPath, [command[1]!, command[2]!.replace(`:${exposed}/`, `:${port}/`)], 10_000);
    const junction = RunningJunction.start(['--cbdir', dir, '--port', String(port)]);
    try {
      await junction.started((line) => line.msg === 'listening' && line.service === 'health');
      assert.equal((await probe()).code, 0, 'healthy while serving');
    } finally {
      junction.child.kill('SIGTERM');
      await junction.waitForExit();
    }
    assert.equal((await probe()).code, 1, 'unhealthy once stopped');
  });
});

