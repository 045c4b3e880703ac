/**
 * parseTypeBMessage on baggage messages published by others: an airport operator's data dictionary, open-source
 * DCS and BHS code on GitHub. Each test names its source; the texts are as published (a template's date
 * placeholders filled in, as its test macro fills them).
 */
import assert from "node:assert/strict";
import { itineraryIds } from "../../../lib/baggage_messages/flight_id.ts";
import { parseTypeBMessage } from "../../../lib/baggage_messages/parse.ts";
import { BaggageMessageError } from "../../../lib/baggage_messages/type_b_message.ts";

const lines = (...body: string[]) => body.join("\n");
const crlf = (...body: string[]) => body.join("\r\n");
const EMPTY_LISTS = { onward: [], exceptions: [], irregularities: [], unknown: [] };

Deno.test("Avinor's BSM example: a local bag at OSL on SK4416 to TOS, with reconciliation, pieces and PRIO", () => {
  // Avinor, ACI Airport Data Dictionary, IataBagInformationMessage: https://xwiki.avinor.no/x/0oAQDg
  const message = parseTypeBMessage(lines(
    "BSM",
    ".V/1LOSL",
    ".F/SK4416/05FEB/TOS/C",
    ".N/0117814872001",
    ".S/N/05A/C/051/051//N/I",
    ".W/P/1",
    ".P/XXXXXXXX/XXXXXXX",
    ".E/PRIO",
    "ENDBSM",
  ));
  assert.deepEqual(message, {
    ...EMPTY_LISTS,
    type: "BSM",
    action: "add",
    version: { number: 1, source: "local", airport: "OSL", supplementary: [] },
    outbound: { designator: "SK4416", date: "05FEB", airport: "TOS", class: "C", line: 3 },
    tags: ["0117814872"],
    reconciliation: ["N", "05A", "C", "051", "051", "", "N", "I"],
    weight: { indicator: "P", pieces: 1, fields: ["P", "1"] },
    passenger: { surname: "XXXXXXXX", fields: ["XXXXXXXX", "XXXXXXX"] },
    exceptions: ["PRIO"],
  });
  assert.deepEqual(itineraryIds(message, new Date("2026-02-04T12:00:00Z")), ["SK4416-2026-02-05"]);
});

Deno.test("Avinor's BPM example: sorted by BGFUSION at CI621, screening cleared, an airline's own .R kept", () => {
  // Avinor, ACI Airport Data Dictionary, IataBagInformationMessage: https://xwiki.avinor.no/x/0oAQDg
  const message = parseTypeBMessage(lines(
    "BPM",
    ".V/1LOSL",
    ".J/S/BGFUSION/CI621/05FEB/1059L/LB9/LB9",
    ".F/SK4416/05FEB/TOS",
    ".N/0117814872001",
    ".R/DIVERTEDOK",
    ".X//CLR///HBS302/HBSLEVEL1",
    "ENDBPM",
  ));
  assert.deepEqual(message, {
    ...EMPTY_LISTS,
    type: "BPM",
    action: "add",
    version: { number: 1, source: "local", airport: "OSL", supplementary: [] },
    processing: {
      code: "S",
      agent: "BGFUSION",
      scanner: "CI621",
      date: "05FEB",
      time: "1059L",
      location: "LB9",
      sentTo: "LB9",
      fields: ["S", "BGFUSION", "CI621", "05FEB", "1059L", "LB9", "LB9"],
    },
    outbound: { designator: "SK4416", date: "05FEB", airport: "TOS", line: 4 },
    tags: ["0117814872"],
    unknown: [{ element: "R", value: "DIVERTEDOK", line: 6 }],
    screening: { result: "CLR", fields: ["", "CLR", "", "", "HBS302", "HBSLEVEL1"] },
  });
});

