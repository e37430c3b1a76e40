// Server metrics under Nomad's names (Part A §22): go-metrics' JSON for `/v1/metrics` and the
// Prometheus text (through prom-client) for `?format=prometheus`. Aggregates are cumulative since
// start (go-metrics' in-memory sink keeps 10 s intervals; a drill wants the whole run).
import { Counter, Gauge, Registry, Summary } from 'prom-client';

interface Aggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  sumSq: number;
}

export interface GoMetricsJson {
  Timestamp: string;
  Gauges: { Name: string; Value: number; Labels: Record<string, string> }[];
  Points: never[];
  Counters: AggregateJson[];
  Samples: AggregateJson[];
}

interface AggregateJson {
  Name: string;
  Count: number;
  Rate: number;
  Sum: number;
  Min: number;
  Max: number;
  Mean: number;
  Stddev: number;
  Labels: Record<string, string>;
}

/** `nomad.raft.apply` → `nomad_raft_apply` (Prometheus names have no dots). */
export function prometheusName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_');
}

export class Metrics {
  private readonly registry = new Registry();
  private readonly gauges = new Map<string, { value: number; prom: Gauge }>();
  private readonly counters = new Map<string, { agg: Aggregate; prom: Counter }>();
  private readonly samples = new Map<string, { agg: Aggregate; prom: Summary }>();
  private readonly started: number;

  constructor(private readonly now: () => number = Date.now) {
    this.started = now();
  }

  setGauge(name: string, value: number): void {
    let g = this.gauges.get(name);
    if (!g) {
      g = { value, prom: new Gauge({ name: prometheusName(name), help: name, registers: [this.registry] }) };
      this.gauges.set(name, g);
    }
    g.value = value;
    g.prom.set(value);
  }

  /** Stops reporting a gauge (e.g. the leader-only ones after losing leadership). */
  removeGauge(name: string): void {
    const g = this.gauges.get(name);
    if (!g) return;
    this.registry.removeSingleMetric(prometheusName(name));
    this.gauges.delete(name);
  }

  incrCounter(name: string, by = 1): void {
    let c = this.counters.get(name);
    if (!c) {
      c = { agg: emptyAggregate(), prom: new Counter({ name: prometheusName(name), help: name, registers: [this.registry] }) };
      this.counters.set(name, c);
    }
    add(c.agg, by);
    c.prom.inc(by);
  }

  /** A timing in milliseconds (go-metrics' AddSample / MeasureSince). */
  addSample(name: string, ms: number): void {
    let s = this.samples.get(name);
    if (!s) {
      s = { agg: emptyAggregate(), prom: new Summary({ name: prometheusName(name), help: `${name} (milliseconds)`, percentiles: [0.5, 0.9, 0.99], registers: [this.registry] }) };
      this.samples.set(name, s);
    }
    add(s.agg, ms);
    s.prom.observe(ms);
  }

  json(): GoMetricsJson {
    const seconds = Math.max(1, (this.now() - this.started) / 1000);
    const aggJson = (name: string, a: Aggregate): AggregateJson => {
      const mean = a.count ? a.sum / a.count : 0;
      const variance = a.count > 1 ? (a.sumSq - (a.sum * a.sum) / a.count) / (a.count - 1) : 0;
      return { Name: name, Count: a.count, Rate: a.sum / seconds, Sum: a.sum, Min: a.min, Max: a.max, Mean: mean, Stddev: Math.sqrt(Math.max(0, variance)), Labels: {} };
    };
    const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      Timestamp: new Date(this.now()).toISOString().replace(/\.\d+Z$/, ' +0000 UTC').replace('T', ' '),
      Gauges: sorted(this.gauges).map(([Name, g]) => ({ Name, Value: g.value, Labels: {} })),
      Points: [],
      Counters: sorted(this.counters).map(([n, c]) => aggJson(n, c.agg)),
      Samples: sorted(this.samples).map(([n, s]) => aggJson(n, s.agg)),
    };
  }

  prometheus(): Promise<string> {
    return this.registry.metrics();
  }

  get prometheusContentType(): string {
    return this.registry.contentType;
  }
}

function emptyAggregate(): Aggregate {
  return { count: 0, sum: 0, min: 0, max: 0, sumSq: 0 };
}

function add(a: Aggregate, v: number): void {
  a.min = a.count === 0 ? v : Math.min(a.min, v);
  a.max = a.count === 0 ? v : Math.max(a.max, v);
  a.count++;
  a.sum += v;
  a.sumSq += v * v;
}
