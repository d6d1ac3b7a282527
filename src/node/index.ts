export { startNode, UnsupportedConfigError, type NodeOptions, type RunningNode } from './node.js';
export { createLogger, logLevels, type LogLevel } from './logger.js';
