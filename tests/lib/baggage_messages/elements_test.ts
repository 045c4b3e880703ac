/** Each element parseTypeBMessage reads, valid and not, in messages of our own. */
import assert from "node:assert/strict";
import { parseTypeBMessage } from "../../../lib/baggage_messages/parse.ts";
import { BaggageMessageError, type TypeBMessage } from "../../../lib/baggage_messages/type_b_message.ts";

/** A BPM (its only required elements are .V and a tag), with `elements` from line 4 on. */
function bpm(...elements: string[]): TypeBMessage {
  return parseTypeBMessage(["BPM", ".V/1LLHR", ".N/0125728359001", ...elements, "ENDBPM"].join("\n"));
}
/** The reason bpm(element) is refused: the element is on line 4. */
function refusal(element: string): string {
  try {
    bpm(element);
  } catch (error) {
    assert.ok(error instanceof BaggageMessageError, `a BaggageMessageError, not ${error}`);
    assert.equal(error.line, 4);
    return error.problem;
  }
  assert.fail(`${element} was accepted`);
}
/** The BPM's version, `.V/...` replacing the default. */
const version = (element: string) =>
  parseTypeBMessage(["BPM", element, ".N/0125728359001", "ENDBPM"].join("\n")).version;

Deno.test(".V: each source indicator, the airport, and the supplementary fields as written", () => {
  assert.deepEqual(version(".V/1LLHR"), { number: 1, source: "local", airport: "LHR", supplementary: [] });
  assert.deepEqual(version(".V/1TLHR"), { number: 1, source: "transfer", airport: "LHR", supplementary: [] });
  assert.deepEqual(version(".V/1XLHR"), { number: 1, source: "terminating", airport: "LHR", supplementary: [] });
  assert.deepEqual(version(".V/1RLHR"), { number: 1, source: "remote", airport: "LHR", supplementary: [] });
  assert.deepEqual(version(".V/2LLHR/PART1"), { number: 2, source: "local", airport: "LHR", supplementary: ["PART1"] });
  assert.deepEqual(version(".V/1TZRH//6543210014/A/123ABC456Z")?.supplementary, ["", "6543210014", "A", "123ABC456Z"]);
});

Deno.test(".V: refused without a version digit, a known source indicator and a 3-letter airport", () => {
  const refused = (element: string) => {
    assert.throws(() => version(element), (error: unknown) => error instanceof BaggageMessageError && error.line === 2);
    try {
      version(element);
    } catch (error) {
      return (error as BaggageMessageError).problem;
    }
  };
  assert.equal(refused(".V/1ZLHR"), `.V source indicator "Z" is not L, T, X or R`);
  assert.equal(refused(".V/LLHR"), `.V "LLHR" is not a version digit, a source indicator and an airport (1LLHR)`);
  assert.equal(refused(".V/1LLHRX"), `.V "1LLHRX" is not a version digit, a source indicator and an airport (1LLHR)`);
  assert.equal(
    refused(".V/1LLH1/PART1"),
    `.V "1LLH1" is not a version digit, a source indicator and an airport (1LLHR)`,
  );
  assert.equal(refused(".V/"), `.V "" is not a version digit, a source indicator and an airport (1LLHR)`);
});

Deno.test(".I, .F, .O: the flight as written, its date, airport and optional class, and the line", () => {
  const message = bpm(".I/BA117/05FEB/JFK", ".F/BA0282A/05FEB/LAX/Y", ".O/U2123/29FEB/AMS/C", ".O/9W0001/31DEC/BOM");
  assert.deepEqual(message.inbound, { designator: "BA117", date: "05FEB", airport: "JFK", line: 4 });
  assert.deepEqual(message.outbound, { designator: "BA0282A", date: "05FEB", airport: "LAX", class: "Y", line: 5 });
  assert.deepEqual(message.onward, [
    { designator: "U2123", date: "29FEB", airport: "AMS", class: "C", line: 6 },
    { designator: "9W0001", date: "31DEC", airport: "BOM", line: 7 },
  ]);
  assert.equal(bpm(".F/BA1/01JAN/LAX/").outbound?.designator, "BA1");
  // Letter and digit airline codes: B0 is a code, flight 282.
  assert.equal(bpm(".F/B0282/01JAN/LAX").outbound?.designator, "B0282");
});

