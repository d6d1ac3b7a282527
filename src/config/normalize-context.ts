/** What every config normalizer is given: where relative paths start, and where notices and function authenticators go. */

import { isAbsolute, resolve } from 'node:path';
import type { WorkerPython } from './model.js';
import type { FunctionAuthenticators } from './normalize-function-auth.js';

export interface NormalizeContext {
  /** Folder that relative file paths are relative to; without it, the process's working folder. */
  baseDir?: string | undefined;
  /** Notices found while normalizing (settings replaced by Junction's own value). */
  notices: string[];
  /** Where `"type": "function"` auth methods become dynamic ones, and their Python hosts are collected. */
  functions: FunctionAuthenticators;
}

/** Normalizing a router worker's transport: its paths also need the worker's Python settings (for wsgi paths). */
export interface TransportNormalizeContext extends NormalizeContext {
  python: WorkerPython;
}

/** A path from the file made absolute against the config folder. */
export function fromConfigDir(context: NormalizeContext, path: string): string {
  return isAbsolute(path) ? path : resolve(context.baseDir ?? process.cwd(), path);
}
