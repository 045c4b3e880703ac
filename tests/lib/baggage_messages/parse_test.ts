/** parseTypeBMessage: framing, line ends and blanks, the value's size and encoding, required and repeated elements. */
import assert from "node:assert/strict";
import { parseTypeBMessage } from "../../../lib/baggage_messages/parse.ts";
import { BaggageMessageError } from "../../../lib/baggage_messages/type_b_message.ts";
import { InvalidMessage } from "../../../lib/infra/errors.ts";

const lines = (...body: string[]) => body.join("\n");
const bytes = (text: string) => new TextEncoder().encode(text);
const parse = parseTypeBMessage;

/** A local bag on BA0282, two consecutive tags: a typical 7-line BSM. */
const BSM = lines(
  "BSM",
  ".V/1LLHR",
  ".F/BA0282/05FEB/LAX/Y",
  ".N/0125728359002",
  ".P/SMITH/JOHNMR",
  ".W/K/2/40",
  "ENDBSM",
);
const EMPTY_LISTS = { onward: [], exceptions: [], irregularities: [], unknown: [] };

Deno.test("parseTypeBMessage reads a typical BSM: version, outbound flight, consecutive tags, passenger, weight", () => {
  assert.deepEqual(parse(BSM), {
    ...EMPTY_LISTS,
    type: "BSM",
    action: "add",
    version: { number: 1, source: "local", airport: "LHR", supplementary: [] },
    outbound: { designator: "BA0282", date: "05FEB", airport: "LAX", class: "Y", line: 3 },
    tags: ["0125728359", "0125728360"],
    passenger: { surname: "SMITH", fields: ["SMITH", "JOHNMR"] },
    weight: { indicator: "K", pieces: 2, weight: 40, fields: ["K", "2", "40"] },
  });
});

Deno.test("parseTypeBMessage reads the same message from UTF-8 bytes", () => {
  assert.deepEqual(parse(bytes(BSM)), parse(BSM));
});

Deno.test("parseTypeBMessage reads CHG as a change and DEL as a deletion; no line, or ADD, is an addition", () => {
  const withAction = (action: string) => BSM.replace("BSM\n", `BSM\n${action}\n`);
  assert.equal(parse(withAction("CHG")).action, "change");
  assert.equal(parse(withAction("DEL")).action, "delete");
  assert.equal(parse(withAction("ADD")).action, "add");
  assert.equal(parse(BSM).action, "add");
  // Only right after the type: later, CHG is a line that is not an element.
  assert.throws(
    () => parse(BSM.replace(".P/", "CHG\n.P/")),
    new BaggageMessageError(5, `"CHG" is not an element (.X/… with X a letter)`),
  );
});

Deno.test("parseTypeBMessage accepts CRLF, blank lines, and blanks around lines and around the message", () => {
  const spaced = `\r\n  \t\r\n ${BSM.replaceAll("\n", " \t\r\n\r\n\t ")}\t \r\n\r\n`;
  const message = parse(spaced);
  assert.deepEqual({ ...message, outbound: undefined }, { ...parse(BSM), outbound: undefined });
  // Line numbers count every physical line, blank ones included: the .F line is the 7th.
  assert.equal(message.outbound?.line, 7);
  assert.throws(
    () => parse(spaced.replace("0125728359002", "01257283590A2")),
    new BaggageMessageError(9, `.N tag count "0A2" is not a number`),
  );
});

Deno.test("parseTypeBMessage names the line of a bad element, counting the blank lines before it", () => {
  const text = lines("BSM", "", ".V/1LLHR", ".N/012572835900A", ".F/BA0282/05FEB/LAX", "ENDBSM");
  assert.throws(() => parse(text), new BaggageMessageError(4, `.N tag count "00A" is not a number`));
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof InvalidMessage);
    assert.equal(error.reason, `line 4: .N tag count "00A" is not a number`);
    assert.equal(error.message, error.reason);
    assert.equal((error as BaggageMessageError).problem, `.N tag count "00A" is not a number`);
    assert.equal(error.code, "MESSAGE_INVALID");
    assert.equal(error.canRetry, false);
  }
});

Deno.test("parseTypeBMessage refuses an empty or blank value", () => {
  assert.throws(() => parse(""), new InvalidMessage("message is empty"));
  assert.throws(() => parse(" \r\n\t\n\n"), new InvalidMessage("message is empty"));
  assert.throws(() => parse(new Uint8Array()), new InvalidMessage("message is empty"));
});

