/**
 * Counters, gauges and histograms with Prometheus text exposition. Imports nothing, so every
 * layer may count. Label sets are kept small and fixed by the code (never taken from client input).
 * Values that are cheaper to read than to track (open sockets' bytes, the event-loop delay) are
 * read by collectors just before each exposition.
 */

export type Labels = Record<string, string>;

/** One value of a metric and its labels, as another process may copy it (Counter.setTotal, Gauge.set). */
export interface Sample {
  labels: Labels;
  value: number;
}

function labelKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const keys = Object.keys(labels).sort();
  return keys.map((key) => `${key}="${labels[key]!.replace(/["\\\n]/g, '_')}"`).join(',');
}

/** labelKey's labels back: its values hold no quote (replaced), so each ends at the next one. */
function parseLabelKey(key: string): Labels {
  const labels: Labels = {};
  for (const [, name, value] of key.matchAll(/(\w+)="([^"]*)"/g)) labels[name!] = value!;
  return labels;
}

abstract class Metric {
  protected readonly values = new Map<string, number>();
  abstract readonly kind: 'counter' | 'gauge' | 'histogram';
  constructor(readonly name: string, readonly help: string) {}

  value(labels?: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  /** Every label set's value; labels as exposed (a value's quotes, backslashes and newlines read as "_"). */
  samples(): Sample[] {
    return [...this.values].map(([key, value]) => ({ labels: parseLabelKey(key), value }));
  }

  /**
   * Forgets every label set that has all of `labels` (a guest a reload removed: each of its
   * outcomes), so that what is gone is not exposed forever. A bound counter or gauge of a
   * forgotten set must not be used again.
   */
  forget(labels: Labels): void {
    const wanted = Object.entries(parseLabelKey(labelKey(labels))); // as kept: quotes and newlines read as "_"
    for (const key of this.keys()) {
      const own = parseLabelKey(key);
      if (wanted.every(([name, value]) => own[name] === value)) this.forgetKey(key);
    }
  }

  protected keys(): string[] {
    return [...this.values.keys()];
  }

  protected forgetKey(key: string): void {
    this.values.delete(key);
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

  /**
   * Sets the total read from a source that only grows (a socket's bytes, GC time), for a
   * collector; a smaller value than the last one is ignored, so the counter never goes back.
   */
  setTotal(value: number, labels?: Labels): void {
    const key = labelKey(labels);
    if (value > (this.values.get(key) ?? 0)) this.values.set(key, value);
  }

  private add(key: string, by: number): void {
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
}

/** A gauge fixed to one label set (hot paths: a byte budget set at every message). */
export interface BoundGauge {
  set(value: number): void;
}

export class Gauge extends Metric {
  readonly kind = 'gauge';
  set(value: number, labels?: Labels): void {
    this.values.set(labelKey(labels), value);
  }

  bind(labels: Labels): BoundGauge {
    const key = labelKey(labels);
    return { set: (value) => this.values.set(key, value) };
  }

  add(by: number, labels?: Labels): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
}

/** A histogram fixed to one label set (hot paths). */
export interface BoundHistogram {
  observe(value: number): void;
}

interface Buckets {
  counts: number[];
  sum: number;
  count: number;
}

/** Cumulative buckets with upper bounds fixed at creation, plus +Inf, _sum and _count. */
export class Histogram extends Metric {
  readonly kind = 'histogram';
  private readonly series = new Map<string, Buckets>();

  constructor(name: string, help: string, readonly bounds: readonly number[]) {
    super(name, help);
  }

  observe(value: number, labels?: Labels): void {
    this.record(this.seriesFor(labelKey(labels)), value);
  }

  bind(labels: Labels): BoundHistogram {
    const series = this.seriesFor(labelKey(labels));
    return { observe: (value) => this.record(series, value) };
  }

  /** How many observations, per label set. */
  count(labels?: Labels): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }

  protected override keys(): string[] {
    return [...this.series.keys()];
  }

  protected override forgetKey(key: string): void {
    this.series.delete(key);
  }

  override exposition(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, { counts, sum, count }] of this.series) {
      const labelled = (extra: string) => `{${[key, extra].filter(Boolean).join(',')}}`;
      let cumulative = 0;
      this.bounds.forEach((bound, index) => {
        cumulative += counts[index]!;
        lines.push(`${this.name}_bucket${labelled(`le="${bound}"`)} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${labelled('le="+Inf"')} ${count}`);
      lines.push(`${this.name}_sum${key ? `{${key}}` : ''} ${sum}`);
      lines.push(`${this.name}_count${key ? `{${key}}` : ''} ${count}`);
    }
    return lines.join('\n');
  }

  private seriesFor(key: string): Buckets {
    let series = this.series.get(key);
    if (!series) {
      series = { counts: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    return series;
  }

  private record(series: Buckets, value: number): void {
    const index = this.bounds.findIndex((bound) => value <= bound);
    if (index >= 0) series.counts[index]! += 1;
    series.sum += value;
    series.count += 1;
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors = new Set<() => void>();

  counter(name: string, help: string): Counter {
    return this.register(name, () => new Counter(name, help));
  }

  gauge(name: string, help: string): Gauge {
    return this.register(name, () => new Gauge(name, help));
  }

  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    return this.register(name, () => new Histogram(name, help, bounds));
  }

  /** Runs `collect` before every exposition (it sets the values it reads); returns how to stop it. */
  collect(collect: () => void): () => void {
    this.collectors.add(collect);
    return () => this.collectors.delete(collect);
  }

  /** Prometheus text format, one block per metric. */
  exposition(): string {
    for (const collect of this.collectors) collect();
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
