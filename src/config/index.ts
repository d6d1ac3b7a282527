export * from './model.js';
export { ConfigError, formatPath, formatProblem, formatProblems, type ConfigPath, type ConfigProblem } from './problems.js';
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
