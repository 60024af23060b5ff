/**
 * How EventStoreDB's $all positions become the port's numeric positions, and back.
 *
 * ESDB positions are {commit, prepare}: byte offsets of the record in its transaction log. For
 * events written by the gRPC Append (no explicit TCP transactions), commit == prepare for every
 * event (kurrent-io/KurrentDB#2522 made the gRPC API report each event's own prepare position;
 * maintainers in kurrent-io/KurrentDB#3989: "prepare position can only be different if you use
 * explicit transactions"). So the commit position alone identifies an event, and we rebuild
 * {commit: c, prepare: c} from it. Assumption: nothing in the database uses explicit transactions.
 *
 * A read or subscription may only start at a record boundary: a position in the middle of a record
 * makes the server fail ("nonsense position ... into the middle of a record", KurrentDB#694;
 * InvalidPosition, KurrentDB#4128). Callers of the port pass either an event's own position
 * (inclusive: "from this event") or a checkpoint plus one ("after this event"). To tell the two
 * apart without asking the server, an event's position is 2 * commit, always even:
 *   - even p: the event at commit p/2 and after (readAll is inclusive at a boundary);
 *   - odd p:  after the event at commit (p-1)/2 (a $all subscription from a position is exclusive,
 *             kurrent-io/documentation#325; readAll starts at it and drops that one event).
 * Positions stay monotonic and are far from dense, which the port allows. Numbers are exact while
 * commit < 2^52 (a 4 PiB log).
 */

/** The port's position of the event whose $all commit position is `commit`. */
export function toPortPosition(commit: bigint): number {
  const position = commit * 2n;
  if (position > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`commit position ${commit} is beyond what a number holds exactly`);
  return Number(position);
}

/**
 * Where in $all to start so that every event at or after port position `from` is delivered:
 * `commit` is a real event's commit position, or 'start'; events below `skipBelow` are dropped.
 */
export interface AllStart {
  commit: bigint | 'start';
  skipBelow: number;
}

/** For a read of $all, which includes the event at its start. */
export function readStartFor(from: number): AllStart {
  if (!Number.isSafeInteger(from) || from <= 1) return { commit: 'start', skipBelow: 0 };
  return { commit: BigInt(Math.floor(from / 2)), skipBelow: from };
}

/**
 * For a $all subscription, which excludes the event at its start. After a checkpoint (odd `from`)
 * that is exact. From an event's own position (even) ESDB has no inclusive start, so the
 * subscription starts at the beginning and skips what comes before (a rare, slower path).
 */
export function subscriptionStartFor(from: number): AllStart {
  if (!Number.isSafeInteger(from) || from <= 1) return { commit: 'start', skipBelow: 0 };
  if (from % 2 === 0) return { commit: 'start', skipBelow: from };
  return { commit: BigInt((from - 1) / 2), skipBelow: from };
}
