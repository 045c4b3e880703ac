/**
 * A parser of IATA RP 1745 baggage messages (BSM, BTM, BPM, BUM): plain text, one element a line, framed by the
 * type and END<type>, with an optional CHG or DEL line after the type. Every element it reads is validated; the
 * others are kept as unknown. A bad message throws BaggageMessageError, whose reason names the line:
 * `line 4: .N tag count "00A" is not a number`. No I/O: pure, so the fuzz test can run it ten thousand times.
 */
import { InvalidMessage } from "../infra/errors.ts";
import { dayAndMonth, flightIdOn, nearestDate } from "./flight_date.ts";

export const MESSAGE_TYPES = ["BSM", "BTM", "BPM", "BUM"] as const;
export type MessageType = typeof MESSAGE_TYPES[number];

/** What the source indicator of `.V` says about the bag at the receiving airport. */
export const SOURCES = { L: "local", T: "transfer", X: "terminating", R: "remote" } as const;
export type Source = typeof SOURCES[keyof typeof SOURCES];

/** A baggage message that breaks the format, at `line` (1-based, counting every line of the text). */
export class BaggageMessageError extends InvalidMessage {
  override name = "BaggageMessageError";
  constructor(readonly line: number, readonly problem: string) {
    super(`line ${line}: ${problem}`);
  }
}

/** A flight element (.I, .F, .O): the flight as written, its date, and the id they make. */
export interface FlightElement {
  readonly designator: string;
  /** As written: DDMMM. */
  readonly date: string;
  readonly airport: string | null;
  readonly class: string | null;
  /** `BA0282-2026-02-05`: see flight_date.ts. */
  readonly id: string;
  readonly line: number;
}

/** .J, processing information (BPM): its fields as written, and where and when when they are there. */
export interface Processing {
  readonly fields: readonly string[];
  readonly location: string | null;
  /**
   * ISO 8601 (UTC), from a time (HHMM or HHMMSS, Z or no suffix) and a date (DDMMM) among the fields; null when a
   * field is missing or the time is local (suffix L: the message does not say which time zone).
   */
  readonly at: string | null;
}

export interface BaggageMessage {
  readonly type: MessageType;
  /** No CHG or DEL line: an addition. */
  readonly action: "add" | "change" | "delete";
  readonly version: { readonly number: number; readonly source: Source; readonly airport: string } | null;
  readonly inbound: FlightElement | null;
  readonly outbound: FlightElement | null;
  readonly onward: readonly FlightElement[];
  /** Every tag, the consecutive ones of each `.N` expanded, in order. */
  readonly tags: readonly string[];
  /** The line of the `.N` of each tag. */
  readonly tagLines: readonly number[];
  readonly exceptions: readonly string[];
  readonly passenger: readonly string[] | null;
  readonly pnr: string | null;
  /** .W: K kilograms, L pounds, P pieces only; a count and a weight when given. */
  readonly weight: {
    readonly unit: "K" | "L" | "P";
    readonly pieces: number | null;
    readonly weight: number | null;
  } | null;
  readonly processing: Processing | null;
  readonly irregularities: readonly string[];
  readonly screening: readonly string[] | null;
  /** Elements this parser does not read (.S, .U, .D, and any other letter), as written. */
  readonly unknown: readonly { readonly element: string; readonly value: string; readonly line: number }[];
}

export interface ParseOptions {
  readonly maxBytes: number;
  /** The message's time (Unix seconds), which decides the year of the flights' dates. */
  readonly messageSeconds: number;
}