Deno.test("parseTypeBMessage refuses bytes that are not UTF-8, and keeps a U+FFFD that was written as such", () => {
  const bad = new Uint8Array([...bytes("BSM\n.V/1LLHR\n.R/"), 0xff, ...bytes("\nENDBSM")]);
  assert.throws(() => parse(bad), new InvalidMessage("message is not valid UTF-8"));
  const replacement = bytes(BSM.replace("ENDBSM", ".R/\uFFFD\nENDBSM"));
  assert.deepEqual(parse(replacement).unknown, [{ element: "R", value: "\uFFFD", line: 7 }]);
  assert.throws(() => parse(`${BSM}\ud800`), new InvalidMessage("message is not valid Unicode (a lone surrogate)"));
});

Deno.test("parseTypeBMessage refuses a value over maxBytes, counted in UTF-8 bytes", () => {
  const size = bytes(BSM).byteLength;
  assert.equal(parse(BSM, { maxBytes: size }).type, "BSM");
  assert.equal(parse(bytes(BSM), { maxBytes: size }).type, "BSM");
  const over = new InvalidMessage(`message of ${size} bytes exceeds maxBytes (${size - 1})`);
  assert.throws(() => parse(BSM, { maxBytes: size - 1 }), over);
  assert.throws(() => parse(bytes(BSM), { maxBytes: size - 1 }), over);
  // 2 UTF-16 units, 6 UTF-8 bytes: a string is measured in bytes, not in units.
  const wide = BSM.replace("ENDBSM", ".R/€€\nENDBSM");
  const wideSize = bytes(wide).byteLength;
  assert.equal(wideSize, wide.length + 4);
  assert.throws(
    () => parse(wide, { maxBytes: wideSize - 1 }),
    new InvalidMessage(`message of ${wideSize} bytes exceeds maxBytes (${wideSize - 1})`),
  );
  assert.equal(parse(wide, { maxBytes: wideSize }).unknown[0]?.value, "€€");
});

Deno.test("parseTypeBMessage refuses a message of another type, or no type, on its first line", () => {
  for (const type of ["BNS", "BCM", "bsm", "BSM2"]) {
    assert.throws(
      () => parse(BSM.replace("BSM", type)),
      new BaggageMessageError(1, `"${type}" is not a message type this parser reads (BSM, BTM, BPM, BUM)`),
    );
  }
  assert.throws(
    () => parse(`\n\n${BSM.slice(4)}`),
    new BaggageMessageError(3, `".V/1LLHR" is not a message type this parser reads (BSM, BTM, BPM, BUM)`),
  );
});

Deno.test("parseTypeBMessage refuses a message without its END, with another type's END or with text after it", () => {
  assert.throws(
    () => parse(`${BSM.replace("\nENDBSM", "")}\n\n`),
    new BaggageMessageError(6, "BSM has no ENDBSM after its last line"),
  );
  assert.throws(
    () => parse(BSM.replace("ENDBSM", "ENDBPM")),
    new BaggageMessageError(7, "ENDBPM does not end a BSM (ENDBSM does)"),
  );
  assert.throws(
    () => parse(BSM.replace("ENDBSM", "ENDPART1")),
    new BaggageMessageError(7, "ENDPART1 ends one part of a multi-part message: parts are not joined"),
  );
  assert.throws(
    () => parse(`${BSM}\n\nBSM`),
    new BaggageMessageError(9, `text after ENDBSM: "BSM"`),
  );
  assert.throws(() => parse("BSM"), new BaggageMessageError(1, "BSM has no ENDBSM after its last line"));
});

Deno.test("parseTypeBMessage refuses body lines that are not .<letter>/ elements", () => {
  for (const line of ["V/1LLHR", ".V", ".v/1LLHR", ".5/X", "..V/1LLHR", ". V/1LLHR"]) {
    assert.throws(
      () => parse(BSM.replace("ENDBSM", `${line}\nENDBSM`)),
      new BaggageMessageError(7, `"${line}" is not an element (.X/… with X a letter)`),
    );
  }
});

