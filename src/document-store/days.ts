/**
 * Days since 1970-01-01, how item tables store spans: an index of integers is smaller and quicker
 * to write than one of 'YYYY-MM-DD' text, and the writer's thread is sent numbers, not strings.
 */
const known = new Map<string, number>();

/** The day number of a YYYY-MM-DD date. The few dates a log holds are parsed once each. */
export function dayNumber(date: string): number {
  let day = known.get(date);
  if (day === undefined) {
    day = Date.parse(`${date}T00:00:00Z`) / 86_400_000;
    if (!Number.isInteger(day)) throw new Error(`not a day: ${date}`);
    if (known.size >= 10_000) known.clear();
    known.set(date, day);
  }
  return day;
}

export function dayText(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}
