import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { standInJunction } from '../../test/support/stand-in-junction.js';
import { PidFileHeld, readPidFile } from '../node/pid-file.js';
import { silentLogger } from '../router/log.js';
import { captureIo } from '../../test/support/cli.js';
import { run as check } from './commands/check.js';
import { run as keys } from './commands/keys.js';
import { run as start } from './commands/start.js';
import { run as status } from './commands/status.js';
import { run as stop } from './commands/stop.js';
import { cbdirOfBareConfig, cbdirVariable, defaultCheckCbdir, defaultControlCbdir, defaultStartCbdir, givenCbdir, holdPidFiles, locateNode, nodeFolderOf, nodePidFile, pidFileRefusal } from './node-folder.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'junction-node-folder-'))));
after(() => rm(dir, { recursive: true, force: true }));

describe('node folder', () => {
  it('start runs ./.crossbar when it holds a config; stop and status look there when it exists, else in .junction', async () => {
    const here = join(dir, 'defaults');
    await mkdir(join(here, '.crossbar'), { recursive: true });
    assert.equal(defaultStartCbdir(here), undefined, 'a .crossbar without a config is not a node folder to run');
    assert.equal(defaultControlCbdir(here), '.crossbar');
    await writeFile(join(here, '.crossbar', 'config.yaml'), 'version: 2\n');
    assert.equal(defaultStartCbdir(here), '.crossbar');
    assert.equal(defaultControlCbdir(join(dir, 'elsewhere')), '.junction');
  });

  it('a --cbdir that names a file means its folder, as Crossbar; stop and status find the node there', async () => {
    const here = join(dir, 'file-cbdir', '.crossbar');
    await mkdir(here, { recursive: true });
    await writeFile(join(here, 'config.json'), '{}');
    assert.equal(nodeFolderOf(join(here, 'config.json')), here);
    assert.equal(nodeFolderOf(here), here);
    assert.equal(nodeFolderOf(join(dir, 'absent')), join(dir, 'absent'));
    assert.deepEqual(locateNode({ cbdir: join(here, 'config.json') }), { pidFile: join(here, 'node.pid'), where: `from node directory ${here}`, noFolder: false });
  });

  it('a bare --config NAME is read in ./.crossbar only when ./NAME is not there; check without options reads .crossbar when it holds a config', async () => {
    const here = join(dir, 'bare');
    await mkdir(join(here, '.crossbar'), { recursive: true });
    assert.equal(defaultCheckCbdir(here), '.junction');
    await writeFile(join(here, '.crossbar', 'config5.json'), '{}');
    assert.equal(cbdirOfBareConfig('config5.json', here), '.crossbar');
    assert.equal(cbdirOfBareConfig('config6.json', here), undefined, 'in neither folder: read as given, so the error names ./config6.json');
    assert.equal(cbdirOfBareConfig(join(here, 'config5.json'), here), undefined, 'an absolute path is read as it is');
    await writeFile(join(here, 'config5.json'), '{}');
    assert.equal(cbdirOfBareConfig('config5.json', here), undefined, './NAME wins when it exists');
    await writeFile(join(here, '.crossbar', 'config.json'), '{}');
    assert.equal(defaultCheckCbdir(here), '.crossbar');
  });

  it('stop and status find the node by --cbdir or --pid-file, never both', () => {
    assert.deepEqual(locateNode({ cbdir: 'a/.crossbar' }), { pidFile: resolve('a/.crossbar/node.pid'), where: `from node directory ${resolve('a/.crossbar')}`, noFolder: false });
    assert.deepEqual(locateNode({ 'pid-file': 'run/j.pid' }), { pidFile: resolve('run/j.pid'), where: `with pid file ${resolve('run/j.pid')}`, noFolder: false });
    assert.equal(locateNode({ cbdir: 'a', 'pid-file': 'b' }), 'give --cbdir or --pid-file, not both');
    assert.equal(locateNode({ cbdir: ' ' }), '--cbdir must not be empty');
    assert.equal(locateNode({ 'pid-file': '' }), '--pid-file must not be empty');
  });

  it('--cbdir, else $CROSSBAR_DIR, names the node folder, as Crossbar; set empty, the variable names the working folder', () => {
    assert.equal(givenCbdir('opt', { [cbdirVariable]: 'env' }), 'opt');
    assert.equal(givenCbdir(undefined, { [cbdirVariable]: 'env' }), 'env');
    assert.equal(givenCbdir(undefined, { [cbdirVariable]: '' }), '.');
    assert.equal(givenCbdir(undefined, {}), undefined);
  });

  it('start, check, status and keys without --cbdir use $CROSSBAR_DIR; --cbdir and --pid-file win over it', async () => {
    const named = join(dir, 'from-variable');
    await mkdir(named);
    // Not a valid config: start and check name the file they read, and start stops there.
    await writeFile(join(named, 'config.json'), '{"version": 2, "workers": "none"}');
    const saved = process.env[cbdirVariable];
    process.env[cbdirVariable] = named;
    try {
      const checked = captureIo();
      assert.equal(await check([], checked.io), 1);
      const file = join(named, 'config.json');
      assert.ok(checked.out.stderr.includes(file), checked.out.stderr);

      const started = captureIo();
      assert.equal(await start([], started.io), 1);
      assert.ok(started.out.stderr.includes(file), started.out.stderr);

      const asked = captureIo();
      assert.equal(await status([], asked.io), 0);
      assert.ok(asked.out.stdout.includes(`no node is running from node directory ${named}`), asked.out.stdout);
      assert.deepEqual(locateNode({}), { pidFile: join(named, 'node.pid'), where: `from node directory ${named}`, noFolder: false });
      assert.deepEqual(locateNode({ cbdir: 'a' }), { pidFile: resolve('a/node.pid'), where: `from node directory ${resolve('a')}`, noFolder: false });
      assert.deepEqual(locateNode({ 'pid-file': 'run/j.pid' }), { pidFile: resolve('run/j.pid'), where: `with pid file ${resolve('run/j.pid')}`, noFolder: false });

      assert.equal(await keys([], captureIo().io), 0);
      assert.match(await readFile(join(named, 'key.pub'), 'utf8'), /public-key-ed25519/);
    } finally {
      if (saved === undefined) delete process.env[cbdirVariable];
      else process.env[cbdirVariable] = saved;
    }
  });

  it('stop and status where no node folder is in use (npm start\'s node keeps none) say so, and how to stop such a node', async () => {
    const clone = join(dir, 'fresh-clone');
    await mkdir(clone);
    const saved = { cwd: process.cwd(), variable: process.env[cbdirVariable] };
    delete process.env[cbdirVariable];
    process.chdir(clone);
    try {
      const stopped = captureIo();
      assert.equal(await stop([], stopped.io), 69);
      assert.match(stopped.out.stderr, /^junction stop: no node folder is in use here \(neither \.crossbar nor \.junction exists\): a node started without one \(npm start, .*keeps no pid file.*Ctrl-C.*"kill PID".*--pid-file FILE.* stop --pid-file FILE"\n$/);
      const asked = captureIo();
      assert.equal(await status([], asked.io), 0);
      assert.match(asked.out.stdout, /^stopped: no node folder is in use here .* status --pid-file FILE"\n$/);
      // A folder that is there, or one named, is spoken of as before.
      await mkdir(join(clone, '.junction'));
      const inFolder = captureIo();
      await stop([], inFolder.io);
      assert.equal(inFolder.out.stderr, `junction stop: no node is running from node directory ${join(await realpath(clone), '.junction')}\n`);
      const named = captureIo();
      await status(['--cbdir', 'absent'], named.io);
      assert.equal(named.out.stdout, `stopped: no node is running from node directory ${join(await realpath(clone), 'absent')}\n`);
    } finally {
      process.chdir(saved.cwd);
      if (saved.variable !== undefined) process.env[cbdirVariable] = saved.variable;
    }
  });

  it('a start holds node.pid (Crossbar\'s JSON) and the --pid-file, and lets both go once it stopped', async () => {
    const cbdir = join(dir, 'held');
    await mkdir(cbdir);
    const pidFile = join(dir, 'held.pid');
    const held = await holdPidFiles({ cbdir, pidFile }, silentLogger);
    const json = JSON.parse(await readFile(nodePidFile(cbdir), 'utf8')) as { pid: number; argv: string[] };
    assert.equal(json.pid, process.pid);
    assert.deepEqual(json.argv, process.argv);
    assert.equal(await readFile(pidFile, 'utf8'), `${process.pid}\n`);
    await held.release();
    assert.equal(await readPidFile(nodePidFile(cbdir)), undefined);
    assert.equal(await readPidFile(pidFile), undefined);
  });

  it('a second start is refused while a Junction holds either file, and writes neither; the message names the pid and how to stop it', async () => {
    const cbdir = join(dir, 'busy');
    await mkdir(cbdir);
    const pidFile = join(dir, 'busy.pid');
    const other = await standInJunction();
    try {
      await writeFile(pidFile, `${other.pid}\n`);
      const refused = await holdPidFiles({ cbdir, pidFile }, silentLogger).then(() => undefined, (error: unknown) => error);
      assert.ok(refused instanceof PidFileHeld);
      assert.equal(await readPidFile(nodePidFile(cbdir)), undefined, 'the node.pid written first is removed again');
      assert.match(pidFileRefusal(refused, cbdir), new RegExp(`^the pid file ${pidFile} names process ${other.pid}, which is running; stop it \\(.* stop --pid-file ${pidFile}\\) or choose another --pid-file$`));

      await writeFile(nodePidFile(cbdir), JSON.stringify({ pid: other.pid }));
      const again = await holdPidFiles({ cbdir }, silentLogger).then(() => undefined, (error: unknown) => error);
      assert.ok(again instanceof PidFileHeld);
      assert.match(pidFileRefusal(again, cbdir), new RegExp(`^a node is already running from node directory ${cbdir} \\(PID ${other.pid}\\); stop it first: .* stop --cbdir ${cbdir}$`));
    } finally {
      other.kill('SIGKILL');
    }
  });
});