Deno.test("parseTypeBMessage refuses control characters in a line, tabs and CRs inside it included", () => {
  assert.throws(
    () => parse(BSM.replace("ENDBSM", ".R/AB\u0007C\nENDBSM")),
    new BaggageMessageError(7, `control character U+0007 in ".R/AB?C"`),
  );
  assert.throws(
    () => parse(BSM.replace("ENDBSM", ".S/Y/\t10A\nENDBSM")),
    new BaggageMessageError(7, `control character U+0009 in ".S/Y/?10A"`),
  );
  // Elements whose fields are all checked say which field is wrong.
  assert.throws(
    () => parse(BSM.replace("/LAX/", "/LA\rX/")),
    new BaggageMessageError(3, `.F airport "LA?X" is not 3 letters`),
  );
});

Deno.test("parseTypeBMessage refuses a second .V, .I, .F, .P, .W, .L, .J, .X, .S, .U or .D", () => {
  const twice = [".V/1LLHR", ".F/BA0283/05FEB/LAX", ".P/JONES/ANN", ".W/K/1/20", ".L/ABC123", ".S/Y"];
  for (const element of twice) {
    const text = BSM.replace("ENDBSM", `${element}\n${element}\nENDBSM`);
    const letter = element[1];
    const line = letter === "V" || letter === "F" || letter === "P" || letter === "W" ? 7 : 8;
    assert.throws(
      () => parse(text),
      new BaggageMessageError(line, `.${letter} appears twice: a message has one at most`),
    );
  }
});

Deno.test("parseTypeBMessage keeps repeated .N, .O, .E and .B, and unknown elements, in the order written", () => {
  const message = parse(lines(
    "BSM",
    ".V/1LLHR",
    ".F/BA0282/05FEB/LAX/Y",
    ".O/AA0123/06FEB/SFO/Y",
    ".O/AS0456/06FEB/SEA",
    ".N/0125728359001",
    ".N/0125999999001",
    ".E/RUSH",
    ".E/HEAVY/FRAG",
    ".R/INTERNAL DATA",
    ".H/T5/A/A10",
    ".R/MORE",
    "ENDBSM",
  ));
  assert.deepEqual(message.onward.map((flight) => [flight.designator, flight.line]), [["AA0123", 4], ["AS0456", 5]]);
  assert.deepEqual(message.tags, ["0125728359", "0125999999"]);
  assert.deepEqual(message.exceptions, ["RUSH", "HEAVY", "FRAG"]);
  assert.deepEqual(message.unknown, [
    { element: "R", value: "INTERNAL DATA", line: 10 },
    { element: "H", value: "T5/A/A10", line: 11 },
    { element: "R", value: "MORE", line: 12 },
  ]);
});

Deno.test("parseTypeBMessage refuses a tag listed twice, within one .N or across them", () => {
  assert.throws(
    () => parse(BSM.replace("ENDBSM", ".N/0125728360001\nENDBSM")),
    new BaggageMessageError(7, ".N tag 0125728360 is listed twice"),
  );
  // Past 8 tags the search for repeats changes strategy: the same rule holds.
  assert.throws(
    () => parse(BSM.replace("ENDBSM", ".N/0125728351009\nENDBSM")),
    new BaggageMessageError(7, ".N tag 0125728359 is listed twice"),
  );
  const many = BSM.replace(".N/0125728359002", ".N/0125728300050\n.N/0125728349001");
  assert.throws(() => parse(many), new BaggageMessageError(5, ".N tag 0125728349 is listed twice"));
});

Deno.test("parseTypeBMessage refuses a message whose tags expand past maxTags", () => {
  const text = BSM.replace(".N/0125728359002", ".N/0125728000600\n.N/0125729000500");
  assert.equal(parse(text, { maxTags: 1100 }).tags.length, 1100);
  assert.throws(() => parse(text), new BaggageMessageError(5, ".N makes 1100 tags, more than maxTags (1000)"));
});

Deno.test("parseTypeBMessage requires .V, a .N and .F of a BSM, and .I instead of .F for a terminating bag", () => {
  const without = (element: string) => BSM.split("\n").filter((line) => !line.startsWith(element)).join("\n");
  assert.throws(
    () => parse(without(".V")),
    new BaggageMessageError(6, "BSM has no .V (version and source indicator)"),
  );
  assert.throws(() => parse(without(".N")), new BaggageMessageError(6, "BSM has no .N (bag tag number)"));
  assert.throws(() => parse(without(".F")), new BaggageMessageError(6, "BSM has no .F (outbound flight)"));
  const terminating = BSM.replace("1LLHR", "1XLHR").replace(".F/", ".I/");
  assert.equal(parse(terminating).inbound?.designator, "BA0282");
  assert.throws(
    () => parse(without(".F").replace("1LLHR", "1XLHR")),
    new BaggageMessageError(6, "BSM has no .I (inbound flight), which a terminating bag needs"),
  );
  // RP 1745's minimal transfer BSM has no .I: accepted.
  assert.equal(parse(BSM.replace("1LLHR", "1TLHR")).version?.source, "transfer");
});

