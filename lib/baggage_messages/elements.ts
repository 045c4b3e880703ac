/**
 * The readers of single RP 1745 elements: each takes an element line (`.X/…`, trimmed) and its number, validates
 * what RP 1745 defines for it and returns it typed, or throws BaggageMessageError naming the element and the bad
 * field. They run for every element of every message: checks are character loops rather than regular expressions,
 * and fields are cut from the line directly (String.prototype.split measured about twice as slow here).
 */
import { isTimeOfDay, readDayMonth } from "./dates.ts";
import {
  BaggageMessageError,
  type Flight,
  type Passenger,
  type Processing,
  type Screening,
  SOURCES,
  type Version,
  type Weight,
} from "./type_b_message.ts";

const isDigit = (c: number) => c >= 48 && c <= 57;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isUpperOrDigit = (c: number) => isUpper(c) || isDigit(c);

/** Every character of `text` is an uppercase letter or a digit. */
function allUpperOrDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isUpperOrDigit(text.charCodeAt(i))) return false;
  return true;
}

function allDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

const isAirport = (text: string) =>
  text.length === 3 && isUpper(text.charCodeAt(0)) && isUpper(text.charCodeAt(1)) && isUpper(text.charCodeAt(2));

/** A code of 2-8 uppercase letters or digits (.E exceptions, .B statuses). */
const isCode = (text: string) => text.length >= 2 && text.length <= 8 && allUpperOrDigits(text);

/** The `/`-separated fields of `line` from index `from` (3: after `.X/`). */
export function splitFields(line: string, from = 3): string[] {
  const fields: string[] = [];
  let start = from;
  for (;;) {
    const slash = line.indexOf("/", start);
    if (slash === -1) {
      fields.push(line.slice(start));
      return fields;
    }
    fields.push(line.slice(start, slash));
    start = slash + 1;
  }
}

/** At most 40 characters of `text`, control characters shown as `?`, for an error. */
export function excerpt(text: string): string {
  // deno-lint-ignore no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, "?");
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable;
}

/** Throws BaggageMessageError: `problem` at `line`. */
export function fail(line: number, problem: string): never {
  throw new BaggageMessageError(line, problem);
}

/**
 * A flight designator as RP 1745 writes it: a 2-character airline code (letters and digits, not two digits), a
 * 1-4 digit flight number (zero padded or not) and an optional operational suffix letter.
 */
