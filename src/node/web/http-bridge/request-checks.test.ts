import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type { ClientAddress } from '../service-context.js';
import { Refusal } from './refusal.js';
import { checkJsonContentType, checkMethod, ClientGate } from './request-checks.js';

function withContentType(value: string | undefined): IncomingMessage {
  return { headers: value === undefined ? {} : { 'content-type': value } } as IncomingMessage;
}

function client(address: string, secure = false): ClientAddress {
  return { address, family: 'IPv4', port: 1, secure, label: `tcp4:${address}:1` };
}

function codeOf(action: () => void): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof Refusal);
    return `${error.status} ${error.code}`;
  }
}

describe('checkJsonContentType', () => {
  it('accepts application/json with or without a UTF-8 charset, and no Content-Type at all', () => {
    for (const value of [undefined, 'application/json', 'Application/JSON; charset=UTF-8', 'application/json;charset="utf8"']) {
      assert.equal(codeOf(() => checkJsonContentType(withContentType(value))), undefined, String(value));
    }
  });

  it('refuses other types and charsets with 415', () => {
    assert.equal(codeOf(() => checkJsonContentType(withContentType('application/x-www-form-urlencoded'))), '415 unsupported_content_type');
    assert.equal(codeOf(() => checkJsonContentType(withContentType('application/json; charset=latin1'))), '415 unsupported_content_type');
  });
});

describe('checkMethod', () => {
  it('accepts POST and PUT and refuses the rest with 405 and an Allow header', () => {
    checkMethod('POST');
    checkMethod('PUT');
    try {
      checkMethod('GET');
      assert.fail('GET accepted');
    } catch (error) {
      assert.ok(error instanceof Refusal);
      assert.equal(error.status, 405);
      assert.equal(error.headers.allow, 'POST, PUT, OPTIONS');
    }
  });
});

describe('ClientGate', () => {
  it('lets every address through when require_ip is empty', () => {
    new ClientGate([], false).check(client('203.0.113.9'));
  });

  it('refuses addresses outside require_ip, in CIDR or netmask form, with 403', () => {
    const gate = new ClientGate(['10.0.0.0/8', '192.168.1.0/255.255.255.0'], false);
    gate.check(client('10.1.2.3'));
    gate.check(client('::ffff:192.168.1.77'));
    assert.equal(codeOf(() => gate.check(client('127.0.0.1'))), '403 ip_not_allowed');
  });

  it('refuses plain HTTP with 403 when require_tls is set', () => {
    const gate = new ClientGate([], true);
    gate.check(client('127.0.0.1', true));
    assert.equal(codeOf(() => gate.check(client('127.0.0.1', false))), '403 tls_required');
  });
});