Deno.test("parseTypeBMessage requires .V, .I, .F and a .N of a BTM", () => {
  const btm = lines("BTM", ".V/1TLHR", ".I/BA0117/05FEB/JFK/Y", ".F/BA0282/05FEB/LAX/Y", ".N/0125728359003", "ENDBTM");
  assert.deepEqual(parse(btm).tags, ["0125728359", "0125728360", "0125728361"]);
  assert.throws(
    () => parse(btm.replace(".I/BA0117/05FEB/JFK/Y\n", "")),
    new BaggageMessageError(5, "BTM has no .I (inbound flight)"),
  );
  assert.throws(
    () => parse(btm.replace(".F/BA0282/05FEB/LAX/Y\n", "")),
    new BaggageMessageError(5, "BTM has no .F (outbound flight)"),
  );
  assert.throws(
    () => parse(btm.replace(".V/1TLHR\n", "")),
    new BaggageMessageError(5, "BTM has no .V (version and source indicator)"),
  );
});

Deno.test("parseTypeBMessage needs only .V and the tags of a deletion: the tags say which bags go", () => {
  assert.deepEqual(parse(lines("BSM", "DEL", ".V/1LLHR", ".N/0125728359001", "ENDBSM")), {
    ...EMPTY_LISTS,
    type: "BSM",
    action: "delete",
    version: { number: 1, source: "local", airport: "LHR", supplementary: [] },
    tags: ["0125728359"],
  });
  assert.equal(parse(lines("BTM", "DEL", ".V/1TLHR", ".N/0125728359001", "ENDBTM")).action, "delete");
  assert.throws(
    () => parse(lines("BSM", "DEL", ".V/1LLHR", "ENDBSM")),
    new BaggageMessageError(4, "BSM has no .N (bag tag number)"),
  );
});

Deno.test("parseTypeBMessage requires .V and a tag (.N, or .B with a tag) of a BPM, and only a tag of a BUM", () => {
  assert.deepEqual(parse(lines("BPM", ".V/1LLHR", ".B/UNS/0125728359001", "ENDBPM")).tags, ["0125728359"]);
  assert.throws(
    () => parse(lines("BPM", ".N/0125728359001", "ENDBPM")),
    new BaggageMessageError(3, "BPM has no .V (version and source indicator)"),
  );
  assert.throws(
    () => parse(lines("BPM", ".V/1LLHR", ".B/OFF", "ENDBPM")),
    new BaggageMessageError(4, "BPM has no tag (.N, or .B with a tag)"),
  );
  assert.deepEqual(parse(lines("BUM", ".N/0125728359001", "ENDBUM")), {
    ...EMPTY_LISTS,
    type: "BUM",
    action: "add",
    tags: ["0125728359"],
  });
  assert.throws(
    () => parse(lines("BUM", ".V/1LLHR", "ENDBUM")),
    new BaggageMessageError(3, "BUM has no tag (.N, or .B with a tag)"),
  );
});

Deno.test("parseTypeBMessage reads a BTM of several bags and refuses one that groups them under two .F", () => {
  const btm = lines(
    "BTM",
    ".V/1TLHR",
    ".I/BA0117/05FEB/JFK/Y",
    ".F/BA0282/05FEB/LAX/Y",
    ".N/0125728359002",
    ".N/0074123456001",
    ".N/0016987654003",
    ".P/3JONES/ANN/BOB/CAT",
    "ENDBTM",
  );
  const message = parse(btm);
  assert.deepEqual(message.tags, [
    "0125728359",
    "0125728360",
    "0074123456",
    "0016987654",
    "0016987655",
    "0016987656",
  ]);
  assert.deepEqual(message.passenger, { count: 3, surname: "JONES", fields: ["3JONES", "ANN", "BOB", "CAT"] });
  assert.throws(
    () => parse(btm.replace(".N/0016987654003", ".F/BA0286/05FEB/SFO/Y\n.N/0016987654003")),
    new BaggageMessageError(
      7,
      ".F appears twice: a message has one at most (a BTM is read with one outbound flight and one passenger's data)",
    ),
  );
});
