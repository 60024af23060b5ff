import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { EventStore } from '../event-store/port.js';
import { projectionLag, type ProjectionLag } from './projection-lag.js';
import type { ProjectionState, ProjectionStatus, Projector } from './projector.js';

const PROJECTION_STATES: readonly ProjectionState[] = ['catching_up', 'rebuilding', 'live', 'failed', 'stopped'];

/** What an append came to: `refused` is bad input (nothing written), `failed` a store that could not be used. */
export type AppendOutcome = 'appended' | 'replayed' | 'conflict' | 'refused' | 'failed';

/**
 * The process's own figures (memory, CPU, event-loop lag, GC), collected once per process: each
 * collection samples the event loop on a timer and watches every GC, so one per app would add up
 * in a test process that builds many apps.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * An app's Prometheus instruments, in a registry of its own (never prom-client's global one), so
 * that tests can build several apps in one process. Only counts, durations and positions: no
 * agreement id, actor or token ever becomes a label.
 */
export class LedgerMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  /** ledger_http_requests_total and ledger_http_request_duration_seconds, by method, route template and status. */
  readonly http = new HttpRequestMetrics(this.registry);

  readonly conflicts = new Counter({
    name: 'ledger_http_conflicts_total',
    help: 'Writes answered 409 (illegal step, existing agreement, concurrent writes) or 412 (stale If-Match), by problem code',
    labelNames: ['status', 'code'] as const,
    registers: [this.registry],
  });

  readonly appends = new Counter({
    name: 'ledger_appends_total',
    help: 'Appends to the event store, by outcome: appended, replayed (a retry already stored), conflict (expected revision), refused (invalid), failed (store unusable)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly eventsAppended = new Counter({
    name: 'ledger_events_appended_total',
    help: 'Events written to the log by this process (replayed retries not counted)',
    registers: [this.registry],
  });

  constructor() {
    processMetrics();
    for (const outcome of ['appended', 'replayed', 'conflict', 'refused', 'failed'] as const) this.appends.labels(outcome).inc(0);
    this.eventsAppended.inc(0);
  }

  /** The Prometheus text exposition of this app's instruments and the process's figures. */
  scrape(): Promise<string> {
    return Registry.merge([this.registry, processMetrics()]).metrics();
  }

  countAppend(outcome: AppendOutcome, events = 0): void {
    this.appends.labels(outcome).inc();
    if (events > 0) this.eventsAppended.inc(events);
  }

  /**
   * Gauges read at scrape time, never on the write path: the store's health and head, and each
   * read model's state and lag (events behind the head, age of the oldest unapplied event).
   */
  watch(store: EventStore, projectors: ReadonlyArray<Projector<unknown>>): void {
    // prom-client collects all metrics of a scrape at once: they share one look at store and models.
    let pending: Promise<LedgerSnapshot> | undefined;
    const snapshot = () => (pending ??= takeSnapshot(store, projectors).finally(() => (pending = undefined)));
    const registers = [this.registry];
    new Gauge({
      name: 'ledger_event_store_up',
      help: '1 when the event store can be read and written, 0 otherwise (as GET /health)',
      registers,
      async collect() {
        this.set((await snapshot()).storeUp ? 1 : 0);
      },
    });
    new Gauge({
      name: 'ledger_event_store_head_position',
      help: 'The last global position in the log',
      registers,
      async collect() {
        const { headPosition } = await snapshot();
        if (headPosition !== undefined) this.set(headPosition);
      },
    });
    new Gauge({
      name: 'ledger_projection_state',
      help: '1 for the state each read model is in (catching_up, rebuilding, live, failed, stopped), 0 for the others',
      labelNames: ['model', 'state'] as const,
      registers,
      async collect() {
        for (const { status } of (await snapshot()).projections) {
          for (const state of PROJECTION_STATES) this.labels(status.name, state).set(state === status.state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'ledger_projection_lag_events',
      help: 'Events in the log a read model has not applied yet (counted up to 10,000 where positions have gaps, as in EventStoreDB)',
      labelNames: ['model'] as const,
      registers,
      async collect() {
        for (const { status, lag } of (await snapshot()).projections) if (lag) this.labels(status.name).set(lag.events);
      },
    });
    new Gauge({
      name: 'ledger_projection_lag_seconds',
      help: 'How long the oldest event a read model has not applied has been in the log; 0 when it has applied them all',
      labelNames: ['model'] as const,
      registers,
      async collect() {
        for (const { status, lag } of (await snapshot()).projections) if (lag) this.labels(status.name).set(lag.seconds);
      },
    });
  }
}

interface LedgerSnapshot {
  storeUp: boolean;
  headPosition?: number;
  projections: Array<{ status: ProjectionStatus; lag?: ProjectionLag }>;
}

async function takeSnapshot(store: EventStore, projectors: ReadonlyArray<Projector<unknown>>): Promise<LedgerSnapshot> {
  const health = await store.health().catch(() => ({ ok: false, headPosition: undefined }));
  const headPosition = health.ok ? (health.headPosition ?? (await store.headPosition().catch(() => undefined))) : undefined;
  const projections = [];
  for (const projector of projectors) {
    const status = projector.describe();
    // An unusable store cannot say how far behind anything is: the lag is left out rather than guessed.
    const lag = headPosition === undefined ? undefined : await projectionLag(store, projector, headPosition, Date.now()).catch(() => undefined);
    projections.push({ status, ...(lag ? { lag } : {}) });
  }
  return { storeUp: health.ok, ...(headPosition !== undefined ? { headPosition } : {}), projections };
}

/** Durations of HTTP answers: a millisecond for a write; reads given minPosition wait up to 2 s; a live feed lasts as long as its client. */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** The answers of one (method, route template, status): how many, their summed duration, how many per bucket. */
export interface RequestTally {
  readonly labels: Readonly<{ method: string; route: string; status: string }>;
  count: number;
  sum: number;
  /** Per bucket, not cumulative; the last slot holds answers slower than the largest bound. */
  readonly buckets: Float64Array;
}

/**
 * The request counter and duration histogram, kept as plain numbers per label set and turned into
 * Prometheus samples only when scraped. prom-client's labelled children hash their labels and look
 * them up on every observation (3-4 us a request, a tenth of a cached read); here a request adds to
 * a tally the caller got once per (route, method, status). Exposed exactly as a prom-client counter
 * and histogram with the same names, help, labels and buckets would be.
 */
export class HttpRequestMetrics {
  private readonly tallies = new Map<string, RequestTally>();

  constructor(registry: Registry) {
    const tallies = this.tallies;
    registry.registerMetric(exposed({
      name: 'ledger_http_requests_total',
      help: 'HTTP requests answered, by method, route template (unmatched: no route) and status code',
      type: 'counter',
      values: () => [...tallies.values()].map((tally) => ({ labels: { ...tally.labels }, value: tally.count })),
      reset: () => this.reset(),
    }));
    const name = 'ledger_http_request_duration_seconds';
    registry.registerMetric(exposed({
      name,
      help: 'Time from receiving a request to finishing its answer, by method, route template and status code',
      type: 'histogram',
      values: () => [...tallies.values()].flatMap((tally) => {
        let cumulative = 0;
        const buckets = HTTP_BUCKETS.map((bound, index) => {
          cumulative += tally.buckets[index]!;
          return { metricName: `${name}_bucket`, labels: { le: bound, ...tally.labels }, value: cumulative };
        });
        return [
          ...buckets,
          { metricName: `${name}_bucket`, labels: { le: '+Inf', ...tally.labels }, value: tally.count },
          { metricName: `${name}_sum`, labels: { ...tally.labels }, value: tally.sum },
          { metricName: `${name}_count`, labels: { ...tally.labels }, value: tally.count },
        ];
      }),
      reset: () => this.reset(),
    }));
  }

  /** The tally of one label set, made on first use; keep it and pass it to `observe`. */
  tally(method: string, route: string, status: number): RequestTally {
    const key = `${method} ${status} ${route}`;
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: new Float64Array(HTTP_BUCKETS.length + 1) };
      this.tallies.set(key, tally);
    }
    return tally;
  }

  /** Counts one answer that took `seconds`. */
  observe(tally: RequestTally, seconds: number): void {
    let bucket = 0;
    while (bucket < HTTP_BUCKETS.length && seconds > HTTP_BUCKETS[bucket]!) bucket++;
    tally.buckets[bucket]!++;
    tally.count++;
    tally.sum += seconds;
  }

  /** Zeroes every tally (prom-client's Registry.resetMetrics); tallies handed out stay valid. */
  reset(): void {
    for (const tally of this.tallies.values()) {
      tally.count = 0;
      tally.sum = 0;
      tally.buckets.fill(0);
    }
  }
}

interface ExposedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: () => Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>;
  reset: () => void;
}

/** What a prom-client Registry asks of a metric: a name, get() in prom-client's shape, reset(). */
function exposed({ name, help, type, values, reset }: ExposedMetric) {
  return {
    name,
    help,
    type,
    aggregator: 'sum' as const,
    get: async () => ({ name, help, type, values: values(), aggregator: 'sum' as const }),
    reset,
  } as unknown as Parameters<Registry['registerMetric']>[0];
}