Deno.test(".I, .F, .O: refused with a designator, date, airport or class out of the format", () => {
  const designator = (text: string) => `.F flight "${text}" is not an airline code and a 1-4 digit number (BA0117)`;
  for (const flight of ["B-282", "BAW282", "12345", "BA", "BA12345", "ba0282", "BA02X2", ""]) {
    assert.equal(refusal(`.F/${flight}/05FEB/LAX`), designator(flight));
  }
  assert.equal(refusal(".F/BA0282//LAX"), ".F has no date (DDMMM)");
  assert.equal(refusal(".F/BA0282"), ".F has no date (DDMMM)");
  assert.equal(refusal(".F/BA0282/5FEB/LAX"), `.F date "5FEB" is not DDMMM (05FEB)`);
  assert.equal(refusal(".I/BA0282/05FEBR/LAX"), `.I date "05FEBR" is not DDMMM (05FEB)`);
  assert.equal(refusal(".O/BA0282/05FEX/LAX"), `.O date "05FEX" has no month FEX (JAN to DEC)`);
  assert.equal(refusal(".F/BA0282/05feb/LAX"), `.F date "05feb" has no month feb (JAN to DEC)`);
  assert.equal(refusal(".F/BA0282/30FEB/LAX"), `.F date "30FEB": FEB has no day 30`);
  assert.equal(refusal(".F/BA0282/31APR/LAX"), `.F date "31APR": APR has no day 31`);
  assert.equal(refusal(".F/BA0282/00JAN/LAX"), `.F date "00JAN": JAN has no day 0`);
  assert.equal(refusal(".F/BA0282/05FEB"), ".F has no airport");
  assert.equal(refusal(".F/BA0282/05FEB/LA"), `.F airport "LA" is not 3 letters`);
  assert.equal(refusal(".F/BA0282/05FEB/L4X"), `.F airport "L4X" is not 3 letters`);
  assert.equal(refusal(".F/BA0282/05FEB/LAX/YY"), `.F class "YY" is not one letter`);
  assert.equal(refusal(".F/BA0282/05FEB/LAX/1"), `.F class "1" is not one letter`);
  assert.equal(
    refusal(".F/BA0282/05FEB/LAX/Y/X"),
    `.F has fields after flight, date, airport and class: "BA0282/05FEB/LAX/Y/X"`,
  );
});

Deno.test(".N: a tag and the count of consecutive tags, expanded in order, across a change of digit count", () => {
  const tags = (field: string) => parseTypeBMessage(["BUM", `.N/${field}`, "ENDBUM"].join("\n")).tags;
  assert.deepEqual(tags("0125728359001"), ["0125728359"]);
  assert.deepEqual(tags("0000000998003"), ["0000000998", "0000000999", "0000001000"]);
  assert.deepEqual(tags("9999999998002"), ["9999999998", "9999999999"]);
  assert.equal(tags("0125000000999").length, 999);
  assert.equal(tags("0125000000999").at(-1), "0125000998");
});

Deno.test(".N: refused with a count that is not 001-999, one that overflows 10 digits, or another shape", () => {
  assert.equal(refusal(".N/012572835900A"), `.N tag count "00A" is not a number`);
  assert.equal(refusal(".N/0125728359000"), ".N tag count 000 counts no bag");
  assert.equal(refusal(".N/9999999999002"), ".N 002 tags from 9999999999 go past 9999999999");
  assert.equal(refusal(".N/9999999100999"), ".N 999 tags from 9999999100 go past 9999999999");
  assert.equal(bpm(".N/9999999001999").tags.at(-1), "9999999999");
  assert.equal(refusal(".N/01257X8359001"), `.N tag number "01257X8359" is not 10 digits`);
  assert.equal(
    refusal(".N/0125728359"),
    `.N "0125728359" is not a 10-digit tag number and a 3-digit count (0125728359002)`,
  );
  assert.equal(
    refusal(".N/02207501805003"),
    `.N "02207501805003" is not a 10-digit tag number and a 3-digit count (0125728359002)`,
  );
  assert.equal(refusal(".N/0125728360001/X"), `.N has more than a tag number and a count: "0125728360001/X"`);
});

