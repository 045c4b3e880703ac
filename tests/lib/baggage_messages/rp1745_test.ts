/** The RP 1745 parser on published sample messages and on messages of our own for each element and rule. */
import assert from "node:assert/strict";
import { type BaggageMessage, BaggageMessageError, parseBaggageMessage } from "../../../lib/baggage_messages/rp1745.ts";
import { InvalidMessage } from "../../../lib/infra/errors.ts";

/** 2026-02-04T12:00Z: the year of a 05FEB date is 2026. */
const FEB_4 = Date.UTC(2026, 1, 4, 12) / 1000;
const parse = (text: string, messageSeconds = FEB_4) => parseBaggageMessage(text, { maxBytes: 10_000, messageSeconds });
const reason = (text: string, messageSeconds = FEB_4) => {
  try {
    parse(text, messageSeconds);
  } catch (error) {
    assert.ok(error instanceof InvalidMessage, `an InvalidMessage, not ${error}`);
    return error.reason;
  }
  assert.fail(`parsed: ${text}`);
};
const lines = (...body: string[]) => body.join("\n");
const NONE = {
  version: null,
  inbound: null,
  outbound: null,
  onward: [],
  exceptions: [],
  passenger: null,
  pnr: null,
  weight: null,
  processing: null,
  irregularities: [],
  screening: null,
  unknown: [],
} satisfies Partial<BaggageMessage>;

Deno.test("a published BSM (Avinor's ACI data dictionary): a local bag on SK4416, with reconciliation, pieces and PRIO", () => {
  // https://xwiki.avinor.no/display/ACIDD/IataBagInformationMessage (BSM example)
  const text = lines(
    "BSM",
    ".V/1LOSL",
    ".F/SK4416/05FEB/TOS/C",
    ".N/0117814872001",
    ".S/N/05A/C/051/051//N/I",
    ".W/P/1",
    ".P/XXXXXXXX/XXXXXXX",
    ".E/PRIO",
    "ENDBSM",
  );
  assert.deepEqual(parse(text), {
    ...NONE,
    type: "BSM",
    action: "add",
    version: { number: 1, source: "local", airport: "OSL" },
    outbound: { designator: "SK4416", date: "05FEB", airport: "TOS", class: "C", id: "SK4416-2026-02-05", line: 3 },
    tags: ["0117814872"],
    tagLines: [4],
    exceptions: ["PRIO"],
    passenger: ["XXXXXXXX", "XXXXXXX"],
    weight: { unit: "P", pieces: 1, weight: null },
    unknown: [{ element: "S", value: "N/05A/C/051/051//N/I", line: 5 }],
  });
});

Deno.test("a published BPM (Avinor's ACI data dictionary): processed at a reader, local time kept, screening result", () => {
  // https://xwiki.avinor.no/display/ACIDD/IataBagInformationMessage (BPM example)
  const text = lines(
    "BPM",
    ".V/1LOSL",
    ".J/S/BGFUSION/CI621/05FEB/1059L/LB9/LB9",
    ".F/SK4416/05FEB/TOS",
    ".N/0117814872001",
    ".R/DIVERTEDOK",
    ".X//CLR///HBS302/HBSLEVEL1",
    "ENDBPM",
  );
  assert.deepEqual(parse(text), {
    ...NONE,
    type: "BPM",
    action: "add",
    version: { number: 1, source: "local", airport: "OSL" },
    outbound: { designator: "SK4416", date: "05FEB", airport: "TOS", class: null, id: "SK4416-2026-02-05", line: 4 },
    tags: ["0117814872"],
    tagLines: [5],
    processing: {
      fields: ["S", "BGFUSION", "CI621", "05FEB", "1059L", "LB9", "LB9"],
      location: "CI621",
      at: null,
    },
    screening: ["", "CLR", "", "", "HBS302", "HBSLEVEL1"],
    unknown: [{ element: "R", value: "DIVERTEDOK", line: 6 }],
  });
});