Deno.test("JMayer's example BSM: indented lines, an explicit ADD, a passenger count and .V written last", () => {
  // github.com/jmayer913/JMayer-Example-WindowsService, README.md ("BSM Format"; indented with &nbsp;&nbsp;).
  const message = parseTypeBMessage(lines(
    "BSM",
    "  ADD",
    "  .F/AA0001/09FEB/LBB/T",
    "  .N/0001000004001",
    "  .P/1TEST/PASSENGER4",
    "  .V/1LMCO",
    "ENDBSM",
  ));
  assert.deepEqual(message, {
    ...EMPTY_LISTS,
    type: "BSM",
    action: "add",
    outbound: { designator: "AA0001", date: "09FEB", airport: "LBB", class: "T", line: 3 },
    tags: ["0001000004"],
    passenger: { count: 1, surname: "TEST", fields: ["1TEST", "PASSENGER4"] },
    version: { number: 1, source: "local", airport: "MCO", supplementary: [] },
  });
});

Deno.test("Astra's BTM (VKO transfers): its bags grouped under three .F are refused at the second, with the reason", () => {
  // github.com/deyoz/astra, src/ts/pnl/btm_ptm.ts, macro INBOUND_TRANSFER_UT_453_VKO ($(date1) 05FEB, $(date2)
  // 06FEB). RP 1745 lets a BTM group bags by outbound flight, each bag with its .W and .P: one message, several
  // itineraries and passengers, which the one-itinerary contract of TypeBMessage cannot hold.
  const body = [
    "BTM",
    ".V/1TVKO",
    ".I/UT370/05FEB/LED",
    ".F/UT453/05FEB/TJM/Y",
    ".N/0298440640001",
    ".W/K/1/14",
    ".P/DUDINA/DARIA ANDREEVNA",
    ".F/UT533/05FEB/DYR/Y",
    ".N/0298445909001",
    ".W/K/1/20",
    ".P/KRIUCHKOV/VIKTOR FEDOROVICH",
    ".F/UT549/06FEB/IGT/F",
    ".N/0298465500001",
    ".W/K/1/14/4",
    ".P/BEKMATOV/KUVONCHBEK MR",
    "ENDBTM",
  ];
  assert.throws(
    () => parseTypeBMessage(lines(...body)),
    new BaggageMessageError(
      8,
      ".F appears twice: a message has one at most (a BTM is read with one outbound flight and one passenger's data)",
    ),
  );
  // The first group alone is a BTM this parser reads.
  const first = parseTypeBMessage(lines(...body.slice(0, 7), "ENDBTM"));
  assert.deepEqual(itineraryIds(first, new Date("2026-02-05T09:00:00Z")), ["UT370-2026-02-05", "UT453-2026-02-05"]);
  assert.deepEqual(first.passenger, { surname: "DUDINA", fields: ["DUDINA", "DARIA ANDREEVNA"] });
  // As published the teletype envelope (address and origin lines) comes first: the topic carries the message only.
  assert.throws(
    () => parseTypeBMessage(lines("MOWKK1H", ".TJMDCUT 051200", ...body)),
    new BaggageMessageError(1, `"MOWKK1H" is not a message type this parser reads (BSM, BTM, BPM, BUM)`),
  );
});

// The four tests below use messages from a public Python script on GitHub that turns BPMs into JSON (found by an
// exact-text search of GitHub code for "IataParsing.IATABPM"; the index did not give its repository's name). The
// BPMs are from Taipei (TPE); the BSM and BTM use SR101 and DL671, the flights of RP 1745's own examples (as other
// code quoting the practice shows). CRLF as published.