Deno.test(".B: irregularity codes, with the tags they name added to the message's", () => {
  const message = bpm(".B/OFF", ".B/UNS/0125728360002");
  assert.deepEqual(message.irregularities, [
    { code: "OFF", tags: [], line: 4 },
    { code: "UNS", tags: ["0125728360", "0125728361"], line: 5 },
  ]);
  assert.deepEqual(message.tags, ["0125728359", "0125728360", "0125728361"]);
  assert.equal(refusal(".B/O"), `.B status "O" is not 2-8 letters or digits`);
  assert.equal(
    refusal(".B/UNS/012572836000"),
    `.B "012572836000" is not a 10-digit tag number and a 3-digit count (0125728359002)`,
  );
  assert.equal(refusal(".B/UNS/0125728359001"), ".B tag 0125728359 is listed twice");
  assert.equal(refusal(".B/UNS/0125728360001/X"), `.B has more than a status and a tag: "UNS/0125728360001/X"`);
});

Deno.test(".E: exception codes of every .E line, each 2-8 uppercase letters or digits", () => {
  assert.deepEqual(bpm(".E/RUSH", ".E/PRIO/CREW/HEAVY/FRAG/AVIH/TGRQ").exceptions, [
    "RUSH",
    "PRIO",
    "CREW",
    "HEAVY",
    "FRAG",
    "AVIH",
    "TGRQ",
  ]);
  assert.equal(refusal(".E/RUSH!"), `.E exception "RUSH!" is not 2-8 letters or digits`);
  assert.equal(refusal(".E/R"), `.E exception "R" is not 2-8 letters or digits`);
  assert.equal(refusal(".E/RUSHRUSHR"), `.E exception "RUSHRUSHR" is not 2-8 letters or digits`);
  assert.equal(refusal(".E/rush"), `.E exception "rush" is not 2-8 letters or digits`);
  assert.equal(refusal(".E/RUSH//PRIO"), `.E exception "" is not 2-8 letters or digits`);
});

Deno.test(".P: the surname, the passenger count when written, and every field as written", () => {
  assert.deepEqual(bpm(".P/SMITH/JOHNMR").passenger, { surname: "SMITH", fields: ["SMITH", "JOHNMR"] });
  assert.deepEqual(bpm(".P/2SMITH/JOHN/MARY").passenger, {
    count: 2,
    surname: "SMITH",
    fields: ["2SMITH", "JOHN", "MARY"],
  });
  assert.deepEqual(bpm(".P/O'NEIL-VAN DAM/J.R.").passenger?.surname, "O'NEIL-VAN DAM");
  assert.deepEqual(bpm(".P/UNACCOMPANIED").passenger, { surname: "UNACCOMPANIED", fields: ["UNACCOMPANIED"] });
  assert.equal(refusal(".P/2"), ".P has no surname");
  assert.equal(refusal(".P//JOHN"), ".P has no surname");
  assert.equal(
    refusal(".P/1234SMITH"),
    `.P surname "1234SMITH" is not a name (A-Z first) after an optional 1-3 digit count`,
  );
  assert.equal(refusal(".P/smith"), `.P surname "smith" is not a name (A-Z first) after an optional 1-3 digit count`);
  assert.equal(refusal(".P/SMITH/JOHN_MR"), `.P name "JOHN_MR" has characters other than A-Z, 0-9, space, . ' -`);
});

Deno.test(".W: the indicator, pieces and weights as numbers, and every field as written", () => {
  assert.deepEqual(bpm(".W/K/1/23").weight, { indicator: "K", pieces: 1, weight: 23, fields: ["K", "1", "23"] });
  assert.deepEqual(bpm(".W/P/1").weight, { indicator: "P", pieces: 1, fields: ["P", "1"] });
  assert.deepEqual(bpm(".W/L/2/50/10/60/40/25/BAG").weight, {
    indicator: "L",
    pieces: 2,
    weight: 50,
    uncheckedWeight: 10,
    fields: ["L", "2", "50", "10", "60", "40", "25", "BAG"],
  });
  assert.deepEqual(bpm(".W/K//15/").weight, { indicator: "K", weight: 15, fields: ["K", "", "15", ""] });
  assert.equal(refusal(".W/X/1/23"), `.W indicator "X" is not K (kilograms), L (pounds) or P (pieces)`);
  assert.equal(refusal(".W/K/A/23"), `.W pieces "A" is not a number`);
  assert.equal(refusal(".W/K/1/2.5"), `.W weight "2.5" is not a number`);
  assert.equal(refusal(".W/K/1/23/-4"), `.W unchecked weight "-4" is not a number`);
  assert.equal(refusal(".W/K/1/123456"), `.W weight "123456" is not a number`);
});

