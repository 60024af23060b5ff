import edtf from 'edtf';

/**
 * A date exactly as precise as its source: "2008", "2014-10", "2021-Q4", "2021-H1",
 * "2021-autumn", "2019-03-26", an interval "2019-11-18/2019-11-19" (also of months), a bound
 * ("../2015-09-09": on or before; "2016-11/..": on or after; "../..": happened, date unknown),
 * a qualified value ("2019?" uncertain, "2019~" approximate, "2019%" both), or any other
 * ISO 8601-2 (EDTF) date or interval of days or coarser ("201X", "2019-XX", "[..2015-09-09]").
 *
 * Every partial date covers an interval of days [start, end]. Comparisons are three-valued:
 * "2019" is neither before nor after "2019-03"; they overlap, and we never pretend otherwise.
 * An open end reaches the first or last day the ledger knows (1900-01-01, 2199-12-31).
 */

export type Precision = 'year' | 'half' | 'quarter' | 'season' | 'month' | 'day' | 'interval' | 'bounded' | 'unknown' | 'unspecified';

export type Qualifier = 'uncertain' | 'approximate' | 'uncertain_approximate';

export interface PartialDate {
  /** The text as stored in events: what the officer wrote, trimmed. */
  text: string;
  /** The same date in ISO 8601-2 (EDTF), for tools that read that standard. */
  edtf: string;
  precision: Precision;
  /** First day it may mean, YYYY-MM-DD. */
  start: string;
  /** Last day it may mean, YYYY-MM-DD. */
  end: string;
  /** The source's own doubt about the value ("2019?", "2019~"); the days it may mean are the same. */
  qualifier?: Qualifier;
}

export type Comparison = 'before' | 'after' | 'same' | 'overlapping';

export type ParseResult = { ok: true; date: PartialDate } | { ok: false; rule: string };

export const PARTIAL_DATE_FORMS =
  'YYYY, YYYY-MM, YYYY-Qn, YYYY-Hn, YYYY-spring|summer|autumn|winter, YYYY-MM-DD, an interval START/END of days or months, ' +
  '../DATE (on or before), DATE/.. (on or after), ../.. (date unknown), a value ending in ? (uncertain), ~ (approximate) or % (both), ' +
  'or another ISO 8601-2 (EDTF) date such as 201X';

/** The first and last days an open end reaches: the years the ledger takes. */
export const FIRST_DAY = '1900-01-01';
export const LAST_DAY = '2199-12-31';

const YEAR = /^(\d{4})$/;
const MONTH = /^(\d{4})-(\d{2})$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const QUARTER = /^(\d{4})-Q([1-4])$/;
const HALF = /^(\d{4})-H([12])$/;
const SEASON = /^(\d{4})-(spring|summer|autumn|winter)$/;

/**
 * Seasons are meteorological, northern hemisphere. "Winter 2021" is read in both senses people
 * use (January-February 2021 and December 2021-February 2022), so it spans 2021-01-01..2022-02-28.
 */
const SEASONS: Record<string, [number, number]> = { spring: [3, 5], summer: [6, 8], autumn: [9, 11] };

/**
 * Today's forms, bounds and qualifiers are read here; anything else goes to the `edtf` package,
 * whose parser is about 200 µs a date: too slow for every request, fine for the rare form.
 */
export function parsePartialDate(input: string): ParseResult {
  const text = input.trim();
  const slash = text.indexOf('/');
  const own = slash >= 0 ? parseInterval(text.slice(0, slash), text.slice(slash + 1)) : parseQualified(text);
  // A form of ours with a wrong value is refused for that value; only unknown forms go on.
  if (own.ok || !own.rule.startsWith('must be one of')) return own;
  const standard = parseEdtf(text);
  return standard ?? own;
}

function qualifierIn(text: string): Qualifier | undefined {
  const doubt = text.includes('?') || text.includes('%');
  const approximation = text.includes('~') || text.includes('%');
  return doubt && approximation ? 'uncertain_approximate' : doubt ? 'uncertain' : approximation ? 'approximate' : undefined;
}

