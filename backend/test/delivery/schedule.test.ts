import { dueAtFor, instantOfLocal, nextLocalTime, quietHoursEnd, recipientZone } from '../../src/delivery/schedule';

/** The time arithmetic of scheduled sends and quiet hours, across midnight and daylight-saving changes. */
describe('schedule times', () => {
  const utc = (iso: string) => Date.parse(iso);

  it('quiet hours across midnight: inside before and after midnight, outside at the end; the end is the next local "to"', () => {
    const quiet = { from: '22:00', to: '07:00' };
    expect(quietHoursEnd(quiet, utc('2026-11-21T23:30:00Z'), 'UTC')).toBe(utc('2026-11-22T07:00:00Z'));
    expect(quietHoursEnd(quiet, utc('2026-11-22T03:00:00Z'), 'UTC')).toBe(utc('2026-11-22T07:00:00Z'));
    expect(quietHoursEnd(quiet, utc('2026-11-22T07:00:00Z'), 'UTC')).toBeUndefined();
    expect(quietHoursEnd(quiet, utc('2026-11-22T21:59:00Z'), 'UTC')).toBeUndefined();
    expect(quietHoursEnd({ from: '13:00', to: '14:00' }, utc('2026-11-22T13:30:00Z'), 'UTC')).toBe(utc('2026-11-22T14:00:00Z'));
    expect(quietHoursEnd(undefined, utc('2026-11-22T03:00:00Z'), 'UTC')).toBeUndefined();
  });

  it('quiet hours over a daylight-saving change end at the local time of the new offset', () => {
    const quiet = { from: '22:00', to: '07:00' };
    // Berlin springs forward on 2026-03-29 (02:00 CET → 03:00 CEST): 07:00 that morning is 05:00 UTC.
    expect(quietHoursEnd(quiet, utc('2026-03-28T22:00:00Z'), 'Europe/Berlin')).toBe(utc('2026-03-29T05:00:00Z'));
    // And falls back on 2026-10-25: 07:00 CET is 06:00 UTC.
    expect(quietHoursEnd(quiet, utc('2026-10-24T21:30:00Z'), 'Europe/Berlin')).toBe(utc('2026-10-25T06:00:00Z'));
  });

  it('a local time that does not exist (the skipped hour) is the instant after the gap; a repeated one is the first', () => {
    expect(instantOfLocal({ year: 2026, month: 3, day: 29 }, 2 * 60 + 30, 'Europe/Berlin')).toBe(utc('2026-03-29T01:30:00Z'));
    expect(instantOfLocal({ year: 2026, month: 10, day: 25 }, 2 * 60 + 30, 'Europe/Berlin')).toBe(utc('2026-10-25T00:30:00Z'));
  });

  it('the next local time is today when it is still ahead, else tomorrow; a delay or sendAt moves the start', () => {
    const now = utc('2026-11-21T12:00:00Z');
    expect(nextLocalTime(now, '13:00', 'UTC')).toBe(utc('2026-11-21T13:00:00Z'));
    expect(nextLocalTime(now, '12:00', 'UTC')).toBe(now);
    expect(nextLocalTime(now, '10:00', 'Asia/Tokyo')).toBe(utc('2026-11-22T01:00:00Z'));
    expect(dueAtFor({ delaySeconds: 7200 }, now, 'UTC')).toBe(now + 7_200_000);
    expect(dueAtFor({ sendAt: '2026-11-23T08:00:00+03:00' }, now, 'UTC')).toBe(utc('2026-11-23T05:00:00Z'));
    expect(dueAtFor({ sendAt: '2026-11-23T00:00:00Z', localTime: '09:00' }, now, 'America/New_York')).toBe(utc('2026-11-23T14:00:00Z'));
  });

  it('the person\'s zone comes from the profile when it is a real zone, else the bot\'s', () => {
    const bot = { timezone: 'Europe/Moscow' };
    expect(recipientZone(bot, { timeZone: 'Asia/Tokyo' })).toBe('Asia/Tokyo');
    expect(recipientZone(bot, { timezone: 'America/Chicago' })).toBe('America/Chicago');
    expect(recipientZone(bot, { timeZone: 'Mars/Olympus' })).toBe('Europe/Moscow');
    expect(recipientZone(bot, undefined)).toBe('Europe/Moscow');
  });
});
