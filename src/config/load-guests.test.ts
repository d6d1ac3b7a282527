import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from './load.js';
import type { GuestConfig } from './model.js';
import { configDocument, problemLinesOf } from './test-support.js';

function guests(extraWorkers: unknown[], baseDir = '/srv/app/.crossbar'): GuestConfig[] {
  return parseConfig(configDocument({}, extraWorkers), { source: 'test', env: {}, baseDir }).guests;
}

function problems(extraWorkers: unknown[]): string[] {
  return problemLinesOf(() => parseConfig(configDocument({}, extraWorkers), { source: 'test', env: {} }));
}

describe('guest workers in the file', () => {
  it('take Crossbar\'s defaults: the config folder as workdir, the whole environment, stdin open, output logged', () => {
    assert.deepEqual(guests([{ type: 'guest', executable: 'node', arguments: ['backend.js'] }]), [{
      id: 'worker002', at: 'workers[1]', executable: 'node', arguments: ['backend.js'], workdir: '/srv/app/.crossbar',
      env: { inherit: true, vars: {} }, stdin: { kind: 'open' }, stdout: 'log', stderr: 'log', maxLineBytes: 16384, linesPerSecond: 100,
    }]);
  });

  it('number workers without an id in file order, the router counted, as Crossbar does', () => {
    const ids = guests([{ type: 'guest', executable: 'a' }, { type: 'guest', id: 'named', executable: 'b' }, { type: 'guest', executable: 'c' }]).map((guest) => guest.id);
    assert.deepEqual(ids, ['worker002', 'named', 'worker003']);
  });

  it('resolve workdir and watched folders against the config folder; read stdin, env and output modes', () => {
    const [guest] = guests([{
      type: 'guest', executable: './run.sh',
      options: {
        workdir: '../node', env: { inherit: ['PATH'], vars: { DB: 'x' } }, stdin: { type: 'json', value: { a: [1, 'é'] }, close: false },
        stdout: 'drop', stderr: 'close', watch: { directories: ['../node/src'], action: 'restart', timeout: 0.5 },
        max_line_bytes: 100, log_lines_per_second: 5,
      },
    }]);
    assert.equal(guest!.workdir, resolve('/srv/app/node'));
    assert.deepEqual(guest!.env, { inherit: ['PATH'], vars: { DB: 'x' } });
    assert.deepEqual(guest!.stdin, { kind: 'json', text: '{"a":[1,"é"]}', close: false });
    assert.deepEqual([guest!.stdout, guest!.stderr], ['drop', 'close']);
    assert.deepEqual(guest!.watch, { directories: [resolve('/srv/app/node/src')], restart: true, delayMs: 500 });
    assert.deepEqual([guest!.maxLineBytes, guest!.linesPerSecond], [100, 5]);
    assert.deepEqual(guests([{ type: 'guest', executable: 'x', options: { stdin: 'close', watch: { directories: ['.'] } } }])[0]!.stdin, { kind: 'close' });
    assert.deepEqual(guests([{ type: 'guest', executable: 'x', options: { stdin: { type: 'json', value: null } } }])[0]!.stdin, { kind: 'json', text: 'null', close: true });
  });

  it('refuse a missing executable, an unknown key and a bad value in one line each, naming the key', () => {
    assert.deepEqual(problems([
      { type: 'guest' },
      { type: 'guest', executable: 'node', options: { stdout: 'file' } },
      { type: 'guest', executable: 'node', options: { cwd: '/tmp' } },
      { type: 'guest', executable: 'node', options: { env: { inherit: 'yes' } } },
      { type: 'guest', executable: 'node', options: { stdin: { type: 'msgpack', value: 1 } } },
      { type: 'guest', executable: 'node', arguments: ['a', 2] },
      { type: 'guest', executable: 'node', options: { watch: { directories: ['.'], action: 'stop' } } },
    ]), [
      'test: workers[1].executable: missing: the program to run (a path, or a name on the PATH)',
      'test: workers[2].options.stdout: expected "log" (each line logged), "drop" (read and discarded) or "close" (the pipe closed: writing to it fails)',
      'test: workers[3].options.cwd: unknown key "cwd"',
      'test: workers[4].options.env.inherit: expected true, false, or a list of variable names',
      'test: workers[5].options.stdin: expected "close" or {"type": "json", "value": ..., "close": true}',
      'test: workers[6].arguments[1]: expected a string (each argument is text)',
      'test: workers[7].options.watch.action: expected "restart" (the only action)',
    ]);
  });

  it('make a container worker with Python classes one process of Junction\'s launcher, its bridge classes left to the router', () => {
    const transport = { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: 8080 }, url: 'ws://127.0.0.1:8080/ws' };
    const [container] = guests([{
      type: 'container', id: 'backend', options: { pythonpath: ['..', 'lib'], env: { inherit: false, vars: { A: '1' } } },
      components: [
        { type: 'class', classname: 'app.Backend', realm: 'realm1', transport, extra: { greeting: 'hi' } },
        { type: 'class', classname: 'RESTCallee', realm: 'realm1', transport, extra: { procedure: 'shop.api', baseurl: 'http://127.0.0.1:1/' } },
      ],
    }]);
    assert.deepEqual(container, {
      id: 'backend', at: 'workers[1]', executable: '/usr/bin/python3', arguments: [], workdir: '/srv/app/.crossbar',
      env: { inherit: false, vars: { A: '1' } }, stdin: { kind: 'open' }, stdout: 'log', stderr: 'log', maxLineBytes: 16384, linesPerSecond: 100,
      python: { interpreterGiven: false, pythonpath: ['/srv/app', '/srv/app/.crossbar/lib'], components: [{ id: 'component0', type: 'class', classname: 'app.Backend', realm: 'realm1', extra: { greeting: 'hi' }, transport }] },
    });
    const given = guests([{ type: 'container', options: { python: 'venv/bin/python' }, components: [{ type: 'class', classname: 'a.B', realm: 'realm1', transport }] }])[0]!;
    assert.deepEqual([given.executable, given.python!.interpreterGiven], ['venv/bin/python', true]);
  });

  it('start no process for a container with bridge classes only, and say its Python settings are not used', () => {
    const document = configDocument({}, [{
      type: 'container', options: { pythonpath: ['..'] },
      components: [{ type: 'class', classname: 'RESTCallee', realm: 'realm1', transport: {}, extra: { procedure: 'shop.api', baseurl: 'http://127.0.0.1:1/' } }],
    }]);
    const config = parseConfig(document, { source: 'test', env: {} });
    assert.deepEqual(config.guests, []);
    assert.ok(config.notices.includes('workers[1].options.pythonpath: the Python module search path (pythonpath) of a container without Python classes is not needed by Junction and was ignored [config.notice.ignored]'));
  });

  it('refuse two workers with one id, as Crossbar refuses to start the second', () => {
    assert.deepEqual(problems([{ type: 'guest', id: 'backend', executable: 'a' }, { type: 'guest', id: 'backend', executable: 'b' }]), [
      'test: workers[2].id: duplicate worker id "backend" (first used at workers[1].id)',
    ]);
  });
});