function parseQualified(text: string): ParseResult {
  const qualifier = qualifierIn(text.slice(-1));
  if (qualifier === undefined) return parseSingle(text);
  const bare = parseSingle(text.slice(0, -1));
  if (!bare.ok) return bare;
  return { ok: true, date: { ...bare.date, text, edtf: `${bare.date.edtf}${text.slice(-1)}`, qualifier } };
}

function parseSingle(text: string): ParseResult {
  let match: RegExpExecArray | null;
  if ((match = YEAR.exec(text))) {
    const year = Number(match[1]);
    return checkedYear(year) ?? ok(text, 'year', day(year, 1, 1), day(year, 12, 31));
  }
  if ((match = MONTH.exec(text))) {
    const [year, month] = [Number(match[1]), Number(match[2])];
    if (month < 1 || month > 12) return { ok: false, rule: `month ${match[2]} does not exist` };
    return checkedYear(year) ?? ok(text, 'month', day(year, month, 1), day(year, month, daysIn(year, month)));
  }
  if ((match = DAY.exec(text))) {
    const [year, month, dd] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (month < 1 || month > 12 || dd < 1 || dd > daysIn(year, month)) return { ok: false, rule: `${text} is not a day of the calendar` };
    return checkedYear(year) ?? ok(text, 'day', text, text);
  }
  if ((match = QUARTER.exec(text))) {
    const [year, quarter] = [Number(match[1]), Number(match[2])];
    const first = (quarter - 1) * 3 + 1;
    return checkedYear(year) ?? ok(text, 'quarter', day(year, first, 1), day(year, first + 2, daysIn(year, first + 2)));
  }
  if ((match = HALF.exec(text))) {
    const [year, half] = [Number(match[1]), Number(match[2])];
    return checkedYear(year) ?? ok(text, 'half', day(year, half === 1 ? 1 : 7, 1), day(year, half === 1 ? 6 : 12, half === 1 ? 30 : 31));
  }
  if ((match = SEASON.exec(text))) {
    const year = Number(match[1]);
    const season = match[2]!;
    if (season === 'winter') return checkedYear(year) ?? ok(text, 'season', day(year, 1, 1), day(year + 1, 2, daysIn(year + 1, 2)));
    const [from, to] = SEASONS[season]!;
    return checkedYear(year) ?? ok(text, 'season', day(year, from, 1), day(year, to, daysIn(year, to)));
  }
  return { ok: false, rule: `must be one of: ${PARTIAL_DATE_FORMS}` };
}

function parseInterval(left: string, right: string): ParseResult {
  if (left === '..' && right === '..') return ok('../..', 'unknown', FIRST_DAY, LAST_DAY);
  if (left === '..' || right === '..') {
    const bound = parseQualified(left === '..' ? right : left);
    if (!bound.ok) return bound;
    if (bound.date.precision === 'interval') return { ok: false, rule: 'an open end joins one date, not an interval (../2015-09-09, 2016-11/..)' };
    const text = left === '..' ? `../${bound.date.text}` : `${bound.date.text}/..`;
    const standard = left === '..' ? `../${bound.date.edtf}` : `${bound.date.edtf}/..`;
    const qualifier = bound.date.qualifier;
    return { ok: true, date: { text, edtf: standard, precision: 'bounded', start: left === '..' ? FIRST_DAY : bound.date.start, end: left === '..' ? bound.date.end : LAST_DAY, ...(qualifier ? { qualifier } : {}) } };
  }
  const from = parseSingle(left);
  const to = parseSingle(right);
  if (!from.ok) return from;
  if (!to.ok) return to;
  const kinds = new Set([from.date.precision, to.date.precision]);
  if (kinds.size !== 1 || !(kinds.has('day') || kinds.has('month'))) {
    return { ok: false, rule: 'an interval joins two days (2019-11-18/2019-11-19) or two months (2020-01/2020-03)' };
  }
  if (from.date.start >= to.date.start) return { ok: false, rule: 'an interval must end after it starts' };
  return ok(`${from.date.text}/${to.date.text}`, 'interval', from.date.start, to.date.end);
}

