/**
 * Counters and gauges with Prometheus text exposition. Imports nothing, so every layer may count.
 * Label sets are kept small and fixed by the code (never taken from client input).
 */

type Labels = Record<string, string>;

function labelKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const keys = Object.keys(labels).sort();
  return keys.map((key) => `${key}="${labels[key]!.replace(/["\\\n]/g, '_')}"`).join(',');
}

abstract class Metric {
  protected readonly values = new Map<string, number>();
  abstract readonly kind: 'counter' | 'gauge';
  constructor(readonly name: string, readonly help: string) {}

  value(labels?: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  exposition(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.kind}`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [key, value] of this.values) lines.push(key ? `${this.name}{${key}} ${value}` : `${this.name} ${value}`);
    return lines.join('\n');
  }
}

/** A counter fixed to one label set: the label key is built once, not on every count (hot paths). */
export interface BoundCounter {
  inc(by?: number): void;
}

export class Counter extends Metric {
  readonly kind = 'counter';
  inc(labels?: Labels, by = 1): void {
    this.add(labelKey(labels), by);
  }

  bind(labels: Labels): BoundCounter {
    const key = labelKey(labels);
    return { inc: (by = 1) => this.add(key, by) };
  }

  private add(key: string, by: number): void {
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
}

export class Gauge extends Metric {
  readonly kind = 'gauge';
  set(value: number, labels?: Labels): void {
    this.values.set(labelKey(labels), value);
  }
  add(by: number, labels?: Labels): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string): Counter {
    return this.register(name, () => new Counter(name, help));
  }

  gauge(name: string, help: string): Gauge {
    return this.register(name, () => new Gauge(name, help));
  }

  /** Prometheus text format, one block per metric. */
  exposition(): string {
    return [...this.metrics.values()].map((metric) => metric.exposition()).join('\n') + '\n';
  }

  private register<T extends Metric>(name: string, create: () => T): T {
    const existing = this.metrics.get(name);
    if (existing) return existing as T;
    const metric = create();
    this.metrics.set(name, metric);
    return metric;
  }
}