Deno.test("a published BSM (jmayer913/JMayer-Example-WindowsService): an explicit ADD line and .V last", () => {
  // https://github.com/jmayer913/JMayer-Example-WindowsService (README, BSM Format)
  const text = lines(
    "BSM",
    "ADD",
    ".F/AA0001/09FEB/LBB/T",
    ".N/0001000004001",
    ".P/1TEST/PASSENGER4",
    ".V/1LMCO",
    "ENDBSM",
  );
  const message = parse(text);
  assert.equal(message.action, "add");
  assert.deepEqual(message.version, { number: 1, source: "local", airport: "MCO" });
  assert.equal(message.outbound?.id, "AA0001-2026-02-09");
  assert.deepEqual(message.tags, ["0001000004"]);
  assert.deepEqual(message.passenger, ["1TEST", "PASSENGER4"]);
});

Deno.test("the issue's transfer bag at LHR, CRLF and blanks around lines and the message", () => {
  const text =
    "\r\n  BSM\r\n.V/1TLHR  \r\n\t.I/BA0117/05FEB/JFK/Y\r\n.F/BA0282/05FEB/LAX/Y\r\n\r\n.N/0125728359001\r\n" +
    ".P/SMITH/JOHNMR\r\nENDBSM\r\n\r\n";
  const message = parse(text);
  assert.deepEqual(message.version, { number: 1, source: "transfer", airport: "LHR" });
  assert.deepEqual(message.inbound, {
    designator: "BA0117",
    date: "05FEB",
    airport: "JFK",
    class: "Y",
    id: "BA0117-2026-02-05",
    line: 4,
  });
  assert.equal(message.outbound?.id, "BA0282-2026-02-05");
  assert.deepEqual(message.tags, ["0125728359"]);
});

Deno.test("each source indicator, with the flights it needs", () => {
  const bsm = (v: string, ...flights: string[]) =>
    lines("BSM", `.V/1${v}LHR`, ...flights, ".N/0125728359001", "ENDBSM");
  assert.equal(parse(bsm("L", ".F/BA0282/05FEB/LAX")).version?.source, "local");
  assert.equal(parse(bsm("R", ".F/BA0282/05FEB/LAX")).version?.source, "remote");
  assert.equal(parse(bsm("X", ".I/BA0117/05FEB/JFK")).version?.source, "terminating");
  assert.equal(parse(bsm("T", ".I/BA0117/05FEB/JFK", ".F/BA0282/05FEB/LAX")).version?.source, "transfer");
  assert.equal(
    reason(bsm("X", ".F/BA0282/05FEB/LAX")),
    "line 5: BSM has no .I (inbound flight), which a terminating bag needs",
  );
  assert.equal(
    reason(bsm("T", ".I/BA0117/05FEB/JFK")),
    "line 5: BSM has no .F (outbound flight), which a transfer bag needs",
  );
  assert.equal(reason(bsm("L")), "line 4: BSM has no .F (outbound flight), which a local bag needs");
  // A transfer BSM without its inbound flight, as RP 1745's shortest example has it.
  assert.equal(parse(bsm("T", ".F/BA0282/05FEB/LAX")).inbound, null);
  assert.equal(reason(bsm("Q", ".F/BA0282/05FEB/LAX")), 'line 2: .V source indicator "Q" is not L, T, X or R');
});

Deno.test("CHG and DEL, onward flights in order, exceptions, PNR and weight", () => {
  const change = parse(lines(
    "BSM",
    "CHG",
    ".V/1LLHR",
    ".F/BA0282/05FEB/LAX/Y",
    ".O/AA0123/06FEB/SFO/Y",
    ".O/AA0456/06FEB/SEA",
    ".N/0125728359001",
    ".E/RUSH",
    ".E/HEAVY",
    ".L/ABC123",
    ".W/K/2/46",
    "ENDBSM",
  ));
  assert.equal(change.action, "change");
  assert.deepEqual(change.onward.map((flight) => flight.id), ["AA0123-2026-02-06", "AA0456-2026-02-06"]);
  assert.deepEqual(change.exceptions, ["RUSH", "HEAVY"]);
  assert.equal(change.pnr, "ABC123");
  assert.deepEqual(change.weight, { unit: "K", pieces: 2, weight: 46 });
  // A deletion needs the tag and the version only.
  assert.equal(parse(lines("BSM", "DEL", ".V/1LLHR", ".N/0125728359001", "ENDBSM")).action, "delete");
});

