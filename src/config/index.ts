export * from './model.js';
export { formatPath, type ConfigPath } from './config-path.js';
export { ConfigError, formatProblem, formatProblems, type ConfigProblem } from './problems.js';
export {
  cbdirConfigNames,
  findCbdirConfig,
  loadCbdir,
  loadConfigFile,
  parseConfig,
  parseConfigText,
  type FileOptions,
  type ParseOptions,
  type TextOptions,
} from './load.js';
export { embeddedDefaultConfig, embeddedDefaultDocument, embeddedDefaultSource } from './defaults.js';
export { configJsonSchema } from './json-schema.js';
export { starterConfigYaml } from './starter.js';
export { resolvePermissionUri } from './uri-patterns.js';
export type { Environment } from './env.js';
export { foldWorkerNotices } from './notices.js';
