import { startApp } from './fixture.js';

/**
 * The whole app on a real SQLite store, on a clock the test sets: the store stamps each event a
 * second after the one before (so every event has its own recording moment), and the command
 * path and the routes read the same clock for the day it is.
 */
export async function startClockedApp(startAt: string) {
  let now = Date.parse(startAt);
  const clock = () => new Date(now);
  const t = await startApp({ clock, recordedAt: () => new Date((now += 1000)) });
  return {
    ...t,
    /** Moves the clock to `moment` (ISO); it only moves forward, as recording moments do. */
    setClock(moment: string) {
      if (Date.parse(moment) < now) throw new Error(`the clock is at ${clock().toISOString()}, after ${moment}`);
      now = Date.parse(moment);
    },
    /** The clock's moment, ISO: at or after every event recorded so far. */
    now: () => clock().toISOString(),
    /** Resolves once the register has folded every event recorded so far. */
    caughtUp: async () => t.register.waitFor(await t.store.headPosition(), 5000),
  };
}
