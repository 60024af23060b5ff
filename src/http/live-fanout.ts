import type { FastifyBaseLogger } from 'fastify';
import type { EventStore, Subscription } from '../event-store/port.js';
import { chunkFor, shape, type Entry } from './live-entries.js';
import { AGREEMENT_PREFIX, ViewerFrames, type CurrentAgreement } from './live-frames.js';
import { damagedPlace, readAround, unbounded, type LogItem } from './live-reading.js';
import type { LiveSubscriber, Routed } from './live-subscriber.js';

/** The most events a catch-up reads at a time; the next read waits until its client took these. */
const CATCH_UP_PAGE = 500;
/**
 * Socket writes the shared feed makes in a second, all its clients together, at most: it reads the
 * log once every `clients / WRITES_PER_SECOND` seconds (MIN_PACE_MS at least) and sends what was
 * committed in between together, one write per client. A socket write costs about the same
 * whatever it holds, so batching commits is what leaves the writers their time; a frame then
 * waits up to half a second with 1,000 clients, 50 ms with 100 (figures: bench/README.md).
 */
const WRITES_PER_SECOND = 2000;
const MIN_PACE_MS = 10;
/** Socket writes between two turns of the event loop, so that requests are served while a page goes out. */
const WRITES_PER_TURN = 100;
const HEARTBEAT_MS = 15_000;

export interface FanoutDeps {
  store: EventStore;
  /** The agreement as it stands (the command handler's `load`): what viewers' frames are shaped from. */
  load: (agreementId: string) => Promise<CurrentAgreement>;
  /** The day it is (YYYY-MM-DD): what agreement frames call overdue. */
  today: () => string;
  /** An agreement's kind and parties, for partner and kind filters. */
  registrationOf: (agreementId: string) => Routed['registration'];
  /** Catch-ups that run at once; past it, `reserveCatchUp` refuses. */
  maxCatchUps: number;
  log: FastifyBaseLogger;
}

/** A catch-up's place among the few that run at once; released once it has joined the shared feed or is gone. */
export interface CatchUpSlot {
  release(): void;
}

/**
 * The live feed's one reader of the log. One subscription to the store, from the head at the
 * first client, reads each commit once; each event is shaped once per audience and each chunk of
 * bytes built once per audience and filter, then handed to every subscriber. A client resuming
 * from an older position reads the log itself, a page at a time, until it reaches what the
 * shared feed has sent, and joins it then, between two of its pages: no gap, no event twice.
 */
