import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MimeTypes } from './mime-types.js';

describe('MimeTypes', () => {
  const types = new MimeTypes({ '.wasm': 'application/x-custom-wasm', mjs: 'application/javascript', '.DAT': 'application/x-dat', '.txt': 'text/plain; charset=iso-8859-1' });

  it('knows the common web types, ignoring the extension case, with charset for text', () => {
    assert.equal(new MimeTypes().contentType('index.html'), 'text/html; charset=utf-8');
    assert.equal(types.contentType('/a/b/STYLE.CSS'), 'text/css; charset=utf-8');
    assert.equal(types.contentType('app.js'), 'text/javascript; charset=utf-8');
    assert.equal(types.contentType('data.json'), 'application/json; charset=utf-8');
    assert.equal(types.contentType('logo.svg'), 'image/svg+xml; charset=utf-8');
    assert.equal(types.contentType('photo.jpeg'), 'image/jpeg');
    assert.equal(types.contentType('font.woff2'), 'font/woff2');
    assert.equal(types.contentType('site.webmanifest'), 'application/manifest+json; charset=utf-8');
  });

  it('lets the service add and override types (with or without the dot, any case)', () => {
    assert.equal(types.contentType('module.wasm'), 'application/x-custom-wasm');
    assert.equal(types.contentType('x.mjs'), 'application/javascript');
    assert.equal(types.contentType('x.dat'), 'application/x-dat');
    assert.equal(types.contentType('notes.txt'), 'text/plain; charset=iso-8859-1');
  });

  it('matches the longest configured suffix, so ".min.js" can differ from ".js"', () => {
    const compound = new MimeTypes({ '.min.js': 'application/x-minified', '.jgz': 'text/javascript' });
    assert.equal(compound.contentType('lib/autobahn.MIN.js'), 'application/x-minified');
    assert.equal(compound.contentType('autobahn.js'), 'text/javascript; charset=utf-8');
    assert.equal(compound.contentType('autobahn.min.jgz'), 'text/javascript; charset=utf-8');
    assert.equal(compound.contentType('backup.tar.gz'), 'application/gzip');
  });

  it('sends text kept as .gz as that text, gzip-encoded (as Crossbar\'s static service)', () => {
    assert.deepEqual(types.fileHeaders('css/materialize.min.css.gz'), { 'content-type': 'text/css; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-encoding': 'gzip' });
    assert.deepEqual(types.fileHeaders('app.JS.gz'), { 'content-type': 'text/javascript; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-encoding': 'gzip' });
    assert.deepEqual(types.fileHeaders('notes.txt.gz'), { 'content-type': 'text/plain; charset=iso-8859-1', 'x-content-type-options': 'nosniff', 'content-encoding': 'gzip' });
  });

  it('says which files are stored gzipped for the browser (.jgz), and that they are JavaScript', () => {
    assert.deepEqual(new MimeTypes().fileHeaders('lib/autobahn.min.JGZ'), { 'content-type': 'text/javascript; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-encoding': 'gzip' });
    assert.deepEqual(types.fileHeaders('backup.tar.gz'), { 'content-type': 'application/gzip', 'x-content-type-options': 'nosniff' });
    assert.deepEqual(types.fileHeaders('dump.gz'), { 'content-type': 'application/gzip', 'x-content-type-options': 'nosniff' });
    assert.deepEqual(types.fileHeaders('x.constructor'), { 'content-type': 'application/octet-stream', 'x-content-type-options': 'nosniff' });
    assert.equal(types.fileHeaders('.jgz')['content-encoding'], undefined, 'a dotfile named .jgz has no extension');
  });

  it('falls back to application/octet-stream', () => {
    assert.equal(types.contentType('blob.bin'), 'application/octet-stream');
    assert.equal(types.contentType('Makefile'), 'application/octet-stream');
    assert.equal(types.contentType('.hidden'), 'application/octet-stream');
  });
});
