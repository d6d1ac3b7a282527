import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureIo } from '../../../test/support/cli.js';
import { openssl, selfSignedCertificate, skipTls } from '../../../test/support/tls.js';
import { run } from './check.js';

const good = `{
  "version": 2,
  "workers": [
    {
      "type": "router",
      "options": { "pythonpath": [".."] },
      "realms": [{ "name": "realm1", "roles": [] }, { "name": "realm2", "roles": [] }],
      "transports": [{ "type": "websocket", "endpoint": { "type": "tcp", "port": 9000 } }]
    }
  ]
}
`;

const bridgeFile = `version: 2
workers:
  - type: router
    realms:
      - {name: realm1, options: {uri_check: loose}, roles: [{name: backend, permissions: []}, {name: hooks, permissions: []}, {name: forwarder, permissions: []}]}
    transports:
      - type: web
        endpoint: {type: tcp, port: 0}
        paths:
          publish:
            type: publisher
            realm: realm1
            role: backend
          call:
            {type: caller, realm: realm1, role: backend, options: {require_ip: ["10.0.0.0/8"]}}
          hook:
            type: webhook
            realm: realm1
            role: hooks
            options: {topic: app.hooks}
    components:
      - type: class
        id: news
        classname: MessageForwarder
        realm: realm1
        role: forwarder
        extra: {subscriptions: [{topic: news.*, url: "http://127.0.0.1:5000/news"}]}
      - type: process
        realm: realm1
        procedure: app.report
        command: [/usr/bin/php, report.php]
`;

/** A file with one router (realm1) and one web transport whose paths are `paths` (YAML lines indented under "paths:"). */
const webPaths = (paths: string): string => `version: 2
workers:
  - type: router
    realms: [{name: realm1, roles: []}]
    transports:
      - type: web
        endpoint: {type: tcp, port: 0}
        paths:${paths}
`;