/** Elements a message holds once at most. */
const SINGLE = new Set(["V", "I", "F", "P", "L", "W", "J", "B", "X"]);
const DESIGNATOR = /^(?=[A-Z0-9]{2})(?![0-9]{2})[A-Z0-9]{2}[A-Z]?\d{1,4}[A-Z]?$/;
const AIRPORT = /^[A-Z]{3}$/;
const CODE = /^[A-Z0-9]{2,8}$/;
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Parses `value` as one baggage message, or throws BaggageMessageError (an InvalidMessage). */
export function parseBaggageMessage(value: Uint8Array | string, options: ParseOptions): BaggageMessage {
  const bytes = typeof value === "string" ? undefined : value;
  const size = bytes?.byteLength ?? value.length;
  if (size > options.maxBytes) {
    const line = bytes
      ? lineAt(bytes, options.maxBytes)
      : (value as string).slice(0, options.maxBytes).split("\n").length;
    throw new BaggageMessageError(
      line,
      `the message goes past MAX_MESSAGE_BYTES (${options.maxBytes}) here: it has ${size} bytes`,
    );
  }
  let text: string;
  try {
    text = bytes ? decoder.decode(bytes) : (value as string);
  } catch {
    throw new BaggageMessageError(firstUndecodableLine(bytes!), "not valid UTF-8");
  }
  return new MessageReader(text.split("\n"), options.messageSeconds * 1000).read();
}

const NEWLINE = 0x0a;

/** The line (1-based) holding byte `offset` of `bytes`. */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.byteLength; i++) if (bytes[i] === NEWLINE) line++;
  return line;
}

/** The first line of `bytes` that is not valid UTF-8 (a multi-byte character never spans a newline). */
function firstUndecodableLine(bytes: Uint8Array): number {
  let start = 0;
  let line = 1;
  for (let i = 0; i <= bytes.byteLength; i++) {
    if (i < bytes.byteLength && bytes[i] !== NEWLINE) continue;
    try {
      decoder.decode(bytes.subarray(start, i));
    } catch {
      return line;
    }
    start = i + 1;
    line++;
  }
  return line;
}

class MessageReader {
  private type: MessageType = "BSM";
  private action: BaggageMessage["action"] = "add";
  private version: BaggageMessage["version"] = null;
  private inbound: FlightElement | null = null;
  private outbound: FlightElement | null = null;
  private readonly onward: FlightElement[] = [];
  private readonly tags: string[] = [];
  private readonly tagLines: number[] = [];
  private readonly tagSet = new Set<string>();
  private readonly exceptions: string[] = [];
  private passenger: string[] | null = null;
  private pnr: string | null = null;
  private weight: BaggageMessage["weight"] = null;
  private processing: Processing | null = null;
  private irregularities: string[] = [];
  private screening: string[] | null = null;
  private readonly unknown: { element: string; value: string; line: number }[] = [];
  private readonly seen = new Set<string>();

  private readonly messageYear: number;

  constructor(private readonly lines: readonly string[], private readonly messageMs: number) {
    this.messageYear = new Date(messageMs).getUTCFullYear();
  }

  read(): BaggageMessage {
    const lines = this.lines;
    let i = 0;
    const next = () => {
      while (i < lines.length && clean(lines[i]!) === "") i++;
      return i < lines.length ? clean(lines[i]!) : undefined;
    };
    const first = next();
    if (first === undefined) throw new BaggageMessageError(1, "empty message");
    if (!(MESSAGE_TYPES as readonly string[]).includes(first)) {
      throw new BaggageMessageError(i + 1, `"${excerpt(first)}" is not a baggage message type (BSM, BTM, BPM, BUM)`);
    }
    this.type = first as MessageType;
    i++;
    const second = next();
    // Some systems write the addition out (ADD); RP 1745 leaves the line out.
    if (second === "CHG" || second === "DEL" || second === "ADD") {
      this.action = second === "CHG" ? "change" : second === "DEL" ? "delete" : "add";
      i++;
    }
    const end = `END${this.type}`;
    for (;;) {
      const line = next();
      if (line === undefined) throw new BaggageMessageError(lines.length, `no ${end} after the last element`);
      const number = i + 1;
      i++;
      if (line === end) break;
      if (/^END[A-Z]{3}$/.test(line)) throw new BaggageMessageError(number, `${line} ends a ${this.type}`);
      this.element(line, number);
    }
    const endLine = i;
    if (next() !== undefined) throw new BaggageMessageError(i + 1, `text after ${end}`);
    this.requireElements(endLine);
    return {
      type: this.type,
      action: this.action,
      version: this.version,
      inbound: this.inbound,
      outbound: this.outbound,
      onward: this.onward,
      tags: this.tags,
      tagLines: this.tagLines,
      exceptions: this.exceptions,
      passenger: this.passenger,
      pnr: this.pnr,
      weight: this.weight,
      processing: this.processing,
      irregularities: this.irregularities,
      screening: this.screening,
      unknown: this.unknown,
    };
  }

