import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventStore } from '../event-store/port.js';
import { projectionLag, type ProjectionLag } from './projection-lag.js';
import type { ProjectionState, ProjectionStatus, Projector } from './projector.js';

const PROJECTION_STATES: readonly ProjectionState[] = ['catching_up', 'rebuilding', 'live', 'failed', 'stopped'];

/** Durations of HTTP answers: a millisecond for a write; reads given minPosition wait up to 2 s; a live feed lasts as long as its client. */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Counts and times one answer, for one (method, route template, status). */
export type ObserveRequest = (seconds: number) => void;

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

  readonly httpRequests = new Counter({
    name: 'ledger_http_requests_total',
    help: 'HTTP requests answered, by method, route template (unmatched: no route) and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'ledger_http_request_duration_seconds',
    help: 'Time from receiving a request to finishing its answer, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

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

  /**
   * The request counter and duration histogram of one (method, route template, status), bound to
   * their labels once: keep it and call it for every such answer.
   */
  requestObserver(method: string, route: string, status: number): ObserveRequest {
    const labels = { method, route, status: String(status) };
    const requests = this.httpRequests.labels(labels);
    const duration = this.httpDuration.labels(labels);
    return (seconds) => {
      requests.inc();
      duration.observe(seconds);
    };
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