describe('junction check', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-check-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a summary and the notices of a good file', async () => {
    const file = join(dir, 'good.json');
    await writeFile(file, good);
    const { out, io } = captureIo();
    assert.equal(await run(['--config', file], io), 0);
    assert.equal(
      out.stdout,
      `${file}: ok (2 realms, 1 transport)\n` +
        '  notice: workers[0].options.pythonpath: the Python module search path (pythonpath) of a router without Python components, Python paths (wsgi, resource, wap, static package) or function authenticators is not needed by Junction and was ignored [config.notice.ignored]\n',
    );
    assert.equal(out.stderr, '');
  });

  it('prints every problem with its line and exits 1', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, good.replace('"realm2"', '"realm1"').replace('9000', '"nine"'));
    const { out, io } = captureIo();
    assert.equal(await run(['--config', file], io), 1);
    assert.equal(
      out.stderr,
      `${file}: 2 problems\n` +
        `${file}:7:63: workers[0].realms[1].name: duplicate realm name "realm1" (first defined at workers[0].realms[0].name) [config.name.duplicate]\n` +
        `${file}:8:82: workers[0].transports[0].endpoint.port: expected a port number from 0 to 65535 [config.value]\n`,
    );
    assert.equal(out.stdout, '');
  });

  it('counts the bridge components it will run', async () => {
    const file = join(dir, 'bridge.yaml');
    await writeFile(file, bridgeFile);
    const { out, io } = captureIo();
    assert.equal(await run(['--config', file], io), 0);
    assert.equal(out.stdout, `${file}: ok (1 realm, 1 transport, 2 components)\n`);
  });

  it("counts a router worker's Python components apart from the bridge components", async () => {
    const file = join(dir, 'router-python.yaml');
    const python = '      - {type: class, classname: authenticator.Session, realm: realm1, role: backend}\n      - {type: function, realm: realm1, callbacks: {join: hooks.on_join}}\n';
    await writeFile(file, bridgeFile.replace('    components:\n', `    components:\n${python}`));
    const { out, io } = captureIo();
    assert.equal(await run(['--config', file], io), 0, out.stderr);
    assert.equal(out.stdout, `${file}: ok (1 realm, 1 transport, 2 components, 2 Python router components)\n`);
  });

  it('counts function authenticators as such, one per distinct create and config, apart from the components', async () => {
    const file = join(dir, 'functions.yaml');
    const functions = '          ws: {type: websocket, auth: {ticket: {type: function, create: auth.create_ticket}, wampcra: {type: function, create: auth.create_cra}}}\n' +
      '          ws2: {type: websocket, auth: {ticket: {type: function, create: auth.create_ticket}}}\n';
    await writeFile(file, bridgeFile.replace('        paths:\n', `        paths:\n${functions}`));
    const { out, io } = captureIo();
    assert.equal(await run(['--config', file], io), 0, out.stderr);
    assert.equal(out.stdout, `${file}: ok (1 realm, 1 transport, 2 components, 2 function authenticators)\n`);
  });

  it('refuses a function authenticator in a file without realms, naming the method', async () => {
    const file = join(dir, 'no-realms.json');
    await writeFile(file, good.replace('[{ "name": "realm1", "roles": [] }, { "name": "realm2", "roles": [] }]', '[]')
      .replace('"port": 9000 }', '"port": 9000 }, "auth": { "ticket": { "type": "function", "create": "auth.create" } }'));
    const { out, io } = captureIo();
    assert.equal(await run(['--config', file], io), 1);
    assert.match(out.stderr, /^.*: 1 problem\n.*:8:\d+: workers\[0\]\.transports\[0\]\.auth\.ticket: .*no realm.* \[config\.auth\.function_without_realm\]\n$/);
  });

  it('shows the problems of the web transport, HTTP bridge and components with their lines', async () => {
    const file = join(dir, 'bridge-bad.yaml');
    const bad = bridgeFile
      .replace('type: publisher', 'type: publsher')
      .replace('topic: app.hooks', 'success_response: thanks')
      .replace('"10.0.0.0/8"', '"10.0.0.0/40"')
      .replace('command: [/usr/bin/php, report.php]', 'command: "/usr/bin/php report.php"')
      .replace('realm: realm1\n        role: forwarder', 'realm: realm2\n        role: forwarder')
      .replace('role: hooks', 'role: hook');
    await writeFile(file, bad);
    const { out, io } = captureIo();
    assert.equal(await run(['--config', file], io), 1);
    assert.equal(
      out.stderr,
      `${file}: 6 problems\n` +
        `${file}:11:19: workers[0].transports[0].paths.publish.type: unknown path service type "publsher" (expected "websocket" or "static" or "json" or "redirect" or "nodeinfo" or "health" or "metrics" or "publisher" or "caller" or "webhook" or "longpoll" or "sse" or "console" or "mqtt" or "websocket-reverseproxy" or "reverseproxy" or "wsgi" or "cgi" or "upload" or "fileupload" or "resource" or "wap" or "archive" or "path"); did you mean "publisher"? [config.form]\n` +
        `${file}:15:81: workers[0].transports[0].paths.call.options.require_ip[0]: "10.0.0.0/40" has an invalid prefix length or netmask for an IPv4 range [config.value]\n` +
        `${file}:19:19: workers[0].transports[0].paths.hook.role: role "hook" is not defined in realm "realm1" (did you mean "hooks"?) [config.role.undefined]\n` +
        `${file}:20:22: workers[0].transports[0].paths.hook.options.topic: missing: the topic each webhook request is published to [config.missing]\n` +
        `${file}:25:16: workers[0].components[0].realm: realm "realm2" is not defined in this configuration [config.realm.undefined]\n` +
        `${file}:31:18: workers[0].components[1].command: give the command as a list, e.g. ["/usr/bin/php", "handler.php"]: Junction starts the program directly, never through a shell [config.type]\n`,
    );
  });

  it('checks a cbdir', async () => {
    const cbdir = await mkdtemp(join(dir, 'cbdir-'));
    await writeFile(join(cbdir, 'config.json'), good);
    const { out, io } = captureIo();
    assert.equal(await run(['--cbdir', cbdir], io), 0);
    assert.match(out.stdout, new RegExp(`^${join(cbdir, 'config.json')}: ok \\(2 realms, 1 transport\\)\n`));
  });

  it("takes a --cbdir that names the config file as its folder, as Crossbar (find . -name config.json -exec crossbar check --cbdir={} \\;)", async () => {
    const cbdir = await mkdtemp(join(dir, 'cbdir-file-'));
    await writeFile(join(cbdir, 'config.json'), good);
    const { out, io } = captureIo();
    assert.equal(await run([`--cbdir=${join(cbdir, 'config.json')}`], io), 0, out.stderr);
    assert.match(out.stdout, new RegExp(`^${join(cbdir, 'config.json')}: ok \\(2 realms, 1 transport\\)\n`));
  });

  it('reads the TLS files a transport names, as start does: every unreadable one, then a key that does not fit', { skip: skipTls }, async () => {
    const tlsDir = await mkdtemp(join(dir, 'tls-'));
    const file = join(tlsDir, 'config.json');
    const withTls = good.replace('"port": 9000', '"port": 9000, "tls": { "key": "server.key", "certificate": "server.crt" }');
    await writeFile(file, withTls);
    const missing = captureIo();
    assert.equal(await run(['--config', file], missing.io), 1);
    const unreadable = (key: string, name: string) =>
      `${file}: transport "transport0": cannot read its endpoint.tls.${key} ${join(tlsDir, name)}: no such file (a relative path is read from the config file's folder) [tls_file_unreadable]\n`;
    assert.equal(missing.out.stderr, `${file}: 2 problems\n${unreadable('key', 'server.key')}${unreadable('certificate', 'server.crt')}`);
    assert.equal(missing.out.stdout, '');

    // Readable, but a key made for another certificate.
    const other = selfSignedCertificate(await mkdtemp(join(tlsDir, 'other-')))!;
    const own = selfSignedCertificate(await mkdtemp(join(tlsDir, 'own-')))!;
    await writeFile(join(tlsDir, 'server.crt'), await readFile(own.certificate));
    await writeFile(join(tlsDir, 'server.key'), await readFile(other.key));
    const mismatch = captureIo();
    assert.equal(await run(['--config', file], mismatch.io), 1);
    assert.equal(mismatch.out.stderr, `${file}: 1 problem\n${file}: transport "transport0": its endpoint.tls.key ${join(tlsDir, 'server.key')} ` +
      `is not the key of its endpoint.tls.certificate ${join(tlsDir, 'server.crt')} (give the key that certificate was made for) [tls_invalid]\n`);

    await writeFile(join(tlsDir, 'server.key'), await readFile(own.key));
    const fine = captureIo();
    assert.equal(await run(['--config', file], fine.io), 0, fine.out.stderr);
    assert.match(fine.out.stdout, /: ok \(2 realms, 1 transport\)\n/);
  });

  it('names the dhparam file whose parameters are too short, and a cipher list OpenSSL refuses', { skip: skipTls }, async () => {
    const tlsDir = await mkdtemp(join(dir, 'tls-context-'));
    const file = join(tlsDir, 'config.json');
    selfSignedCertificate(tlsDir);
    openssl('dhparam', '-out', join(tlsDir, 'dh512.pem'), '512');
    const tls = (more: string) => good.replace('"port": 9000', `"port": 9000, "tls": { "key": "server.key", "certificate": "server.crt", ${more} }`);
    await writeFile(file, tls('"dhparam": "dh512.pem"'));
    const short = captureIo();
    assert.equal(await run(['--config', file], short.io), 1);
    assert.equal(short.out.stderr, `${file}: 1 problem\n${file}: transport "transport0": its endpoint.tls.dhparam ${join(tlsDir, 'dh512.pem')}: DH parameter is less than 1024 bits ` +
      `(make 2048-bit ones: openssl dhparam -out ${join(tlsDir, 'dh512.pem')} 2048) [tls_invalid]\n`);
    await writeFile(file, tls('"ciphers": "NO-SUCH-CIPHER"'));
    const ciphers = captureIo();
    assert.equal(await run(['--config', file], ciphers.io), 1);
    assert.match(ciphers.out.stderr, /: transport "transport0": its endpoint\.tls\.ciphers "NO-SUCH-CIPHER": .*no cipher match \[tls_invalid\]\n$/);
  });

  it('reads the TLS files of a router link, as start does', async () => {
    const linkDir = await mkdtemp(join(dir, 'rlink-'));
    const file = join(linkDir, 'config.json');
    const rlink = { realm: 'realm1', transport: { type: 'rawsocket', serializer: 'cbor', endpoint: { type: 'tcp', host: 'node2', port: 8091, tls: { ca_certificates: ['ca.crt'] } } } };
    await writeFile(file, good.replace('{ "name": "realm1", "roles": [] }', `{ "name": "realm1", "roles": [], "rlinks": [${JSON.stringify(rlink)}] }`));
    const missing = captureIo();
    assert.equal(await run(['--config', file], missing.io), 1);
    assert.equal(missing.out.stderr, `${file}: 1 problem\n${file}: realm "realm1" rlink "rlink000": cannot read its transport.endpoint.tls.ca_certificates ${join(linkDir, 'ca.crt')}: no such file (a relative path is read from the config file's folder) [tls_file_unreadable]\n`);
  });

  it('warns about a static directory that is not there, as start does (the file is still ok)', async () => {
    const file = join(dir, 'static.yaml');
    await writeFile(file, webPaths(`
          "/": {type: static, directory: ./no-such-site}
          docs: {type: path, paths: {"/": {type: static, directory: .}}}`));
    const { out, io } = captureIo();
    assert.equal(await run(['--config', file], io), 0, out.stderr);
    assert.match(out.stdout, /: ok \(1 realm, 1 transport\)\n/);
    assert.deepEqual(out.stdout.split('\n').filter((line) => line.startsWith('  warning:')),
      [`  warning: transport "transport0" path "/": the static directory ${join(dir, 'no-such-site')} does not exist; requests get 404 until it does`]);
  });

  it('warns about a CGI directory or an archive file that is not there or not usable, as start does (the file is still ok)', async () => {
    const file = join(dir, 'files.yaml');
    await mkdir(join(dir, 'folder.zip'), { recursive: true });
    await writeFile(join(dir, 'plain-file'), 'not a folder');
    await writeFile(join(dir, 'present.zip'), 'PK');
    await writeFile(file, webPaths(`
          cgi1: {type: cgi, directory: ./no-such-cgi, processor: /bin/sh}
          cgi2: {type: cgi, directory: ./plain-file, processor: /bin/sh}
          cgi3: {type: cgi, directory: ., processor: /bin/sh}
          a1: {type: archive, archive: ./missing.zip, origin: "https://example.com/a.zip"}
          a2: {type: archive, archive: ./gone.zip}
          a3: {type: archive, archive: ./folder.zip}
          a4: {type: archive, archive: ./fetched.zip, origin: "https://example.com/a.zip", download: true}
          a5: {type: archive, archive: ./present.zip}`));
    const { out, io } = captureIo();
    assert.equal(await run(['--config', file], io), 0, out.stderr);
    const where = (path: string) => `transport "transport0" path "/${path}"`;
    assert.deepEqual(out.stdout.split('\n').filter((line) => line.startsWith('  warning:')), [
      `  warning: ${where('cgi1')}: the CGI directory ${join(dir, 'no-such-cgi')} does not exist; requests get 404 until it does`,
      `  warning: ${where('cgi2')}: the CGI directory ${join(dir, 'plain-file')} is not a directory; requests get 404 until it is`,
      `  warning: ${where('a1')}: the archive ${join(dir, 'missing.zip')} does not exist and "download" is false; every request gets 404 until it is put there and the config reloaded`,
      `  warning: ${where('a2')}: the archive ${join(dir, 'gone.zip')} does not exist, and there is no "origin" to download it from; start refuses the path until it is there`,
      `  warning: ${where('a3')}: the archive ${join(dir, 'folder.zip')} is not a file; start refuses the path`,
    ]);
  });

  it('refuses unknown options (exit 2)', async () => {
    const { out, io } = captureIo();
    assert.equal(await run(['--confg', 'x'], io), 2);
    assert.match(out.stderr, /^junction check: Unknown option '--confg'.* \(did you mean --config\?\)\n/);
    assert.equal(await run(['config.json'], io), 2);
    assert.match(out.stderr, /Unexpected argument 'config\.json'.* \(did you mean --config config\.json\?\)\n/);
    assert.equal(await run(['mynode'], io), 2);
    assert.match(out.stderr, /Unexpected argument 'mynode'.* \(a file: --config mynode; a node folder: --cbdir mynode\)\n/);
    assert.equal(await run(['--zzz'], io), 2);
    assert.match(out.stderr, /Unknown option '--zzz'[^\n]*\n\nUsage/, 'no suggestion when nothing is close');
  });

  it('reads --config inside --cbdir when both are given, as Crossbar (crossbar-examples: crossbar start --config config5.json)', async () => {
    const node = join(dir, 'node-with-configs');
    await mkdir(node, { recursive: true });
    await writeFile(join(node, 'config5.json'), good);
    const { out, io } = captureIo();
    assert.equal(await run(['--cbdir', node, '--config', 'config5.json'], io), 0, out.stderr);
    assert.ok(out.stdout.startsWith(`${join(node, 'config5.json')}: ok`), out.stdout);
  });
});
