import assert from "node:assert/strict";
import { bsmDate, passengerName, renderBsm } from "../../../tools/producer/bsm.ts";

Deno.test("renderBsm() writes a terminating bag: .V/1X, its inbound flight, tag and passenger", () => {
  const text = renderBsm({
    tag: "0125000042",
    source: "X",
    airport: "LHR",
    inbound: { designator: "BA0282", date: "2026-02-05", airport: "JFK" },
    onward: [],
    passenger: { surname: "SMITH", given: "JOHN" },
  });

  assert.equal(
    text,
    "BSM\n.V/1XLHR\n.I/BA0282/05FEB/JFK/Y\n.N/0125000042001\n.P/SMITH/JOHN\nENDBSM",
  );
});

Deno.test("renderBsm() writes a transfer bag: .V/1T, inbound, outbound, then one .O line per onward flight", () => {
  const text = renderBsm({
    tag: "0125000043",
    source: "T",
    airport: "LHR",
    inbound: { designator: "BA0282", date: "2026-12-31", airport: "JFK" },
    outbound: { designator: "LH0901", date: "2027-01-01", airport: "FRA" },
    onward: [{ designator: "5J0007", date: "2027-01-01", airport: "SIN" }],
    passenger: { surname: "OKONBEAHAN", given: "ZOE" },
  });

  assert.equal(
    text,
    [
      "BSM",
      ".V/1TLHR",
      ".I/BA0282/31DEC/JFK/Y",
      ".F/LH0901/01JAN/FRA/Y",
      ".O/5J0007/01JAN/SIN/Y",
      ".N/0125000043001",
      ".P/OKONBEAHAN/ZOE",
      "ENDBSM",
    ].join("\n"),
  );
});

Deno.test("renderBsm() writes a local bag with its outbound flight and no inbound one", () => {
  const text = renderBsm({
    tag: "0125000044",
    source: "L",
    airport: "LHR",
    outbound: { designator: "BA0117", date: "2026-06-15", airport: "JFK" },
    onward: [],
    passenger: { surname: "LEE", given: "ANN" },
  });

  assert.equal(text, "BSM\n.V/1LLHR\n.F/BA0117/15JUN/JFK/Y\n.N/0125000044001\n.P/LEE/ANN\nENDBSM");
});

Deno.test("bsmDate() writes an ISO date as DDMMM and refuses anything else", () => {
  assert.equal(bsmDate("2026-02-05"), "05FEB");
  assert.equal(bsmDate("2026-12-31"), "31DEC");
  assert.throws(() => bsmDate("2026-13-01"), new RangeError("not an ISO date: 2026-13-01"));
  assert.throws(() => bsmDate("5 Feb"), RangeError);
});

Deno.test("passengerName() keeps uppercase ASCII letters only, drops accents and cuts at 20", () => {
  assert.equal(passengerName("O'Kon-Beahan"), "OKONBEAHAN");
  assert.equal(passengerName("Zoë"), "ZOE");
  assert.equal(passengerName("Wolff Schmidt-Jakubowski"), "WOLFFSCHMIDTJAKUBOWS");
  assert.equal(passengerName("--"), "X");
});