  private element(line: string, number: number): void {
    const letterCode = line.charCodeAt(1);
    if (line.length < 3 || line[0] !== "." || line[2] !== "/" || letterCode < 65 || letterCode > 90) {
      throw new BaggageMessageError(number, `"${excerpt(line)}" is not an element (.X/…)`);
    }
    const letter = line[1]!;
    const fields = line.slice(3).split("/");
    const fail = (problem: string): never => {
      throw new BaggageMessageError(number, `.${letter} ${problem}`);
    };
    if (SINGLE.has(letter)) {
      if (this.seen.has(letter)) fail("appears twice");
      this.seen.add(letter);
    }
    switch (letter) {
      case "V":
        this.version = readVersion(fields, fail);
        return;
      case "I":
        this.inbound = this.flight(fields, number, fail);
        return;
      case "F":
        this.outbound = this.flight(fields, number, fail);
        return;
      case "O":
        this.onward.push(this.flight(fields, number, fail));
        return;
      case "N":
        this.addTags(fields, number, fail);
        return;
      case "E":
        this.exceptions.push(...codes(fields, "exception", fail));
        return;
      case "B":
        this.irregularities = codes(fields, "irregularity", fail);
        return;
      case "P":
        if (fields.every((field) => field === "")) fail("has no passenger name");
        if (fields.some((field) => !/^[A-Z0-9 .'-]*$/.test(field))) {
          fail(`name "${excerpt(fields.join("/"))}" has characters other than A-Z, 0-9, space, . ' -`);
        }
        this.passenger = fields;
        return;
      case "L":
        if (!/^[A-Z0-9]{5,8}$/.test(fields[0] ?? "")) {
          fail(`record locator "${excerpt(fields[0] ?? "")}" is not 5-8 letters or digits`);
        }
        this.pnr = fields[0]!;
        return;
      case "W":
        this.weight = readWeight(fields, fail);
        return;
      case "J":
        this.processing = this.readProcessing(fields);
        return;
      case "X":
        this.screening = fields;
        return;
      default:
        this.unknown.push({ element: letter, value: line.slice(3), line: number });
    }
  }

  private flight(fields: readonly string[], line: number, fail: (problem: string) => never): FlightElement {
    const [designator = "", date = "", airport = "", travelClass = ""] = fields;
    if (!DESIGNATOR.test(designator)) {
      fail(`flight "${excerpt(designator)}" is not an airline code and a number (BA0282)`);
    }
    const parsed = dayAndMonth(date);
    if (typeof parsed === "string") fail(parsed);
    const { day, month } = parsed as { day: number; month: number };
    const calendar = nearestDate(day, month, this.messageMs, this.messageYear);
    if (calendar === undefined) fail(`date "${date}": no leap year is near the message's time`);
    if (airport !== "" && !AIRPORT.test(airport)) fail(`airport "${excerpt(airport)}" is not 3 letters`);
    if (travelClass !== "" && !/^[A-Z]$/.test(travelClass)) fail(`class "${excerpt(travelClass)}" is not one letter`);
    return {
      designator,
      date,
      airport: airport === "" ? null : airport,
      class: travelClass === "" ? null : travelClass,
      id: flightIdOn(designator, calendar!),
      line,
    };
  }

  private addTags(fields: readonly string[], line: number, fail: (problem: string) => never): void {
    const field = fields[0] ?? "";
    const tag = field.slice(0, 10);
    const count = field.slice(10);
    if (!/^\d{10}$/.test(tag)) fail(`tag number "${excerpt(tag)}" is not 10 digits`);
    if (!/^\d{3}$/.test(count)) fail(`tag count "${excerpt(count)}" is not a number`);
    const n = Number(count);
    if (n === 0) fail("tag count 000 counts no bag");
    if (Number(tag) + n - 1 > 9_999_999_999) fail(`tags from ${tag} (${n}) go past 9999999999`);
    for (let k = 0; k < n; k++) {
      const expanded = String(Number(tag) + k).padStart(10, "0");
      if (this.tagSet.has(expanded)) fail(`tag ${expanded} is listed twice`);
      this.tagSet.add(expanded);
      this.tags.push(expanded);
      this.tagLines.push(line);
    }
  }

  private readProcessing(fields: readonly string[]): Processing {
    const time = fields.find((field) => /^(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?[LZ]?$/.test(field));
    const date = fields.find((field) => typeof dayAndMonth(field) !== "string");
    let at: string | null = null;
    if (time && date && !time.endsWith("L")) {
      const { day, month } = dayAndMonth(date) as { day: number; month: number };
      const calendar = nearestDate(day, month, this.messageMs, this.messageYear);
      if (calendar !== undefined) {
        const seconds = /^\d{6}/.test(time) ? Number(time.slice(4, 6)) : 0;
        const ms = calendar.ms + (Number(time.slice(0, 2)) * 60 + Number(time.slice(2, 4))) * 60_000 + seconds * 1000;
        at = new Date(ms).toISOString();
      }
    }
    const location = fields[2] !== undefined && fields[2] !== "" ? fields[2] : null;
    return { fields, location, at };
  }

  /** The elements each type needs, and those each source indicator needs. */
  private requireElements(endLine: number): void {
    const missing = (what: string): never => {
      throw new BaggageMessageError(endLine, `${this.type} has no ${what}`);
    };
    if (this.tags.length === 0) missing(".N (tag number)");
    if (this.type === "BUM" || this.type === "BPM") return;
    if (this.version === null) missing(".V (version and source indicator)");
    if (this.action === "delete") return;
    if (this.type === "BTM" && (this.inbound === null || this.outbound === null)) {
      missing(this.inbound === null ? ".I (inbound flight)" : ".F (outbound flight)");
    }
    const source = this.version!.source;
    // A transfer BSM may leave its inbound flight out (RP 1745's shortest example does): the bag then starts here.
    if (source === "terminating" && this.inbound === null) {
      missing(`.I (inbound flight), which a ${source} bag needs`);
    }
    if ((source === "local" || source === "remote" || source === "transfer") && this.outbound === null) {
      missing(`.F (outbound flight), which a ${source} bag needs`);
    }
  }
}

function readVersion(fields: readonly string[], fail: (problem: string) => never): BaggageMessage["version"] {
  const field = fields[0] ?? "";
  const match = /^(\d)([A-Z])([A-Z]{3})$/.exec(field);
  if (!match) fail(`"${excerpt(field)}" is not a version, a source indicator and an airport (1TLHR)`);
  const source = SOURCES[match![2] as keyof typeof SOURCES];
  if (source === undefined) fail(`source indicator "${match![2]}" is not L, T, X or R`);
  return { number: Number(match![1]), source, airport: match![3]! };
}

function readWeight(fields: readonly string[], fail: (problem: string) => never): BaggageMessage["weight"] {
  const [unit = "", pieces = "", weight = ""] = fields;
  if (unit !== "K" && unit !== "L" && unit !== "P") fail(`unit "${excerpt(unit)}" is not K, L or P`);
  if (pieces !== "" && !/^\d{1,3}$/.test(pieces)) fail(`pieces "${excerpt(pieces)}" is not a number`);
  if (weight !== "" && !/^\d{1,5}$/.test(weight)) fail(`weight "${excerpt(weight)}" is not a number`);
  return {
    unit: unit as "K" | "L" | "P",
    pieces: pieces === "" ? null : Number(pieces),
    weight: weight === "" ? null : Number(weight),
  };
}

function codes(fields: readonly string[], what: string, fail: (problem: string) => never): string[] {
  for (const code of fields) if (!CODE.test(code)) fail(`${what} "${excerpt(code)}" is not 2-8 letters or digits`);
  return [...fields];
}

/** A line without its CR and surrounding blanks. */
const clean = (line: string) => line.trim();

/** At most 40 characters of `text`, printable, for a reason. */
function excerpt(text: string): string {
  // deno-lint-ignore no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable;
}