export function isDesignator(text: string): boolean {
  const length = text.length;
  if (length < 3 || length > 7) return false;
  const a = text.charCodeAt(0);
  const b = text.charCodeAt(1);
  if (!isUpperOrDigit(a) || !isUpperOrDigit(b) || (isDigit(a) && isDigit(b))) return false;
  const end = isUpper(text.charCodeAt(length - 1)) ? length - 1 : length;
  if (end - 2 < 1 || end - 2 > 4) return false;
  for (let i = 2; i < end; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

/** `.V/1TLHR/…`. */
export function readVersion(line: string, number: number): Version {
  const slash = line.indexOf("/", 3);
  const end = slash === -1 ? line.length : slash;
  const airport = line.slice(5, end);
  if (end !== 8 || !isDigit(line.charCodeAt(3)) || !isUpper(line.charCodeAt(4)) || !isAirport(airport)) {
    const first = line.slice(3, end);
    fail(number, `.V "${excerpt(first)}" is not a version digit, a source indicator and an airport (1LLHR)`);
  }
  const source = SOURCES[line[4] as keyof typeof SOURCES];
  if (source === undefined) fail(number, `.V source indicator "${line[4]}" is not L, T, X or R`);
  const supplementary = slash === -1 ? [] : splitFields(line, slash + 1);
  return { number: line.charCodeAt(3) - 48, source, airport, supplementary };
}

/** `.I/BA0117/05FEB/JFK/Y`, `.F/…` or `.O/…`: flight, date, airport, and the class when given. */
export function readFlight(line: string, number: number): Flight {
  const fields = splitFields(line);
  const element = line.slice(0, 2);
  if (fields.length > 4) {
    fail(number, `${element} has fields after flight, date, airport and class: "${excerpt(line.slice(3))}"`);
  }
  const designator = fields[0]!;
  if (!isDesignator(designator)) {
    fail(number, `${element} flight "${excerpt(designator)}" is not an airline code and a 1-4 digit number (BA0117)`);
  }
  const date = fields[1];
  if (date === undefined || date === "") fail(number, `${element} has no date (DDMMM)`);
  const dayMonth = readDayMonth(date);
  if (typeof dayMonth === "string") fail(number, `${element} ${dayMonth}`);
  const airport = fields[2];
  if (airport === undefined || airport === "") fail(number, `${element} has no airport`);
  if (!isAirport(airport)) fail(number, `${element} airport "${excerpt(airport)}" is not 3 letters`);
  const travelClass = fields[3];
  if (travelClass === undefined || travelClass === "") return { designator, date, airport, line: number };
  if (travelClass.length !== 1 || !isUpper(travelClass.charCodeAt(0))) {
    fail(number, `${element} class "${excerpt(travelClass)}" is not one letter`);
  }
  return { designator, date, airport, class: travelClass, line: number };
}

/** The first tag and the count of consecutive tags of a `.N` (or `.B`) field: `0125728359002`. */
export interface TagRange {
  readonly first: string;
  readonly count: number;
}

/**
 * The tag range written in `line` from `start` to `end` (`0125728359002`): a 10-digit tag number and a 3-digit
 * count (001-999) that must not go past 9999999999.
 */
export function readTagRange(line: string, start: number, end: number, number: number): TagRange {
  const element = line.slice(0, 2);
  if (end - start !== 13) {
    const field = excerpt(line.slice(start, end));
    fail(number, `${element} "${field}" is not a 10-digit tag number and a 3-digit count (0125728359002)`);
  }
  for (let i = start; i < start + 10; i++) {
    if (!isDigit(line.charCodeAt(i))) {
      fail(number, `${element} tag number "${line.slice(start, start + 10)}" is not 10 digits`);
    }
  }
  const c1 = line.charCodeAt(start + 10) - 48;
  const c2 = line.charCodeAt(start + 11) - 48;
  const c3 = line.charCodeAt(start + 12) - 48;
  if (!(c1 >= 0 && c1 <= 9 && c2 >= 0 && c2 <= 9 && c3 >= 0 && c3 <= 9)) {
    fail(number, `${element} tag count "${line.slice(start + 10, end)}" is not a number`);
  }
  const count = c1 * 100 + c2 * 10 + c3;
  const first = line.slice(start, start + 10);
  if (count === 0) fail(number, `${element} tag count 000 counts no bag`);
  if (count > 1 && Number(first) + count - 1 > 9_999_999_999) {
    fail(number, `${element} ${line.slice(start + 10, end)} tags from ${first} go past 9999999999`);
  }
  return { first, count };
}

/** `.N/0125728359002`: one field. */
export function readTagElement(line: string, number: number): TagRange {
  if (line.indexOf("/", 3) !== -1) {
    fail(number, `.N has more than a tag number and a count: "${excerpt(line.slice(3))}"`);
  }
  return readTagRange(line, 3, line.length, number);
}

/** `.E/RUSH/PRIO`: one or more codes, appended to `codes`. */
export function readExceptions(line: string, number: number, codes: string[]): void {
  for (const code of splitFields(line)) {
    if (!isCode(code)) fail(number, `.E exception "${excerpt(code)}" is not 2-8 letters or digits`);
    codes.push(code);
  }
}

/** `.B/OFF` or `.B/UNS/0695463055001`: a status code, then optionally the tags it is about. */
export function readIrregularity(line: string, number: number): { code: string; range?: TagRange } {
  const slash = line.indexOf("/", 3);
  const code = line.slice(3, slash === -1 ? line.length : slash);
  if (!isCode(code)) fail(number, `.B status "${excerpt(code)}" is not 2-8 letters or digits`);
  if (slash === -1 || slash === line.length - 1) return { code };
  if (line.indexOf("/", slash + 1) !== -1) {
    fail(number, `.B has more than a status and a tag: "${excerpt(line.slice(3))}"`);
  }
  return { code, range: readTagRange(line, slash + 1, line.length, number) };
}

/** Whether `text` from `from` is a name field: letters, digits (test data has them), spaces, `.`, `'` and `-`. */
function isName(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isUpperOrDigit(c) && c !== 32 && c !== 46 && c !== 39 && c !== 45) return false;
  }
  return true;
}

/** `.P/2SMITH/JOHN/MARY`: optional passenger count digits and a surname, then given names or initials. */
export function readPassenger(line: string, number: number): Passenger {
  const fields = splitFields(line);
  const first = fields[0]!;
  let digits = 0;
  while (digits < first.length && isDigit(first.charCodeAt(digits))) digits++;
  if (digits === first.length) fail(number, `.P has no surname`);
  if (digits > 3 || !isUpper(first.charCodeAt(digits)) || !isName(first, digits)) {
    fail(number, `.P surname "${excerpt(first)}" is not a name (A-Z first) after an optional 1-3 digit count`);
  }
  for (let i = 1; i < fields.length; i++) {
    const name = fields[i]!;
    if (!isName(name, 0)) fail(number, `.P name "${excerpt(name)}" has characters other than A-Z, 0-9, space, . ' -`);
  }
  const surname = digits === 0 ? first : first.slice(digits);
  return digits === 0 ? { surname, fields } : { count: Number(first.slice(0, digits)), surname, fields };
}

