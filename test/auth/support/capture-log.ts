import type { Logger } from '../../../src/router/log.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A Logger that keeps every line (with the bindings of its children) for assertions. */
export class CaptureLog implements Logger {
  constructor(readonly lines: LogLine[] = [], private readonly bindings: object = {}) {}

  debug(fields: object, message: string): void { this.push('debug', fields, message); }
  info(fields: object, message: string): void { this.push('info', fields, message); }
  warn(fields: object, message: string): void { this.push('warn', fields, message); }
  error(fields: object, message: string): void { this.push('error', fields, message); }

  child(bindings: object): Logger {
    return new CaptureLog(this.lines, { ...this.bindings, ...bindings });
  }

  /** Every line's text, fields included, as JSON: for "this secret never appears" checks. */
  text(): string {
    return this.lines.map((line) => JSON.stringify(line)).join('\n');
  }

  find(message: string): LogLine | undefined {
    return this.lines.find((line) => line.message === message);
  }

  private push(level: LogLine['level'], fields: object, message: string): void {
    this.lines.push({ level, message, fields: { ...this.bindings, ...fields } });
  }
}
