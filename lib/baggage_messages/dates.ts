/**
 * Dates as baggage messages write them, `05FEB` (day and month, no year), and the rule that gives them a year: the
 * one (among the message's year, the one before and the one after, in UTC) that puts the day nearest to the
 * message's time. Pure and allocation-light: every flight of every message goes through here.
 */

export const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;

/** 29 for February: whether 29FEB exists is decided with the year. */
const LONGEST_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Month index by its three letters' codes packed in a number: no string is cut to look a month up. */
const MONTH_INDEX = new Map<number, number>(MONTHS.map((name, index) => [packLetters(name, 0), index]));
const DAY_MS = 86_400_000;

/** A day of a month (0-11) that exists in some year, or why `text` is not one; for DDMMM checks. */
export function readDayMonth(text: string): { day: number; month: number } | string {
  const d1 = text.charCodeAt(0) - 48;
  const d2 = text.charCodeAt(1) - 48;
  if (text.length !== 5 || !(d1 >= 0 && d1 <= 9) || !(d2 >= 0 && d2 <= 9)) {
    return `date "${text}" is not DDMMM (05FEB)`;
  }
  const month = MONTH_INDEX.get(packLetters(text, 2));
  if (month === undefined) return `date "${text}" has no month ${text.slice(2)} (JAN to DEC)`;
  const day = d1 * 10 + d2;
  if (day < 1 || day > LONGEST_MONTH[month]!) return `date "${text}": ${MONTHS[month]} has no day ${day}`;
  return { day, month };
}

function packLetters(text: string, from: number): number {
  return (text.charCodeAt(from) << 16) | (text.charCodeAt(from + 1) << 8) | text.charCodeAt(from + 2);
}

export const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** A calendar date (month 0-11) and its UTC midnight in ms. */
export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly ms: number;
}

/**
 * The day/month in the year that puts it nearest to `messageTime`, measured from the day's middle (UTC noon), among
 * the message's year and its neighbours; on an exact tie the earlier. Undefined for 29 February when none of the
 * three years is a leap year.
 */
export function nearestDate(day: number, month: number, messageTime: Date): CalendarDate | undefined {
  const messageMs = messageTime.getTime();
  const messageYear = messageTime.getUTCFullYear();
  let bestYear = 0;
  let bestMs = 0;
  let bestDistance = Infinity;
  for (let year = messageYear - 1; year <= messageYear + 1; year++) {
    if (month === 1 && day === 29 && !isLeapYear(year)) continue;
    const ms = Date.UTC(year, month, day);
    const distance = Math.abs(ms + DAY_MS / 2 - messageMs);
    if (distance < bestDistance) {
      bestYear = year;
      bestMs = ms;
      bestDistance = distance;
    }
  }
  return bestDistance === Infinity ? undefined : { year: bestYear, month, day, ms: bestMs };
}

const twoDigits = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** `2026-02-05`. */
export const isoDate = (date: CalendarDate) => `${date.year}-${twoDigits(date.month + 1)}-${twoDigits(date.day)}`;

/**
 * Whether `text` is a time of day as a .J element writes it: HHMM or HHMMSS, then `L` (local time) or `Z` (UTC) or
 * nothing.
 */
export function isTimeOfDay(text: string): boolean {
  let end = text.length;
  const last = text.charCodeAt(end - 1);
  if (last === 76 /* L */ || last === 90 /* Z */) end--;
  if (end !== 4 && end !== 6) return false;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  const hours = Number(text.slice(0, 2));
  const minutes = Number(text.slice(2, 4));
  const seconds = end === 6 ? Number(text.slice(4, 6)) : 0;
  return hours < 24 && minutes < 60 && seconds < 60;
}

/**
 * The UTC instant (ISO 8601) of a date (DDMMM) and a time of day written in UTC (`Z`), the year from
 * nearestDate; undefined when either is missing or invalid, or the time is local (`L`) or without a zone: the
 * message does not say the airport's time zone.
 */
export function utcInstant(date: string | undefined, time: string | undefined, messageTime: Date): string | undefined {
  if (date === undefined || time === undefined || !time.endsWith("Z") || !isTimeOfDay(time)) return undefined;
  const dayMonth = readDayMonth(date);
  if (typeof dayMonth === "string") return undefined;
  const calendar = nearestDate(dayMonth.day, dayMonth.month, messageTime);
  if (calendar === undefined) return undefined;
  const seconds = time.length === 7 ? Number(time.slice(4, 6)) : 0;
  const ms = calendar.ms + ((Number(time.slice(0, 2)) * 60 + Number(time.slice(2, 4))) * 60 + seconds) * 1000;
  return new Date(ms).toISOString();
}
