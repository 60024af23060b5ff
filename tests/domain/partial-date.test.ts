import { describe, expect, it } from 'vitest';
import { DayText } from '../../domain/agreement/events.js';
import { comparePartialDates, parsePartialDate, partialDate } from '../../domain/shared/partial-date.js';

describe('partial dates: exactly as precise as the source', () => {
  it.each([
    ['2008', 'year', '2008-01-01', '2008-12-31', '2008'],
    ['2014-10', 'month', '2014-10-01', '2014-10-31', '2014-10'],
    ['2020-02', 'month', '2020-02-01', '2020-02-29', '2020-02'],
    ['2021-Q4', 'quarter', '2021-10-01', '2021-12-31', '2021-36'],
    ['2021-H1', 'half', '2021-01-01', '2021-06-30', '2021-40'],
    ['2021-autumn', 'season', '2021-09-01', '2021-11-30', '2021-09/2021-11'],
    ['2021-winter', 'season', '2021-01-01', '2022-02-28', '2021-01/2022-02'],
    ['2019-03-26', 'day', '2019-03-26', '2019-03-26', '2019-03-26'],
    ['2019-11-18/2019-11-19', 'interval', '2019-11-18', '2019-11-19', '2019-11-18/2019-11-19'],
    ['2020-01/2020-03', 'interval', '2020-01-01', '2020-03-31', '2020-01/2020-03'],
    // What the sources say without a date: "in force by 9 September 2015", "after November 2016", "has a mandate".
    ['../2015-09-09', 'bounded', '1900-01-01', '2015-09-09', '../2015-09-09'],
    ['2016-11/..', 'bounded', '2016-11-01', '2199-12-31', '2016-11/..'],
    ['../2018-Q4', 'bounded', '1900-01-01', '2018-12-31', '../2018-36'],
    ['../..', 'unknown', '1900-01-01', '2199-12-31', '../..'],
    // Other ISO 8601-2 forms, read by the edtf package.
    ['201X', 'unspecified', '2010-01-01', '2019-12-31', '201X'],
    ['2019-XX', 'unspecified', '2019-01-01', '2019-12-31', '2019-XX'],
    ['[..2015-09-09]', 'bounded', '1900-01-01', '2015-09-09', '[..2015-09-09]'],
  ])('reads %s as a %s from %s to %s, in EDTF %s', (text, precision, start, end, edtf) => {
    expect(parsePartialDate(text)).toEqual({ ok: true, date: { text, edtf, precision, start, end } });
  });

  it.each([
    ['2019?', 'uncertain', 'year', '2019-01-01', '2019-12-31'],
    ['2019-03~', 'approximate', 'month', '2019-03-01', '2019-03-31'],
    ['2021-09-22%', 'uncertain_approximate', 'day', '2021-09-22', '2021-09-22'],
    ['../2015-09-09?', 'uncertain', 'bounded', '1900-01-01', '2015-09-09'],
    ['2019-03?/2019-05', 'uncertain', 'interval', '2019-03-01', '2019-05-31'],
  ])('keeps the source\'s doubt in %s (%s) without changing the days it may mean', (text, qualifier, precision, start, end) => {
    expect(parsePartialDate(text)).toMatchObject({ ok: true, date: { text, edtf: text, qualifier, precision, start, end } });
  });

  it('gives each of today\'s forms an EDTF text that the edtf package reads as the same days', async () => {
    const { default: edtf } = await import('edtf');
    for (const text of ['2008', '2014-10', '2021-Q1', '2021-Q4', '2021-H1', '2021-H2', '2021-spring', '2021-summer', '2021-autumn', '2021-winter', '2019-03-26', '2020-01/2020-03', '../2015-09-09', '2016-11/..']) {
      const date = partialDate(text);
      const standard = edtf(date.edtf);
      const day = (ms: number, open: string) => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : open);
      expect([day(standard.min, '1900-01-01'), day(standard.max, '2199-12-31')], text).toEqual([date.start, date.end]);
    }
  });

  it.each([
    ['2021-13', 'month 13 does not exist'],
    ['2021-02-29', 'is not a day of the calendar'],
    ['2021-Q5', 'must be one of'],
    ['21 March 2021', 'must be one of'],
    ['2021-03-21T10:00', 'dated to the day at most'],
    ['../2019-01/2019-02', 'must be one of'],
    ['../2019-11-18/2019-11-19', 'must be one of'],
    ['1850/..', 'outside 1900-2199'],
    ['', 'must be one of'],
    ['1850', 'outside 1900-2199'],
    ['2019-11-19/2019-11-18', 'must end after it starts'],
    ['2019/2020-03', 'an interval joins two days'],
  ])('refuses %j, saying why', (text, rule) => {
    const parsed = parsePartialDate(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.rule).toContain(rule);
  });

  it.each([
    ['2019', '2019-03', 'overlapping'],
    ['2019-03', '2019', 'overlapping'],
    ['2018', '2019-03', 'before'],
    ['2019-03-26', '2019-03-21', 'after'],
    ['2019-03-26', '2019-03-26', 'same'],
    ['2021-Q4', '2021-10-05', 'overlapping'],
    ['2021-Q3', '2021-10-05', 'before'],
    ['2018-11-19/2018-11-20', '2018', 'overlapping'],
    ['2021-autumn', '2021-08-31', 'after'],
    ['2021-H2', '2021-Q2', 'after'],
    ['../2015-09-09', '2015-09-10', 'before'],
    ['../2015-09-09', '2015-09-09', 'overlapping'],
    ['../2015-09-09', '2008', 'overlapping'],
    ['2016-11/..', '2016-10', 'after'],
    ['../..', '2016-10', 'overlapping'],
  ])('compares %s with %s: %s', (a, b, expected) => {
    expect(comparePartialDates(partialDate(a), partialDate(b))).toBe(expected);
  });

  it('never says "2019" is before or after anything inside 2019', () => {
    const year = partialDate('2019');
    for (const inside of ['2019-01-01', '2019-06', '2019-Q4', '2019-12-31', '2019-summer']) {
      expect(comparePartialDates(year, partialDate(inside))).toBe('overlapping');
      expect(comparePartialDates(partialDate(inside), year)).toBe('overlapping');
    }
  });
});

describe('a day: one day of the calendar and nothing coarser', () => {
  it.each(['2020-02-29', '2000-02-29', '2021-12-31', '1900-01-01', '2199-12-31'])('takes %s', (day) => {
    expect(DayText.safeParse(day).success).toBe(true);
  });

  it.each([
    ['2020-13-45', '2020-13-45 is not a day of the calendar'],
    ['2021-02-30', '2021-02-30 is not a day of the calendar'],
    ['2021-02-29', '2021-02-29 is not a day of the calendar'],
    ['2100-02-29', '2100-02-29 is not a day of the calendar'],
    ['2021-04-31', '2021-04-31 is not a day of the calendar'],
    ['2021-00-10', '2021-00-10 is not a day of the calendar'],
    ['2021-01-00', '2021-01-00 is not a day of the calendar'],
    ['1899-12-31', 'year 1899 is outside 1900-2199'],
    ['2021-Q4', 'must be a day, YYYY-MM-DD'],
    ['2021-03', 'must be a day, YYYY-MM-DD'],
    [' 2021-03-01', 'must be a day, YYYY-MM-DD'],
    ['2021-03-01/2021-03-02', 'must be a day, YYYY-MM-DD'],
    ['2021-03-01T00:00:00Z', 'must be a day, YYYY-MM-DD'],
  ])('refuses %j, saying why, once', (day, rule) => {
    const parsed = DayText.safeParse(day);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.message)).toEqual([rule]);
  });
});
