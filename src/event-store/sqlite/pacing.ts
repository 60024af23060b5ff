/** When the embedded store checkpoints its WAL, and how much a commit adds to it. */

/**
 * A top-up costs the writer two fsyncs (the WAL, then the database file) and the restarted WAL a
 * third, so it is only worth it once the WAL is long: 1,024 frames of 4 KiB, 4 MiB, about what
 * SQLite's own automatic checkpoint lets grow. Below that the WAL restarts whenever writes pause,
 * and a shorter threshold makes a lone writer pay those fsyncs more often than SQLite's own would.
 */
export const TOP_UP_AFTER_WAL_FRAMES = 1024;

/**
 * The worker's rounds come every 100 ms, or sooner after 4,096 WAL frames (16 MiB, estimated, see
 * `estimatedFrames`), not after a number of commits: each round costs fsyncs that compete with the
 * writer's, and a one-event commit writes a few frames where a batch writes hundreds.
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
