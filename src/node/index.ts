export { startNode, type NodeOptions, type RunningNode } from './node.js';
export { UnsupportedConfigError } from './auth-wiring.js';
export { createLogger, logLevels, type LogLevel } from './logger.js';