Deno.test("a TPE BPM: reconciled at TIAT2 (local time), loaded in AKE25219OZ, with an airline's .Q kept", () => {
  const message = parseTypeBMessage(crlf(
    "BPM",
    ".V/1LTPE",
    ".J/R///18APR/105210L/TIAT2/",
    ".F/OZ0712/18APR/ICN/Y",
    ".U/AKE25219OZ/TPE/X/Y/ICN///",
    ".N/0988401338001",
    ".Q/005",
    ".S/Y/25K/C/158/158//N",
    ".W/K/2/20",
    ".P/LU/CHINMEIMS",
    "ENDBPM",
  ));
  assert.deepEqual(message, {
    ...EMPTY_LISTS,
    type: "BPM",
    action: "add",
    version: { number: 1, source: "local", airport: "TPE", supplementary: [] },
    processing: {
      code: "R",
      date: "18APR",
      time: "105210L",
      location: "TIAT2",
      fields: ["R", "", "", "18APR", "105210L", "TIAT2", ""],
    },
    outbound: { designator: "OZ0712", date: "18APR", airport: "ICN", class: "Y", line: 4 },
    loading: ["AKE25219OZ", "TPE", "X", "Y", "ICN", "", "", ""],
    tags: ["0988401338"],
    unknown: [{ element: "Q", value: "005", line: 7 }],
    reconciliation: ["Y", "25K", "C", "158", "158", "", "N"],
    weight: { indicator: "K", pieces: 2, weight: 20, fields: ["K", "2", "20"] },
    passenger: { surname: "LU", fields: ["LU", "CHINMEIMS"] },
  });
});

Deno.test("a TPE BPM that names its bag only in .B: unseen (UNS), a transfer from PNH to SEA", () => {
  const message = parseTypeBMessage(crlf(
    "BPM",
    ".V/1LTPE",
    ".J/R///18APR/002903L/TIAT2/",
    ".F/BR0026/17APR/SEA/Y",
    ".B/UNS/0695463055001",
    ".I/BR0266/17APR/PNH/Y",
    ".S/Y/70D/C/080/080//Y/A",
    ".W/K/1/17",
    ".P/ROS/SARAMONICH",
    "ENDBPM",
  ));
  assert.deepEqual(message.tags, ["0695463055"]);
  assert.deepEqual(message.irregularities, [{ code: "UNS", tags: ["0695463055"], line: 5 }]);
  assert.deepEqual(itineraryIds(message, new Date("2026-04-17T16:29:03Z")), ["BR0266-2026-04-17", "BR0026-2026-04-17"]);
});

Deno.test("an SR101 BSM as a change (CHG), with supplementary .V fields", () => {
  const message = parseTypeBMessage(crlf(
    "BSM",
    "CHG",
    ".V/1LZRH////123ABC456Z",
    ".F/SR101/18APR/JFK/C",
    ".N/0085123457001",
    ".S/N",
    "ENDBSM",
  ));
  assert.deepEqual(message, {
    ...EMPTY_LISTS,
    type: "BSM",
    action: "change",
    version: { number: 1, source: "local", airport: "ZRH", supplementary: ["", "", "", "123ABC456Z"] },
    outbound: { designator: "SR101", date: "18APR", airport: "JFK", class: "C", line: 4 },
    tags: ["0085123457"],
    reconciliation: ["N"],
  });
});

Deno.test("an SR101/DL671 BTM as a deletion (DEL) of a transfer bag at JFK", () => {
  const message = parseTypeBMessage(crlf(
    "BTM",
    "DEL",
    ".V/1TJFK////123ABC4567",
    ".I/SR101/18APR/JFK/C",
    ".F/DL671/18APR/ATL/C",
    ".N/0085123457001",
    "ENDBTM",
  ));
  assert.equal(message.action, "delete");
  assert.deepEqual(message.tags, ["0085123457"]);
  assert.deepEqual(itineraryIds(message, new Date("2026-04-18T10:00:00Z")), ["SR101-2026-04-18", "DL671-2026-04-18"]);
});

Deno.test("the minimal BSM a Go test quotes from RP 1745: a transfer bag at ZRH, its outbound flight only", () => {
  // A Go test on GitHub, quoting it as "the minimum BSM as the freely published reproduction of the practice
  // prints it" (found by an exact-text search of GitHub code; the index did not give its repository's name).
  const message = parseTypeBMessage(lines("BSM", ".V/1TZRH", ".F/SR101/18APR/JFK/F", ".N/0085123456003", "ENDBSM"));
  assert.equal(message.version?.source, "transfer");
  assert.deepEqual(message.tags, ["0085123456", "0085123457", "0085123458"]);
});