/** A number of 1-5 digits, or undefined for an empty or missing field; `what` names it in the error. */
function optionalNumber(field: string | undefined, what: string, number: number): number | undefined {
  if (field === undefined || field === "") return undefined;
  if (field.length > 5 || !allDigits(field)) fail(number, `${what} "${excerpt(field)}" is not a number`);
  return Number(field);
}

/** `.W/K/1/23/…`: indicator K, L or P, then pieces, checked weight, unchecked weight (numbers), the rest raw. */
export function readWeight(line: string, number: number): Weight {
  const fields = splitFields(line);
  const indicator = fields[0]!;
  if (indicator !== "K" && indicator !== "L" && indicator !== "P") {
    fail(number, `.W indicator "${excerpt(indicator)}" is not K (kilograms), L (pounds) or P (pieces)`);
  }
  const pieces = optionalNumber(fields[1], ".W pieces", number);
  const weight = optionalNumber(fields[2], ".W weight", number);
  const uncheckedWeight = optionalNumber(fields[3], ".W unchecked weight", number);
  // The usual shapes as literals: adding properties one by one costs more than the parse of the element.
  if (uncheckedWeight === undefined) {
    if (weight !== undefined && pieces !== undefined) return { indicator, pieces, weight, fields };
    if (weight === undefined && pieces !== undefined) return { indicator, pieces, fields };
  }
  const result: { -readonly [K in keyof Weight]: Weight[K] } = { indicator, fields };
  if (pieces !== undefined) result.pieces = pieces;
  if (weight !== undefined) result.weight = weight;
  if (uncheckedWeight !== undefined) result.uncheckedWeight = uncheckedWeight;
  return result;
}

/** `.L/ABC123`: a record locator of 5-8 letters or digits. */
export function readPnr(line: string, number: number): string {
  const pnr = line.slice(3);
  if (pnr.length < 5 || pnr.length > 8 || !allUpperOrDigits(pnr)) {
    fail(number, `.L record locator "${excerpt(pnr)}" is not 5-8 letters or digits`);
  }
  return pnr;
}

/** `.J/S/agent/scanner/05FEB/1059L/read at/sent to`: the code a letter, the date DDMMM, the time a time of day. */
export function readProcessing(line: string, number: number): Processing {
  const fields = splitFields(line);
  const [code = "", agent, scanner, date, time, location, sentTo] = fields;
  if (code.length !== 1 || !isUpper(code.charCodeAt(0))) {
    fail(number, `.J processing code "${excerpt(code)}" is not one letter (R, S, G, H…)`);
  }
  if (date !== undefined && date !== "") {
    const dayMonth = readDayMonth(date);
    if (typeof dayMonth === "string") fail(number, `.J ${dayMonth}`);
  }
  if (time !== undefined && time !== "" && !isTimeOfDay(time)) {
    fail(number, `.J time "${excerpt(time)}" is not HHMM or HHMMSS, then L, Z or nothing`);
  }
  const result: { -readonly [K in keyof Processing]: Processing[K] } = { code, fields };
  if (agent) result.agent = agent;
  if (scanner) result.scanner = scanner;
  if (date) result.date = date;
  if (time) result.time = time;
  if (location) result.location = location;
  if (sentTo) result.sentTo = sentTo;
  return result;
}

/** `.X/instruction/result/reason/method/autograph/text`: instruction and result codes when given. */
export function readScreening(line: string, number: number): Screening {
  const fields = splitFields(line);
  const [instruction, result] = fields;
  if (instruction && !isCode(instruction)) {
    fail(number, `.X screening instruction "${excerpt(instruction)}" is not 2-8 letters or digits`);
  }
  if (result && !isCode(result)) fail(number, `.X screening result "${excerpt(result)}" is not 2-8 letters or digits`);
  const screening: { -readonly [K in keyof Screening]: Screening[K] } = { fields };
  if (instruction) screening.instruction = instruction;
  if (result) screening.result = result;
  return screening;
}

/** `.S/Y/10A/C/…`: authority to load (Y, N or empty) first, the rest as written. */
export function readReconciliation(line: string, number: number): string[] {
  const fields = splitFields(line);
  const authority = fields[0]!;
  if (authority !== "" && authority !== "Y" && authority !== "N") {
    fail(number, `.S authority to load "${excerpt(authority)}" is not Y or N`);
  }
  return fields;
}
