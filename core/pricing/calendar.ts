/**
 * Calendar arithmetic on store-local dates (YYYY-MM-DD). The caller has already turned the
 * instant into the store's wall time, so nothing here knows about time zones or "now".
 */
import type { LocalTime, Promotion } from './types';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

interface Ymd {
  y: number;
  m: number;
  d: number;
}

/** Parses YYYY-MM-DD, or throws: a malformed date is a bug upstream, not a business outcome. */
export function parseDate(text: string): Ymd {
  const m = DATE.exec(text);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: "${text}"`);
  return { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
}

/** Days since 1970-01-01 of a civil date (proleptic Gregorian), without the Date object's time zone. */
function dayNumber({ y, m, d }: Ymd): number {
  // Howard Hinnant's days_from_civil.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** The birthday as celebrated in `year`: 29 February falls on 28 February in common years. */
function birthdayIn(year: number, birthday: Ymd): Ymd {
  if (birthday.m === 2 && birthday.d === 29 && !isLeap(year)) return { y: year, m: 2, d: 28 };
  return { y: year, m: birthday.m, d: birthday.d };
}

/** Whether `localDate` is in the member's birthday day, Monday–Sunday week, or month. */
export function inBirthdayWindow(localDate: string, birthday: string, window: 'day' | 'week' | 'month'): boolean {
  const today = parseDate(localDate);
  const born = parseDate(birthday);
  const celebrated = birthdayIn(today.y, born);
  if (window === 'month') return today.m === born.m;
  if (window === 'day') return today.m === celebrated.m && today.d === celebrated.d;
  const todayN = dayNumber(today);
  // 1970-01-01 was a Thursday: ISO weekday 4.
  const monday = (n: number) => n - (((n + 3) % 7) + 7) % 7;
  // A birthday week can straddle New Year, so look at this year's and the neighbours'.
  for (const y of [today.y - 1, today.y, today.y + 1]) {
    if (monday(dayNumber(birthdayIn(y, born))) === monday(todayN)) return true;
  }
  return false;
}

/** Whether the promotion's dates, weekdays and hours contain the store-local time `at`. */
export function inTimeWindow(p: Promotion, at: LocalTime): boolean {
  if (p.validFrom !== null && at.localDate < p.validFrom) return false;
  if (p.validTo !== null && at.localDate > p.validTo) return false;
  if (p.daysOfWeek && p.daysOfWeek.length > 0 && !p.daysOfWeek.includes(at.weekday)) return false;
  if (p.hours) {
    const { fromMinute, toMinute } = p.hours;
    if (fromMinute === toMinute) return true;
    const inside =
      fromMinute < toMinute
        ? at.minuteOfDay >= fromMinute && at.minuteOfDay < toMinute
        : at.minuteOfDay >= fromMinute || at.minuteOfDay < toMinute;
    if (!inside) return false;
  }
  return true;
}
