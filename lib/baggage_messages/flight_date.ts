/**
 * The date of a flight as a baggage message writes it (`05FEB`: day and month, no year), and the flight id built
 * from it (a contract): the flight as written, a `-`, and the ISO date, the year being the one that puts the date
 * nearest to the message's time (`BA0282-2026-02-05`).
 */

export const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const DAY_MS = 86_400_000;

/** Day and month of `DDMMM`, or a reason it is not one. */
export function dayAndMonth(text: string): { day: number; month: number } | string {
  if (!/^\d{2}[A-Z]{3}$/.test(text)) return `date "${text}" is not DDMMM (05FEB)`;
  const month = MONTHS.indexOf(text.slice(2) as typeof MONTHS[number]);
  if (month === -1) return `date "${text}" has no month ${text.slice(2)}`;
  const day = Number(text.slice(0, 2));
  // 29FEB is a date in a leap year: the year is decided later.
  const longest = month === 1 ? 29 : new Date(Date.UTC(2001, month + 1, 0)).getUTCDate();
  if (day < 1 || day > longest) return `date "${text}": ${MONTHS[month]} has no day ${day}`;
  return { day, month };
}

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** A calendar date (month 0-11). */
export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** Its UTC midnight, in ms. */
  readonly ms: number;
}

/**
 * Day/month in the year (`messageYear` - 1, itself or + 1) that puts it nearest to `messageMs`, or undefined for
 * 29 February when none of them is a leap year.
 */
export function nearestDate(
  day: number,
  month: number,
  messageMs: number,
  messageYear: number,
): CalendarDate | undefined {
  let best: CalendarDate | undefined;
  let bestDistance = Infinity;
  for (let year = messageYear - 1; year <= messageYear + 1; year++) {
    if (month === 1 && day === 29 && !isLeap(year)) continue;
    const ms = Date.UTC(year, month, day);
    const distance = Math.abs(ms + DAY_MS / 2 - messageMs);
    if (distance < bestDistance) {
      best = { year, month, day, ms };
      bestDistance = distance;
    }
  }
  return best;
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `BA0282-2026-02-05`: the designator as written and the date. */
export const flightIdOn = (designator: string, date: CalendarDate) =>
  `${designator}-${date.year}-${two(date.month + 1)}-${two(date.day)}`;
