import type { AuthConfig, JunctionConfig, RoleConfig } from '../../../src/config/model.js';
import { startNode, type RunningNode } from '../../../src/node/node.js';
import { testConfig, webSocketPath } from '../../support/node.js';
import { CaptureLog } from './capture-log.js';

const everything = { call: true, register: true, publish: true, subscribe: true };
const noDisclosure = { caller: false, publisher: false };

/** A role allowed every action on every URI. */
export function allowAll(name: string): RoleConfig {
  return { name, permissions: [{ uri: '', match: 'prefix', allow: everything, disclose: noDisclosure, cache: true }] };
}

/** The test config (realm1, /ws on a free port) with `auth` on its transport and `roles` in realm1. */
export function authConfig(auth: AuthConfig, roles: RoleConfig[]): JunctionConfig {
  const config = testConfig({ openHandshakeTimeout: 2_000 });
  config.realms[0]!.roles = roles;
  webSocketPath(config).auth = auth;
  return config;
}

/** Starts a node whose log lines are kept, for assertions on what is (and is not) logged. */
export async function startAuthNode(config: JunctionConfig): Promise<RunningNode & { url: string; log: CaptureLog }> {
  const log = new CaptureLog();
  const node = await startNode(config, { log, shutdownGraceMs: 200 });
  return Object.assign(node, { url: node.urls[0]!, log });
}