/** Three-valued: 'before' and 'after' only when certain; 'same' for the same single day. */
export function comparePartialDates(a: PartialDate, b: PartialDate): Comparison {
  if (a.end < b.start) return 'before';
  if (a.start > b.end) return 'after';
  if (a.start === a.end && a.start === b.start && b.start === b.end) return 'same';
  return 'overlapping';
}

/**
 * Parses text known to be valid (it was validated when the event was recorded). Read models ask
 * for the same few thousand dates over and over (twice per step in a rebuild): answers are kept,
 * frozen, and forgotten in one go when there are too many to keep.
 */
export function partialDate(text: string): PartialDate {
  let date = parsed.get(text);
  if (date === undefined) {
    const result = parsePartialDate(text);
    if (!result.ok) throw new Error(`invalid partial date '${text}': ${result.rule}`);
    if (parsed.size >= KEPT_DATES) parsed.clear();
    date = Object.freeze(result.date);
    parsed.set(text, date);
  }
  return date;
}

const KEPT_DATES = 10_000;
const parsed = new Map<string, PartialDate>();

function ok(text: string, precision: Precision, start: string, end: string): ParseResult {
  return { ok: true, date: { text, edtf: edtfOf(text, precision, start, end), precision, start, end } };
}

/**
 * Today's forms in EDTF: quarters and halves by their ISO 8601-2 codes (2021-36, 2021-40);
 * seasons, whose codes the standard leaves to each reader's hemisphere and months, as the
 * months they mean here (2021-09/2021-11).
 */
function edtfOf(text: string, precision: Precision, start: string, end: string): string {
  if (precision === 'quarter') return `${text.slice(0, 4)}-${32 + Number(text.slice(-1))}`;
  if (precision === 'half') return `${text.slice(0, 4)}-${39 + Number(text.slice(-1))}`;
  if (precision === 'season') return `${start.slice(0, 7)}/${end.slice(0, 7)}`;
  return text;
}

/** The standard's other forms, through the `edtf` package: dates, seasons, intervals and "one of" sets, to the day at most. */
function parseEdtf(text: string): ParseResult | undefined {
  let parsed: ReturnType<typeof edtf>;
  try {
    parsed = edtf(text);
  } catch {
    return undefined;
  }
  if (!['Date', 'Season', 'Interval', 'Set'].includes(parsed.type)) return undefined;
  if (parsed.type === 'Date' && /T/.test(text)) return { ok: false, rule: 'a step is dated to the day at most, without a time' };
  const start = Number.isFinite(parsed.min) ? new Date(parsed.min).toISOString().slice(0, 10) : FIRST_DAY;
  const end = Number.isFinite(parsed.max) ? new Date(parsed.max).toISOString().slice(0, 10) : LAST_DAY;
  if (start < FIRST_DAY || end > LAST_DAY) return { ok: false, rule: 'must fall within the years 1900-2199' };
  const precision: Precision = parsed.type === 'Date' ? 'unspecified' : parsed.type === 'Season' ? 'season' : start === FIRST_DAY || end === LAST_DAY ? 'bounded' : 'interval';
  // The source's own marks, not the package's flags: it also calls unspecified digits (201X) uncertain.
  const qualifier = qualifierIn(text);
  return { ok: true, date: { text, edtf: parsed.toEDTF(), precision, start, end, ...(qualifier ? { qualifier } : {}) } };
}

function checkedYear(year: number): ParseResult | undefined {
  return year < 1900 || year > 2199 ? { ok: false, rule: `year ${year} is outside 1900-2199` } : undefined;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function day(year: number, month: number, dayOfMonth: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
}
