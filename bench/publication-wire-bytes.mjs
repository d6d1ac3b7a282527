#!/usr/bin/env node
// Bytes one publication costs on the Redis backplane's wire (MessagePack, as the Redis link packs
// each message), for builds side by side in one run: a router whose backplane has one interested
// peer, a session publishing P plain and P retained publications with the same small payload.
// Deterministic (no timing): the figure does not move with the machine's load.
// Usage: npm run build && node bench/publication-wire-bytes.mjs [--publications 1000] [BUILD_DIR ...]
//   BUILD_DIR: a checkout with dist/ built (default: this one); each is measured in turn.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Packr } from 'msgpackr';

const { values, positionals } = parseArgs({ options: { publications: { type: 'string', default: '1000' } }, allowPositionals: true });
const publications = Number(values.publications);
const builds = positionals.length > 0 ? positionals : [new URL('..', import.meta.url).pathname];
const packr = new Packr({ useRecords: false }); // as src/node/cluster/redis-link.ts

async function measure(root) {
  const load = (path) => import(pathToFileURL(resolve(root, 'dist', path)).href);
  const { MeshBackplane } = await load('src/router/backplane-mesh.js');
  const { RouterHarness } = await load('test/support/router-harness.js');
  const sent = { pub: 0, retained: 0, bytes: { pub: 0, retained: 0 } };
  let receive;
  let current = 'pub';
  const link = {
    send: (message) => {
      if (message.k !== 'pub') return;
      sent[current]++;
      sent.bytes[current] += packr.pack({ from: 'n1', message }).length;
    },
    onMessage: (listener) => (receive = listener),
    claim: async () => ({ ok: true }),
    release: () => {},
    close: async () => {},
  };
  const backplane = new MeshBackplane('n1', link);
  const harness = new RouterHarness({ backplane });
  await harness.router.ready();
  receive({ k: 'interest', interest: { realm: 'realm1', uri: 'bench.topic', match: 'exact' }, on: true }, 'n2');
  const { peer } = await harness.join();
  for (const kind of ['pub', 'retained']) {
    current = kind;
    for (let i = 0; i < publications; i++) {
      peer.raw([16, i + 1, kind === 'retained' ? { retain: true } : {}, 'bench.topic', [i % 10, 'payload'], { n: 1 }]);
    }
  }
  await new Promise((done) => setTimeout(done, 10));
  return sent;
}

console.log(`publications per kind: ${publications}`);
for (const root of builds) {
  const { pub, retained, bytes } = await measure(root);
  console.log(`${root}: plain ${(bytes.pub / pub).toFixed(1)} B/publication (${pub} sent), retained ${(bytes.retained / retained).toFixed(1)} B/publication (${retained} sent)`);
}