export class LiveFanout {
  private readonly live = new Set<LiveSubscriber>();
  private readonly catchingUp = new Set<LiveSubscriber>();
  private catchUps = 0;
  /** The last position the shared feed has handed to its subscribers. */
  private position = 0;
  private started: Promise<void> | undefined;
  private subscription: Subscription | undefined;
  private running: Promise<void> | undefined;
  /** Set while a page is being shaped and sent: no client joins in the middle of one. */
  private sending: Promise<void> | undefined;
  private readonly viewerFrames: ViewerFrames;
  private readonly heartbeat: NodeJS.Timeout;
  /** Ends the pause between two reads of the shared feed (on close). */
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(private readonly deps: FanoutDeps) {
    this.viewerFrames = new ViewerFrames(deps.load, true, deps.today);
    this.heartbeat = setInterval(() => {
      const beat = Buffer.from(': keep-alive\n\n');
      for (const subscriber of this.subscribers()) subscriber.send(beat);
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Subscribers, live or catching up: what the cap counts. */
  get size(): number {
    return this.live.size + this.catchingUp.size;
  }

  /**
   * A place for a client that must read the log before it joins, or undefined when all are taken.
   * A catch-up reads the log from the client's position and, for a viewer, loads each agreement it
   * meets (a whole stream read, hashed): only a few run at once, whoever asks.
   */
  reserveCatchUp(): CatchUpSlot | undefined {
    if (this.catchUps >= this.deps.maxCatchUps) return undefined;
    this.catchUps++;
    let held = true;
    return {
      release: () => {
        if (held) this.catchUps--;
        held = false;
      },
    };
  }

  /**
   * Follows the feed for `subscriber` from its `next` position: catches up from the log, then
   * joins the shared feed. Resolves once it has joined (or is gone), and releases `slot` then.
   */
  async join(subscriber: LiveSubscriber, slot?: CatchUpSlot): Promise<void> {
    try {
      await this.follow(subscriber);
    } finally {
      slot?.release();
    }
  }

  private async follow(subscriber: LiveSubscriber): Promise<void> {
    this.catchingUp.add(subscriber);
    void subscriber.done.then(() => {
      this.catchingUp.delete(subscriber);
      this.live.delete(subscriber);
    });
    await this.start();
    const frames = subscriber.audience === 'viewer' ? new ViewerFrames(this.deps.load, false, this.deps.today) : undefined;
    const prefix = subscriber.filter.agreement !== undefined ? `${AGREEMENT_PREFIX}${subscriber.filter.agreement}` : AGREEMENT_PREFIX;
    const slices = unbounded();
    while (!subscriber.closed && !this.closed) {
      if (this.sending) {
        await this.sending;
        continue;
      }
      if (subscriber.next > this.position) {
        this.catchingUp.delete(subscriber);
        this.live.add(subscriber);
        return;
      }
      const reached = this.position;
      const page = await readAround(this.deps.store, subscriber.next, CATCH_UP_PAGE, prefix, slices);
      const entries = await shape(page, subscriber.audience, frames, this.deps.registrationOf, slices);
      const chunk = chunkFor(entries, subscriber);
      if (chunk) subscriber.send(chunk);
      const last = page[page.length - 1];
      if (last) subscriber.next = last.position + 1;
      // A short page read everything of its prefix the store held, which includes what the feed had sent.
      if (page.length < CATCH_UP_PAGE) subscriber.next = Math.max(subscriber.next, reached + 1);
      await subscriber.drained();
    }
  }

  /** Ends every feed (each flushes what it has, or is cut after a grace) and the shared subscription. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.wake?.();
    await this.subscription?.close();
    await Promise.all([...this.subscribers()].map((subscriber) => subscriber.end()));
    await this.running;
  }

  private *subscribers(): Iterable<LiveSubscriber> {
    yield* this.live;
    yield* this.catchingUp;
  }

  private start(): Promise<void> {
    this.started ??= (async () => {
      this.position = await this.deps.store.headPosition();
      if (this.closed) return;
      this.subscription = this.deps.store.subscribe({ fromPosition: this.position + 1, streamPrefix: AGREEMENT_PREFIX });
      this.running = this.run(this.subscription);
    })().catch((error: unknown) => {
      // The next client tries again.
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  private async run(subscription: Subscription): Promise<void> {
    try {
      for (;;) {
        try {
          for await (const page of subscription.pages()) {
            if (this.closed) return;
            await this.deliver(page);
          }
          return;
        } catch (error) {
          // A damaged event is skipped with a `damaged` frame; the feed goes on after it.
          const place = this.closed ? undefined : damagedPlace(error, this.position + 1);
          if (!place) throw error;
          this.deps.log.warn({ position: place.position, code: place.code }, 'live feed: a damaged event is skipped');
          await subscription.close();
          await this.deliver(await readAround(this.deps.store, this.position + 1, CATCH_UP_PAGE, AGREEMENT_PREFIX, unbounded()));
          if (this.closed) return;
          subscription = this.subscription = this.deps.store.subscribe({ fromPosition: this.position + 1, streamPrefix: AGREEMENT_PREFIX });
        }
      }
    } catch (error) {
      if (this.closed) return;
      // The log cannot be read: every client is ended and reconnects; the next one starts a new reader.
      this.deps.log.error({ err: error }, 'live feed stopped: the log could not be read');
      this.started = undefined;
      await Promise.all([...this.subscribers()].map((subscriber) => subscriber.end()));
    }
  }

  /** One page to the live subscribers, then the pause before the next read. */
  private async deliver(page: readonly LogItem[]): Promise<void> {
    let done!: () => void;
    this.sending = new Promise((resolve) => (done = resolve));
    try {
      await this.send(page);
    } finally {
      this.sending = undefined;
      done();
    }
    await this.pause(Math.max(MIN_PACE_MS, (this.live.size * 1000) / WRITES_PER_SECOND));
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake!(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** One page of the shared feed to every live subscriber, each chunk built once per audience and filter. */
  private async send(page: readonly LogItem[]): Promise<void> {
    const audiences = new Set([...this.live].map((subscriber) => subscriber.audience));
    const entries: Entry[] = [];
    const slices = unbounded();
    for (const audience of audiences) {
      const shaped = await shape(page, audience, audience === 'viewer' ? this.viewerFrames : undefined, this.deps.registrationOf, slices);
      shaped.forEach((entry, index) => {
        const known = entries[index];
        if (known) known.frames[audience] = entry.frames[audience];
        else entries.push(entry);
      });
    }
    const first = page[0]?.position ?? 0;
    const last = page[page.length - 1]?.position ?? this.position;
    const shared = new Map<string, Buffer | undefined>();
    let written = 0;
    for (const subscriber of [...this.live]) {
      if (subscriber.next > last) continue;
      // Requests are served between slices: a page to every client at once would hold the event loop.
      if (++written % WRITES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      let chunk: Buffer | undefined;
      if (subscriber.next <= first) {
        chunk = shared.has(subscriber.key) ? shared.get(subscriber.key) : chunkFor(entries, subscriber);
        shared.set(subscriber.key, chunk);
      } else {
        chunk = chunkFor(entries, subscriber);
      }
      if (chunk) subscriber.send(chunk);
      subscriber.next = last + 1;
    }
    this.position = last;
  }
}
