import fc from 'fast-check';
import { localDate, startOfLocalDay, windowBounds } from '../../src/tables/time-window';

const iso = (ms: number) => new Date(ms).toISOString();

describe('time windows in a time zone', () => {
  it('today and this week in Moscow (no DST) and New York (DST)', () => {
    const now = Date.UTC(2026, 10, 18, 2, 30); // Wed 18 Nov 05:30 in Moscow, Tue 17 Nov 21:30 in New York
    expect(windowBounds({ type: 'today', column: 'createdAt' }, now, 'Europe/Moscow')).toEqual({ from: Date.UTC(2026, 10, 17, 21), to: Date.UTC(2026, 10, 18, 21) });
    expect(windowBounds({ type: 'today', column: 'createdAt' }, now, 'America/New_York')).toEqual({ from: Date.UTC(2026, 10, 17, 5), to: Date.UTC(2026, 10, 18, 5) });
    expect(windowBounds({ type: 'this_week', column: 'createdAt' }, now, 'Europe/Moscow')).toEqual({ from: Date.UTC(2026, 10, 15, 21), to: Date.UTC(2026, 10, 22, 21) });
    expect(windowBounds({ type: 'this_week', column: 'createdAt' }, now, 'UTC')).toEqual({ from: Date.UTC(2026, 10, 16), to: Date.UTC(2026, 10, 23) });
  });

  it('a week across the autumn DST change is 7 calendar days of 169 hours', () => {
    const now = Date.UTC(2026, 9, 28, 12); // Wed 28 Oct 2026; New York falls back on Sun 1 Nov
    const { from, to } = windowBounds({ type: 'this_week', column: 'createdAt' }, now, 'America/New_York');
    expect(iso(from)).toBe('2026-10-26T04:00:00.000Z'); // Monday 00:00 EDT
    expect(iso(to)).toBe('2026-11-02T05:00:00.000Z'); // next Monday 00:00 EST
    expect((to - from) / 3_600_000).toBe(169);
  });

  it('a day that starts at 01:00 because midnight does not exist (Santiago spring-forward)', () => {
    const start = startOfLocalDay({ year: 2026, month: 9, day: 6 }, 'America/Santiago');
    expect(localDate(start, 'America/Santiago')).toEqual({ year: 2026, month: 9, day: 6 });
    expect(localDate(start - 1, 'America/Santiago')).toEqual({ year: 2026, month: 9, day: 5 });
  });

  it('last_days and between (a plain-date end includes that whole day)', () => {
    const now = Date.UTC(2026, 2, 30, 12);
    expect(windowBounds({ type: 'last_days', days: 7, column: 'createdAt' }, now, 'Europe/Berlin')).toEqual({ from: Date.UTC(2026, 2, 23, 23), to: Date.UTC(2026, 2, 30, 22) });
    expect(windowBounds({ type: 'between', from: '2026-03-01', to: '2026-03-31', column: 'createdAt' }, now, 'Europe/Berlin')).toEqual({ from: Date.UTC(2026, 1, 28, 23), to: Date.UTC(2026, 2, 31, 22) });
    expect(windowBounds({ type: 'between', from: '2026-03-01T10:00:00Z', to: '2026-03-02T10:00:00+02:00', column: 'createdAt' }, now, 'UTC')).toEqual({ from: Date.UTC(2026, 2, 1, 10), to: Date.UTC(2026, 2, 2, 8) });
    expect(() => windowBounds({ type: 'last_days', column: 'createdAt' }, now, 'UTC')).toThrow();
    expect(() => windowBounds({ type: 'today', column: 'createdAt' }, now, 'Nowhere/City')).toThrow();
  });

  it('for any instant and zone, the day start is in that day and the instant before it is not', () => {
    const zones = ['UTC', 'Europe/Moscow', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham', 'America/Havana', 'Asia/Tehran'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom(...zones), (now, zone) => {
        const { from, to } = windowBounds({ type: 'today', column: 'createdAt' }, now, zone);
        const today = localDate(now, zone);
        expect(from).toBeLessThanOrEqual(now);
        expect(to).toBeGreaterThan(now);
        expect(localDate(from, zone)).toEqual(today);
        expect(localDate(from - 1, zone)).not.toEqual(today);
        expect(localDate(to - 1, zone)).toEqual(today);
        expect(localDate(to, zone)).not.toEqual(today);
      }),
      { numRuns: 2000 },
    );
  });
});