Deno.test("tag counts expand into consecutive tags; a BTM lists several bags", () => {
  assert.deepEqual(
    parse(lines("BSM", ".V/1LLHR", ".F/BA0282/05FEB/LAX", ".N/0125728359003", "ENDBSM")).tags,
    ["0125728359", "0125728360", "0125728361"],
  );
  const btm = parse(lines(
    "BTM",
    ".V/1TLHR",
    ".I/BA0117/05FEB/JFK/Y",
    ".F/BA0282/05FEB/LAX/Y",
    ".N/0125728359002",
    ".N/0074123456001",
    ".P/SMITH/JOHNMR",
    ".N/0016999999001",
    "ENDBTM",
  ));
  assert.equal(btm.type, "BTM");
  assert.deepEqual(btm.tags, ["0125728359", "0125728360", "0074123456", "0016999999"]);
  assert.equal(
    reason(lines("BSM", ".V/1LLHR", ".F/BA0282/05FEB/LAX", ".N/9999999999002", "ENDBSM")),
    "line 4: .N tags from 9999999999 (2) go past 9999999999",
  );
  assert.equal(
    reason(lines("BSM", ".V/1LLHR", ".F/BA0282/05FEB/LAX", ".N/0125728359000", "ENDBSM")),
    "line 4: .N tag count 000 counts no bag",
  );
  assert.equal(
    reason(
      lines(
        "BTM",
        ".V/1TLHR",
        ".I/BA0117/05FEB/JFK",
        ".F/BA0282/05FEB/LAX",
        ".N/0125728359002",
        ".N/0125728360001",
        "ENDBTM",
      ),
    ),
    "line 6: .N tag 0125728360 is listed twice",
  );
});

Deno.test("a BUM and a BPM with a UTC processing time and an irregularity", () => {
  const bum = parse(lines("BUM", ".V/1XLHR", ".I/BA0117/05FEB/JFK", ".N/0125728359001", "ENDBUM"));
  assert.equal(bum.type, "BUM");
  assert.equal(bum.inbound?.id, "BA0117-2026-02-05");
  const bpm = parse(
    lines(
      "BPM",
      ".V/1TLHR",
      ".J/P/AGENT7/MU12/05FEB/093015Z",
      ".F/BA0282/05FEB/LAX",
      ".N/0125728359001",
      ".B/OFF",
      "ENDBPM",
    ),
  );
  assert.deepEqual(bpm.processing, {
    fields: ["P", "AGENT7", "MU12", "05FEB", "093015Z"],
    location: "MU12",
    at: "2026-02-05T09:30:15.000Z",
  });
  assert.deepEqual(bpm.irregularities, ["OFF"]);
});

Deno.test("a flight's year is the one nearest to the message: 31DEC in January is last year's, 01JAN in December next year's", () => {
  const flight = (date: string, at: Date) =>
    parse(lines("BSM", ".V/1XLHR", `.I/BA0117/${date}/JFK`, ".N/0125728359001", "ENDBSM"), at.getTime() / 1000)
      .inbound?.id;
  assert.equal(flight("31DEC", new Date("2027-01-01T01:00:00Z")), "BA0117-2026-12-31");
  assert.equal(flight("01JAN", new Date("2026-12-31T22:00:00Z")), "BA0117-2027-01-01");
  assert.equal(flight("29FEB", new Date("2028-02-20T00:00:00Z")), "BA0117-2028-02-29");
  assert.equal(
    reason(lines("BSM", ".V/1XLHR", ".I/BA0117/29FEB/JFK", ".N/0125728359001", "ENDBSM"), Date.UTC(2026, 5, 1) / 1000),
    'line 3: .I date "29FEB": no leap year is near the message\'s time',
  );
});

