import { EventStoreError, VersionConflictError } from '../event-store/errors.js';
import type {
  AppendResult, EventStore, EventToAppend, ExpectedRevision, ImportedEvent, ImportResult, ReadAllOptions, ReadModelEvent, ReadStreamOptions,
  StoreHealth, StoredEvent, StreamRevision, SubscribeOptions, Subscription,
} from '../event-store/port.js';
import type { AppendOutcome, LedgerMetrics } from './metrics.js';

/**
 * An event store that counts the appends made through it by outcome into `metrics`, and otherwise
 * is the store it wraps. The optional members of the port are offered only where the wrapped store
 * has them, so callers that test for them (`changeVersion`, `subscribeForReadModels`,
 * `densePositions`, `importEvents`) see the same store either way.
 */
export class MeteredEventStore implements EventStore {
  // Declared, not defined: a member the wrapped store lacks stays absent, not present as undefined.
  declare readonly densePositions?: boolean;
  declare readonly subscribeForReadModels?: (options: SubscribeOptions) => Subscription<ReadModelEvent>;
  declare readonly changeVersion?: () => number | undefined;
  declare readonly importEvents?: (events: ImportedEvent[]) => Promise<ImportResult>;

  constructor(
    private readonly inner: EventStore,
    private readonly metrics: LedgerMetrics,
  ) {
    if (inner.densePositions !== undefined) this.densePositions = inner.densePositions;
    if (inner.subscribeForReadModels) this.subscribeForReadModels = inner.subscribeForReadModels.bind(inner);
    if (inner.changeVersion) this.changeVersion = inner.changeVersion.bind(inner);
    if (inner.importEvents) this.importEvents = inner.importEvents.bind(inner);
  }

  async append(stream: string, events: EventToAppend[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    try {
      const result = await this.inner.append(stream, events, options);
      if (result.idempotentReplay) this.metrics.countAppend('replayed');
      else this.metrics.countAppend('appended', result.events.length);
      return result;
    } catch (error) {
      this.metrics.countAppend(outcomeOf(error));
      throw error;
    }
  }

  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<StoredEvent> {
    return this.inner.readStream(stream, options);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent> {
    return this.inner.readAll(options);
  }

  subscribe(options: SubscribeOptions): Subscription {
    return this.inner.subscribe(options);
  }

  streamRevision(stream: string): Promise<StreamRevision> {
    return this.inner.streamRevision(stream);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  health(): Promise<StoreHealth> {
    return this.inner.health();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function outcomeOf(error: unknown): AppendOutcome {
  if (error instanceof VersionConflictError) return 'conflict';
  if (error instanceof EventStoreError && error.code !== 'STORE_UNAVAILABLE' && error.code !== 'STORE_CLOSED') return 'refused';
  return 'failed';
}
