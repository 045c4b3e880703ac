/**
 * parseTypeBMessage: the framing of an RP 1745 baggage message (its type, an optional CHG or DEL line, one element
 * a line, END<type>) and the dispatch of its elements to their readers (elements.ts); required_elements.ts says
 * what each type needs. Elements a message holds once at most: `.V .I .F .P .W .L .J .X .S .U .D`; `.N .O .E .B`
 * and unknown ones repeat. No I/O.
 */
import { InvalidMessage } from "../infra/errors.ts";
import {
  excerpt,
  fail,
  readExceptions,
  readFlight,
  readIrregularity,
  readPassenger,
  readPnr,
  readProcessing,
  readReconciliation,
  readScreening,
  readTagElement,
  readVersion,
  readWeight,
  splitFields,
  type TagRange,
} from "./elements.ts";
import { missingElement } from "./required_elements.ts";
import {
  type Flight,
  type Irregularity,
  MESSAGE_TYPES,
  type MessageType,
  type TypeBMessage,
  type UnknownElement,
} from "./type_b_message.ts";

export interface ParseOptions {
  /** The largest message accepted, in UTF-8 bytes (the consumer passes MAX_MESSAGE_BYTES). */
  readonly maxBytes?: number;
  /** The most tags a message may expand to (a `.N/…999` alone is 999). */
  readonly maxTags?: number;
}

export const DEFAULT_MAX_BYTES = 65_536;
export const DEFAULT_MAX_TAGS = 1_000;

const decoder = new TextDecoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * Parses one baggage message, text or UTF-8 bytes. Throws BaggageMessageError (an InvalidMessage) naming the line
 * for anything wrong in the text, and a plain InvalidMessage for what is wrong with the whole value (too large, not
 * UTF-8, empty).
 */
export function parseTypeBMessage(value: string | Uint8Array, options: ParseOptions = {}): TypeBMessage {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let text: string;
  if (typeof value === "string") {
    // A UTF-16 unit is 1 to 3 UTF-8 bytes: only a string near the limit is encoded to measure it.
    if (value.length > maxBytes || (value.length * 3 > maxBytes && encoder.encode(value).byteLength > maxBytes)) {
      throw new InvalidMessage(`message of ${encoder.encode(value).byteLength} bytes exceeds maxBytes (${maxBytes})`);
    }
    if (!value.isWellFormed()) throw new InvalidMessage("message is not valid Unicode (a lone surrogate)");
    text = value;
  } else {
    if (value.byteLength > maxBytes) {
      throw new InvalidMessage(`message of ${value.byteLength} bytes exceeds maxBytes (${maxBytes})`);
    }
    // The strict decoder costs three times the lenient one here: only a text with a U+FFFD (a replaced bad
    // sequence, or one written as such) is decoded again to tell which.
    text = decoder.decode(value);
    if (text.indexOf("\uFFFD") !== -1) {
      try {
        strictDecoder.decode(value);
      } catch {
        throw new InvalidMessage("message is not valid UTF-8");
      }
    }
  }
  return new MessageReader(text, options.maxTags ?? DEFAULT_MAX_TAGS).read();
}

const letterBit = (letter: string) => 1 << (letter.charCodeAt(0) - 65);
const lettersMask = (letters: string) => [...letters].reduce((mask, letter) => mask | letterBit(letter), 0);
const SINGLE = lettersMask("VIFPWLJXSUD");
/**
 * Elements whose readers check every character (flights, tags, codes, names, the PNR): the others keep some text
 * as written, so their lines are first checked for control characters, which no element may hold.
 */
const CHECKED_BY_READER = lettersMask("IFONBEPL");
/** A list this short is searched for a repeated tag; a longer one gets a Set. */
const LINEAR_TAG_SEARCH_MAX = 8;

/** Throws at the first control character (tab and CR included: only blanks around a line are dropped). */
function requirePrintable(line: string, number: number): void {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 32 || c === 127) {
      fail(number, `control character U+${c.toString(16).toUpperCase().padStart(4, "0")} in "${excerpt(line)}"`);
    }
  }
}

/** A TypeBMessage being read: its fields writable, its lists growable. */
type Draft = { -readonly [K in keyof TypeBMessage]: TypeBMessage[K] } & {
  tags: string[];
  onward: Flight[];
  exceptions: string[];
  irregularities: Irregularity[];
  unknown: UnknownElement[];
};

class MessageReader {
  /** Where the next line starts, and the number of the line last read (1-based). */
  private position = 0;
  private lineNumber = 0;
  /** The single-occurrence elements seen, a bit a letter. */
  private seen = 0;
  private tagSet: Set<string> | undefined;
  private readonly message: Draft = {
    type: "BSM",
    action: "add",
    onward: [],
    tags: [],
    exceptions: [],
    irregularities: [],
    unknown: [],
  };

  constructor(private readonly text: string, private readonly maxTags: number) {}

