export * from './codes.js';
export * from './messages.js';
export * from './parse.js';
export * from './uri.js';
export * from './ids.js';
export * from './errors.js';
export * from './envelope.js';
