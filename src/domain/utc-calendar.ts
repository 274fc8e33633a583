/**
 * UTC calendar arithmetic on epoch milliseconds, without reading any clock: the date and time fields of
 * an instant, and the instant of given fields (days counted with the proleptic Gregorian calendar).
 *
 * @example
 * utcFields(0)                     // { year: 1970, month: 1, day: 1, hour: 0, minute: 0, weekday: 4 }
 * utcInstant(2026, 1, 5, 9, 15)    // 1767604500000
 */
const MS_PER_DAY = 86_400_000;

export interface UtcFields {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
  /** 1-31 */
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  /** 0 = Sunday */
  readonly weekday: number;
}

/** Days since 1970-01-01 of a calendar date (month 1-12; days and months past their end roll over). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y0 = year + Math.floor((month - 1) / 12);
  const m = ((((month - 1) % 12) + 12) % 12) + 1;
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The calendar date of a day number (days since 1970-01-01). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function utcFields(ms: number): UtcFields {
  const days = Math.floor(ms / MS_PER_DAY);
  const inDay = ms - days * MS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  return { year, month, day, hour: Math.floor(inDay / 3_600_000), minute: Math.floor((inDay % 3_600_000) / 60_000), weekday: (((days + 4) % 7) + 7) % 7 };
}

/** The instant of a UTC date and time (fields past their end roll over, as with Date.UTC). */
export function utcInstant(year: number, month: number, day: number, hour = 0, minute = 0): number {
  return daysFromCivil(year, month, 1) * MS_PER_DAY + (day - 1) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000;
}