Deno.test("unknown elements are kept with their line; elements read are validated with the line and the reason", () => {
  const message = parse(
    lines("BSM", ".V/1LLHR", ".F/BA0282/05FEB/LAX", ".N/0125728359001", ".Z/ANYTHING/GOES", "ENDBSM"),
  );
  assert.deepEqual(message.unknown, [{ element: "Z", value: "ANYTHING/GOES", line: 5 }]);
  const bsm = (element: string) =>
    lines("BSM", ".V/1LLHR", ".F/BA0282/05FEB/LAX", element, ".N/0125728359001", "ENDBSM");
  const cases: [string, string][] = [
    [".N/012572835900A", 'line 4: .N tag count "00A" is not a number'],
    [".F/BA0283/05FEB/LAX", "line 4: .F appears twice"],
    [".I/BA0117/31APR/JFK", 'line 4: .I date "31APR": APR has no day 31'],
    [".I/BA0117/05FOO/JFK", 'line 4: .I date "05FOO" has no month FOO'],
    [".I/BA0117/5FEB/JFK", 'line 4: .I date "5FEB" is not DDMMM (05FEB)'],
    [".I/12345/05FEB/JFK", 'line 4: .I flight "12345" is not an airline code and a number (BA0282)'],
    [".I/BA0117/05FEB/J1K", 'line 4: .I airport "J1K" is not 3 letters'],
    [".E/RUSH/!", 'line 4: .E exception "!" is not 2-8 letters or digits'],
    [".L/AB", 'line 4: .L record locator "AB" is not 5-8 letters or digits'],
    [".W/X/1/20", 'line 4: .W unit "X" is not K, L or P'],
    ["N/0125728359001", 'line 4: "N/0125728359001" is not an element (.X/…)'],
  ];
  for (const [element, expected] of cases) assert.equal(reason(bsm(element)), expected, element);
});

Deno.test("framing: the type, its END, nothing after it, and the size limit", () => {
  assert.equal(reason(""), "line 1: empty message");
  assert.equal(reason("BNS\nENDBNS"), 'line 1: "BNS" is not a baggage message type (BSM, BTM, BPM, BUM)');
  assert.equal(
    reason("BSM\n.V/1LLHR\n.F/BA0282/05FEB/LAX\n.N/0125728359001"),
    "line 4: no ENDBSM after the last element",
  );
  assert.equal(reason("BSM\n.V/1LLHR\n.N/0125728359001\nENDBPM"), "line 4: ENDBPM ends a BSM");
  assert.equal(
    reason("BSM\n.V/1LLHR\n.F/BA0282/05FEB/LAX\n.N/0125728359001\nENDBSM\nBSM"),
    "line 6: text after ENDBSM",
  );
  assert.equal(reason("BSM\n.V/1LLHR\nENDBSM"), "line 3: BSM has no .N (tag number)");
  assert.equal(
    (() => {
      try {
        parseBaggageMessage(new Uint8Array([0x42, 0x53, 0x4d, 0xff]), { maxBytes: 100, messageSeconds: FEB_4 });
      } catch (error) {
        return (error as InvalidMessage).reason;
      }
    })(),
    "line 1: not valid UTF-8",
  );
  assert.throws(
    () => parseBaggageMessage("BSM".padEnd(200, " "), { maxBytes: 100, messageSeconds: FEB_4 }),
    (error: unknown) =>
      error instanceof InvalidMessage &&
      error.reason === "line 1: the message goes past MAX_MESSAGE_BYTES (100) here: it has 200 bytes",
  );
  const binaryOnLine3 = new Uint8Array([...new TextEncoder().encode("BSM\n.V/1LLHR\n.F/"), 0xc3, 0x28]);
  assert.equal(
    (() => {
      try {
        parseBaggageMessage(binaryOnLine3, { maxBytes: 100, messageSeconds: FEB_4 });
      } catch (error) {
        return (error as InvalidMessage).reason;
      }
    })(),
    "line 3: not valid UTF-8",
  );
  const oversized = new TextEncoder().encode(lines("BSM", ".V/1LLHR", ".F/BA0282/05FEB/LAX", ".P/" + "A".repeat(80)));
  assert.throws(
    () => parseBaggageMessage(oversized, { maxBytes: 60, messageSeconds: FEB_4 }),
    (error: unknown) =>
      error instanceof BaggageMessageError && error.line === 4 &&
      error.reason ===
        `line 4: the message goes past MAX_MESSAGE_BYTES (60) here: it has ${oversized.byteLength} bytes`,
  );
  assert.ok(new BaggageMessageError(3, "x") instanceof InvalidMessage);
});
