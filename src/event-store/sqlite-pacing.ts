/**
 * When the embedded store commits and checkpoints: the numbers measured against a plain
 * better-sqlite3 writer (bench/store.ts), and the rule that lets a sequential writer skip a turn.
 */

/**
 * A top-up costs the writer two fsyncs (the WAL, then the database file) and the restarted WAL a
 * third, so it is only worth it once the WAL is long: 1,024 frames of 4 KiB, 4 MiB, about what
 * SQLite's own automatic checkpoint lets grow. Below that the WAL restarts whenever writes pause.
 * Measured: at 256 frames a lone writer paid those fsyncs every 70 to 130 commits, twice as often
 * as a plain connection with `wal_autocheckpoint = 1000`.
 */
export const TOP_UP_AFTER_WAL_FRAMES = 1024;

/**
 * The worker's rounds come every 100 ms, or sooner after 4,096 WAL frames (16 MiB, estimated, see
 * `estimatedFrames`), not after a number of commits: each round costs fsyncs that compete with the
 * writer's (at every 64 commits a lone writer's worker did three times as many), and a one-event
 * commit writes a few frames where a batch writes hundreds.
 */
export const CHECKPOINT_EVERY_FRAMES = 4096;
export const CHECKPOINT_INTERVAL_MS = 100;
export const CHECKPOINT_IDLE_MS = 300;

/**
 * The WAL frames (4 KiB pages) that writing these events adds, roughly: a leaf of each of the
 * two unique indexes per event (ids are random, so each lands on a page of its own), plus the
 * rows' bytes. The commit adds one more. Only paces the checkpointer, so it need not be exact.
 */
export function estimatedFrames(events: ReadonlyArray<{ dataJson: string; metadataJson: string }>): number {
  let bytes = 0;
  for (const event of events) bytes += event.dataJson.length + event.metadataJson.length + 200;
  return 2 * events.length + bytes / 4096;
}

/**
 * A writer that appends one small event after another may skip the wait for the event loop's
 * check phase this many times in a row; then it waits once, so that timers, I/O and the
 * checkpointer's messages are not starved (16 commits at FULL are about 4 ms). Larger commits
 * (by estimated frames) always wait.
 */
const MAX_CHAINED_FLUSHES = 16;
const CHAIN_AFTER_FRAMES_BELOW = 64;

/**
 * Recognises a sequential writer: one that appends again from the continuation of its lone
 * append's acknowledgement (`await store.append(...)` in a loop: an import, a script). Nobody else
 * is waiting to join its transaction, so waiting for the check phase would only add latency.
 * An append from an I/O callback (an HTTP request) never runs in that continuation, so it still
 * waits for the check phase and joins the group commit.
 */
export class SequentialWriter {
  private turn = 0;
  private turns = 0;
  private chained = 0;

  /** Asked when an append finds nothing queued: may it be committed now rather than a turn later? */
  mayCommitNow(): boolean {
    if (this.turn !== 0 && this.chained < MAX_CHAINED_FLUSHES) {
      this.turn = 0;
      this.chained++;
      return true;
    }
    this.chained = 0;
    return false;
  }

  /**
   * Told after a commit's appends were acknowledged. Only a small lone commit opens a turn: the
   * microtasks that run right after it, where the writer's own continuation runs, closed two
   * microtasks later (two: a chained commit resolves the promise before its caller awaits it).
   */
  committed(appends: number, frames: number): void {
    if (appends !== 1 || frames >= CHAIN_AFTER_FRAMES_BELOW) return;
    const turn = ++this.turns;
    this.turn = turn;
    queueMicrotask(() =>
      queueMicrotask(() => {
        if (this.turn === turn) this.turn = 0;
      }),
    );
  }
}