  read(): TypeBMessage {
    const first = this.nextLine();
    if (first === undefined) throw new InvalidMessage("message is empty");
    if (!(MESSAGE_TYPES as readonly string[]).includes(first)) {
      fail(this.lineNumber, `"${excerpt(first)}" is not a message type this parser reads (BSM, BTM, BPM, BUM)`);
    }
    const message = this.message;
    message.type = first as MessageType;
    const end = `END${first}`;
    let lastLine = this.lineNumber;
    let line = this.nextLine();
    // RP 1745 writes no line for an addition; some senders write ADD.
    if (line === "CHG" || line === "DEL" || line === "ADD") {
      message.action = line === "CHG" ? "change" : line === "DEL" ? "delete" : "add";
      lastLine = this.lineNumber;
      line = this.nextLine();
    }
    while (line !== end) {
      if (line === undefined) fail(lastLine, `${first} has no ${end} after its last line`);
      if (line.startsWith("END")) {
        fail(
          this.lineNumber,
          line.startsWith("ENDPART")
            ? `${line} ends one part of a multi-part message: parts are not joined`
            : `${excerpt(line)} does not end a ${first} (${end} does)`,
        );
      }
      this.element(line, this.lineNumber);
      lastLine = this.lineNumber;
      line = this.nextLine();
    }
    const endLine = this.lineNumber;
    const after = this.nextLine();
    if (after !== undefined) fail(this.lineNumber, `text after ${end}: "${excerpt(after)}"`);
    const missing = missingElement(message);
    if (missing !== undefined) fail(endLine, missing);
    return message;
  }

  /**
   * The next line that is not blank, without its blanks (spaces, tabs) and CRs around it; undefined at the end.
   * Control characters inside it are left to element(): checking every character here cost a tenth of the parse.
   */
  private nextLine(): string | undefined {
    const text = this.text;
    while (this.position < text.length) {
      let end = text.indexOf("\n", this.position);
      if (end === -1) end = text.length;
      let start = this.position;
      this.position = end + 1;
      this.lineNumber++;
      let c = text.charCodeAt(end - 1);
      while (end > start && (c === 32 || c === 9 || c === 13)) c = text.charCodeAt(--end - 1);
      c = text.charCodeAt(start);
      while (start < end && (c === 32 || c === 9)) c = text.charCodeAt(++start);
      if (start === end) continue;
      return text.slice(start, end);
    }
    return undefined;
  }

  private element(line: string, number: number): void {
    const letterCode = line.charCodeAt(1);
    if (
      line.length < 3 || line.charCodeAt(0) !== 46 || line.charCodeAt(2) !== 47 || letterCode < 65 || letterCode > 90
    ) {
      fail(number, `"${excerpt(line)}" is not an element (.X/… with X a letter)`);
    }
    const letter = line[1]!;
    const bit = 1 << (letterCode - 65);
    if ((CHECKED_BY_READER & bit) === 0) requirePrintable(line, number);
    if ((SINGLE & bit) !== 0) {
      if ((this.seen & bit) !== 0) {
        // RP 1745 lets a BTM group its bags under several .F, each with passengers' .N/.W/.P: not this contract.
        const grouped = this.message.type === "BTM" &&
          (letter === "F" || letter === "P" || letter === "W" || letter === "S");
        const why = grouped ? " (a BTM is read with one outbound flight and one passenger's data)" : "";
        fail(number, `.${letter} appears twice: a message has one at most${why}`);
      }
      this.seen |= bit;
    }
    const message = this.message;
    switch (letter) {
      case "V":
        message.version = readVersion(line, number);
        return;
      case "I":
        message.inbound = readFlight(line, number);
        return;
      case "F":
        message.outbound = readFlight(line, number);
        return;
      case "O":
        message.onward.push(readFlight(line, number));
        return;
      case "N":
        this.addTags(".N", readTagElement(line, number), number);
        return;
      case "B": {
        const { code, range } = readIrregularity(line, number);
        const from = message.tags.length;
        if (range !== undefined) this.addTags(".B", range, number);
        message.irregularities.push({ code, tags: message.tags.slice(from), line: number });
        return;
      }
      case "E":
        readExceptions(line, number, message.exceptions);
        return;
      case "P":
        message.passenger = readPassenger(line, number);
        return;
      case "W":
        message.weight = readWeight(line, number);
        return;
      case "L":
        message.pnr = readPnr(line, number);
        return;
      case "J":
        message.processing = readProcessing(line, number);
        return;
      case "X":
        message.screening = readScreening(line, number);
        return;
      case "S":
        message.reconciliation = readReconciliation(line, number);
        return;
      case "U":
        message.loading = splitFields(line);
        return;
      case "D":
        message.checkIn = splitFields(line);
        return;
      default:
        message.unknown.push({ element: letter, value: line.slice(3), line: number });
    }
  }

  private addTags(element: string, range: TagRange, line: number): void {
    const tags = this.message.tags;
    const total = tags.length + range.count;
    if (total > this.maxTags) fail(line, `${element} makes ${total} tags, more than maxTags (${this.maxTags})`);
    const first = Number(range.first);
    for (let k = 0; k < range.count; k++) {
      const tag = k === 0 ? range.first : String(first + k).padStart(10, "0");
      if (this.hasTag(tag)) fail(line, `${element} tag ${tag} is listed twice`);
      tags.push(tag);
      if (this.tagSet !== undefined) this.tagSet.add(tag);
      else if (tags.length > LINEAR_TAG_SEARCH_MAX) this.tagSet = new Set(tags);
    }
  }

  private hasTag(tag: string): boolean {
    if (this.tagSet !== undefined) return this.tagSet.has(tag);
    const tags = this.message.tags;
    for (let i = 0; i < tags.length; i++) if (tags[i] === tag) return true;
    return false;
  }
}