Deno.test(".L: a record locator of 5-8 uppercase letters or digits", () => {
  assert.equal(bpm(".L/ABC123").pnr, "ABC123");
  assert.equal(bpm(".L/XSEA7B").pnr, "XSEA7B");
  for (const pnr of ["ABC1", "ABCDEFGH9", "abc123", "ABC 12", "ABC123/BA"]) {
    assert.equal(refusal(`.L/${pnr}`), `.L record locator "${pnr}" is not 5-8 letters or digits`);
  }
});

Deno.test(".J: the secondary code, agent, scanner, date, time and locations when written", () => {
  assert.deepEqual(bpm(".J/S/BGFUSION/CI621/05FEB/1059L/LB9/LB10").processing, {
    code: "S",
    agent: "BGFUSION",
    scanner: "CI621",
    date: "05FEB",
    time: "1059L",
    location: "LB9",
    sentTo: "LB10",
    fields: ["S", "BGFUSION", "CI621", "05FEB", "1059L", "LB9", "LB10"],
  });
  assert.deepEqual(bpm(".J/R///18APR/002903Z/TIAT2/").processing, {
    code: "R",
    date: "18APR",
    time: "002903Z",
    location: "TIAT2",
    fields: ["R", "", "", "18APR", "002903Z", "TIAT2", ""],
  });
  assert.deepEqual(bpm(".J/H").processing, { code: "H", fields: ["H"] });
  assert.deepEqual(bpm(".J/S/BRS/RAMP/02OCT/1045").processing?.time, "1045");
});

Deno.test(".J: refused with a code that is not one letter, a bad date or a bad time", () => {
  assert.equal(refusal(".J/SR"), `.J processing code "SR" is not one letter (R, S, G, H…)`);
  assert.equal(refusal(".J//AGENT"), `.J processing code "" is not one letter (R, S, G, H…)`);
  assert.equal(refusal(".J/S///31FEB/1059L"), `.J date "31FEB": FEB has no day 31`);
  for (const time of ["2400Z", "1060L", "105960", "123", "1059X", "10:59"]) {
    assert.equal(refusal(`.J/S///05FEB/${time}`), `.J time "${time}" is not HHMM or HHMMSS, then L, Z or nothing`);
  }
});

Deno.test(".X: screening instruction and result when written, and every field as written", () => {
  assert.deepEqual(bpm(".X//CLR///HBS302/HBSLEVEL1").screening, {
    result: "CLR",
    fields: ["", "CLR", "", "", "HBS302", "HBSLEVEL1"],
  });
  assert.deepEqual(bpm(".X/XRAY").screening, { instruction: "XRAY", fields: ["XRAY"] });
  assert.equal(refusal(".X//CL R"), `.X screening result "CL R" is not 2-8 letters or digits`);
  assert.equal(refusal(".X/x-ray"), `.X screening instruction "x-ray" is not 2-8 letters or digits`);
});

Deno.test(".S, .U, .D: reconciliation, loading and check-in data kept as fields; .S's authority to load is Y or N", () => {
  const message = bpm(
    ".S/N/05A/C/051/051//N/I",
    ".U/AKE25219OZ/TPE/X/Y/ICN///",
    ".D/PORT/LXS/07MAY/084512L/CS/POV23684",
  );
  assert.deepEqual(message.reconciliation, ["N", "05A", "C", "051", "051", "", "N", "I"]);
  assert.deepEqual(message.loading, ["AKE25219OZ", "TPE", "X", "Y", "ICN", "", "", ""]);
  assert.deepEqual(message.checkIn, ["PORT", "LXS", "07MAY", "084512L", "CS", "POV23684"]);
  assert.deepEqual(bpm(".S//12C").reconciliation, ["", "12C"]);
  assert.equal(refusal(".S/X/10A"), `.S authority to load "X" is not Y or N`);
});

Deno.test("elements of other letters are kept as unknown, as written, never refused", () => {
  assert.deepEqual(bpm(".R/DIVERTEDOK", ".Q/005", ".H/T1/CENTRAL/E20", ".Z/").unknown, [
    { element: "R", value: "DIVERTEDOK", line: 4 },
    { element: "Q", value: "005", line: 5 },
    { element: "H", value: "T1/CENTRAL/E20", line: 6 },
    { element: "Z", value: "", line: 7 },
  ]);
});
