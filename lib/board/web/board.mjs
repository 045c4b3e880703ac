// The board's page: flights and their bags from the board's event stream, graded with the domain's own
// connectionRisk (served as /connection_risk.mjs), rendered as text only (never as HTML).
// A computed URL: the module exists on the board's server only (lib/board/page_modules.ts), not in this folder.
const { connectionRisk, worstGrade } = await import(new URL("/connection_risk.mjs", location.href).href);

const board = {
  /** Flight id -> { flight (as the server sent it), summary }. */
  flights: new Map(),
  hello: undefined,
  /** Server clock minus this page's, in ms. */
  clockOffsetMs: 0,
  lastEventId: undefined,
  /** The ids of the flights shown, in order, to know when the set changes. */
  shown: "",
};

const $ = (selector) => document.querySelector(selector);

/** An element with text children only: strings become text nodes. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(
      typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child,
    );
  }
  return node;
}

const nowSeconds = () => (Date.now() + board.clockOffsetMs) / 1000;
const pad = (n) => String(n).padStart(2, "0");
/** HH:MM in UTC. */
function clockTime(seconds) {
  const date = new Date(seconds * 1000);
  return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}
/** 7:05 or 1:02:03. */
function duration(seconds) {
  const s = Math.floor(Math.abs(seconds));
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return h > 0 ? `${h}:${pad(m)}:${pad(r)}` : `${m}:${pad(r)}`;
}
const minutes = (seconds) => `${seconds < 0 ? "−" : ""}${Math.floor(Math.abs(seconds) / 60)} min`;

/** The board's outcome of a bag's work value: a departure, or what its code means. */
function outcomeOf(value) {
  if (value > 0) return "transfer";
  if (value === 0) return "final";
  if (value === -3) return "next_unknown";
  return "itinerary_unknown"; // -1 unknown, -2 no flights, -10 not in the itinerary
}

/** Counts, transfer connections and bags at risk of one flight. */
function summarize(flight, thresholds) {
  const counts = { final: 0, transfer: 0, itinerary_unknown: 0, next_unknown: 0 };
  const connections = new Map();
  const atRisk = [];
  for (const [bag, value, next, exceptions] of flight.bags) {
    counts[outcomeOf(value)] += 1;
    const risk = connectionRisk(flight.arrival_time, value, thresholds);
    if (!risk) continue;
    const key = `${next ?? ""}\u0000${value}`;
    const connection = connections.get(key) ??
      { next, departure: value, bags: 0, grades: [], slack: risk.slackSeconds };
    connection.bags += 1;
    connection.grades.push(risk.grade);
    connections.set(key, connection);
    if (risk.grade !== "ok") {
      atRisk.push({
        bag,
        from: flight.id,
        next,
        departure: value,
        slack: risk.slackSeconds,
        grade: risk.grade,
        exceptions,
      });
    }
  }
  const list = [...connections.values()]
    .map((c) => ({ ...c, grade: worstGrade(c.grades) }))
    .sort((a, b) => a.departure - b.departure || String(a.next).localeCompare(String(b.next)));
  return { counts, connections: list, atRisk, grade: worstGrade(list.map((c) => c.grade)) };
}

/** The flights in the window or landed within the grace period, by arrival. */
function shownFlights() {
  const now = nowSeconds();
  const { window_seconds: window, grace_seconds: grace } = board.hello;
  return [...board.flights.values()]
    .filter(({ flight }) => flight.arrival_time >= now - grace && flight.arrival_time <= now + window)
    .sort((a, b) => a.flight.arrival_time - b.flight.arrival_time || a.flight.id.localeCompare(b.flight.id));
}

const idButton = (id, kind) =>
  el("button", { type: "button", class: "id", dataset: { id }, onclick: () => search(id, kind) }, id);
const gradeBadge = (grade) => el("span", { class: "grade", dataset: { grade } }, grade);

function countdownText(arrival) {
  const left = arrival - nowSeconds();
  return left >= 0 ? duration(left) : `landed ${duration(left)} ago`;
}

function arrivalRow({ flight, summary }) {
  const { counts } = summary;
  const connections = summary.connections.length === 0 ? el("span", { class: "empty" }, "none") : el(
    "ul",
    { class: "connections" },
    summary.connections.map((c) =>
      el(
        "li",
        { dataset: { next: c.next ?? "", grade: c.grade } },
        gradeBadge(c.grade),
        " ",
        c.next ? idButton(c.next, "flight") : "?",
        ` ${clockTime(c.departure)} · ${minutes(c.departure - flight.arrival_time)} · ${c.bags} ${
          c.bags === 1 ? "bag" : "bags"
        }`,
      )
    ),
  );
  const left = flight.arrival_time - nowSeconds();
  return el(
    "tr",
    { dataset: { flight: flight.id, grade: summary.grade } },
    el("th", { scope: "row" }, idButton(flight.id, "flight")),
    el("td", { class: "wide" }, clockTime(flight.arrival_time)),
    el(
      "td",
      { class: left < 0 ? "countdown landed" : "countdown", dataset: { arrival: flight.arrival_time } },
      countdownText(flight.arrival_time),
    ),
    el("td", { class: "num", "data-label": "Bags", dataset: { count: "bags" } }, flight.bags.length),
    el("td", { class: "num wide", dataset: { count: "final" } }, counts.final),
    el("td", { class: "num wide", dataset: { count: "transfer" } }, counts.transfer),
    el("td", { class: "num wide", dataset: { count: "itinerary_unknown" } }, counts.itinerary_unknown),
    el("td", { class: "num wide", dataset: { count: "next_unknown" } }, counts.next_unknown),
    el("td", { class: "connections-cell" }, connections),
  );
}

const RISK_ROWS = 200;
const GRADE_ORDER = { critical: 0, hot: 1, warm: 2, ok: 3 };

function riskRow(bag) {
  return el(
    "tr",
    { dataset: { bag: bag.bag, flight: bag.from, grade: bag.grade, slack: bag.slack } },
    el("td", {}, gradeBadge(bag.grade)),
    el("th", { scope: "row" }, idButton(bag.bag, "bag")),
    el("td", { "data-label": "From" }, idButton(bag.from, "flight")),
    el("td", { "data-label": "To" }, bag.next ? idButton(bag.next, "flight") : "?"),
    el("td", { "data-label": "Departs" }, clockTime(bag.departure)),
    el("td", { class: "num", "data-label": "Slack" }, minutes(bag.slack)),
    el("td", { class: "wide" }, (bag.exceptions ?? []).map((e) => el("span", { class: "exception" }, `${e} `))),
  );
}

function render() {
  if (!board.hello) return;
  const shown = shownFlights();
  board.shown = shown.map(({ flight }) => flight.id).join(",");
  $("#arrivals tbody").replaceChildren(
    ...(shown.length === 0
      ? [el("tr", {}, el("td", { colspan: 9, class: "empty" }, "No flights arriving in the window."))]
      : shown.map(arrivalRow)),
  );
  const bags = shown.reduce((sum, { flight }) => sum + flight.bags.length, 0);
  $("#arrivals-summary").textContent = `${shown.length} flights, ${bags} bags: arriving in the next ${
    board.hello.window_seconds / 60
  } min or landed in the last ${board.hello.grace_seconds / 60} min`;
  const atRisk = shown.flatMap(({ summary }) => summary.atRisk)
    .sort((a, b) => a.slack - b.slack || GRADE_ORDER[a.grade] - GRADE_ORDER[b.grade] || a.bag.localeCompare(b.bag));
  $("#at-risk tbody").replaceChildren(
    ...(atRisk.length === 0
      ? [el("tr", {}, el("td", { colspan: 7, class: "empty" }, "No bag at risk."))]
      : atRisk.slice(0, RISK_ROWS).map(riskRow)),
  );
  const byGrade = { critical: 0, hot: 0, warm: 0 };
  for (const bag of atRisk) byGrade[bag.grade] += 1;
  $("#risk-summary").textContent = `${byGrade.critical} critical, ${byGrade.hot} hot, ${byGrade.warm} warm` +
    (atRisk.length > RISK_ROWS ? ` (the ${RISK_ROWS} most urgent shown)` : "");
}

/** Every second: the clock and countdowns; the whole board when a flight enters or leaves the window. */
function tick() {
  const now = nowSeconds();
  $("#clock").textContent = new Date(now * 1000).toISOString().slice(11, 19);
  if (!board.hello) return;
  if (shownFlights().map(({ flight }) => flight.id).join(",") !== board.shown) return render();
  for (const cell of document.querySelectorAll("td.countdown")) {
    const arrival = Number(cell.dataset.arrival);
    cell.textContent = countdownText(arrival);
    cell.classList.toggle("landed", arrival < now);
  }
}

function setStatus(state, text) {
  const status = $("#status");
  if (status.dataset.state === state) return;
  status.dataset.state = state;
  status.textContent = text;
}

function onHello(event) {
  const hello = JSON.parse(event.data);
  board.hello = hello;
  board.clockOffsetMs = hello.server_time_ms - Date.now();
  if (hello.whole) board.flights.clear();
  for (const entry of board.flights.values()) entry.summary = summarize(entry.flight, hello.thresholds);
}

function onFlights(event) {
  if (event.lastEventId) board.lastEventId = event.lastEventId;
  for (const flight of JSON.parse(event.data)) {
    board.flights.set(flight.id, { flight, summary: summarize(flight, board.hello.thresholds) });
  }
  setStatus("live", "Live");
  render();
}

/** The event stream; when the browser gives up on it (an answer that is not a stream), a new one with the last id. */
function connect() {
  const query = board.lastEventId ? `?last_event_id=${encodeURIComponent(board.lastEventId)}` : "";
  const source = new EventSource(`/events${query}`);
  source.addEventListener("hello", onHello);
  source.addEventListener("flights", onFlights);
  source.addEventListener("error", () => {
    setStatus("reconnecting", "Reconnecting…");
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  });
}

// --- search ---

function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
}

function routingText(value, next) {
  if (value > 0) return `${next ?? "?"} departing ${clockTime(value)} UTC`;
  return {
    0: "final destination",
    "-1": "itinerary unknown",
    "-2": "no flights",
    "-3": `next flight ${next ?? ""} unknown`,
    "-10": "flight not in the itinerary",
  }[value] ?? String(value);
}

function bagResult(answer) {
  const thresholds = board.hello?.thresholds;
  return [
    facts([
      ["Bag", answer.id],
      [
        "Itinerary",
        answer.itinerary ? (answer.itinerary.length ? answer.itinerary.join(" → ") : "no flights") : "not in Redis",
      ],
      ["Exceptions", answer.exceptions.length ? answer.exceptions.join(", ") : "none"],
    ]),
    answer.routing.length === 0 ? el("p", { class: "empty" }, "Not on a flight arriving soon or landed lately.") : el(
      "table",
      { class: "routing" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ["Arriving on", "Arrives", "Goes to", "Grade", "Revision"].map((h) => el("th", { scope: "col" }, h)),
        ),
      ),
      el(
        "tbody",
        {},
        answer.routing.map((r) => {
          const risk = thresholds ? connectionRisk(r.arrival_time, r.departure_time, thresholds) : null;
          return el(
            "tr",
            { dataset: { flight: r.flight_id } },
            el("td", {}, idButton(r.flight_id, "flight")),
            el("td", {}, clockTime(r.arrival_time)),
            el("td", { class: "routing-text" }, routingText(r.departure_time, r.next_flight_id)),
            el("td", {}, risk ? [gradeBadge(risk.grade), ` ${minutes(risk.slackSeconds)}`] : "–"),
            el("td", { class: "num" }, r.revision),
          );
        }),
      ),
    ),
  ];
}

function flightResult(answer) {
  const schedule = answer.schedule;
  return [
    facts([
      ["Flight", answer.id],
      ["Departs", schedule ? `${clockTime(schedule.departure_time)} UTC` : "not in Redis"],
      ["Arrives", schedule ? `${clockTime(schedule.arrival_time)} UTC` : "not in Redis"],
      ["Bags", schedule?.bags ?? "manifest not known"],
      ["Work", answer.work ? `revision ${answer.work.revision}, ${answer.work.bags.length} bags` : "none on the board"],
    ]),
  ];
}

function historyPart(answer) {
  if (answer.timeline) return [el("h3", {}, "History"), el("pre", { class: "timeline" }, answer.timeline)];
  if (answer.history_error) return [el("p", { class: "empty" }, `History: ${answer.history_error}.`)];
  return [el("p", { class: "empty" }, "History: the archive has none.")];
}

/** The answer, or `{ unknown: true, history_error? }` when nobody knows the id. */
async function ask(kind, id) {
  const response = await fetch(`/api/${kind}/${encodeURIComponent(id)}`, { credentials: "same-origin" });
  const body = await response.json();
  if (response.status === 404) return { unknown: true, history_error: body.history_error };
  if (!response.ok) throw new Error(body.error ?? `status ${response.status}`);
  return body;
}

/** Finds `id` as a bag and as a flight (or only as `kind`), and shows what is known. */
async function search(id, kind) {
  const section = $("#result");
  const body = $("#result-body");
  section.hidden = false;
  $("#result-title").textContent = `Search: ${id}`;
  body.replaceChildren(el("p", { class: "empty" }, "Searching…"));
  try {
    const answers = await Promise.all([
      kind === "flight" ? undefined : ask("bags", id),
      kind === "bag" ? undefined : ask("flights", id),
    ]);
    const [bag, flight] = answers.map((answer) => (answer?.unknown ? undefined : answer));
    const parts = [
      ...(bag ? [el("div", { class: "bag-result" }, bagResult(bag), historyPart(bag))] : []),
      ...(flight ? [el("div", { class: "flight-result" }, flightResult(flight), historyPart(flight))] : []),
    ];
    const archiveError = answers.find((answer) => answer?.unknown && answer.history_error)?.history_error;
    body.replaceChildren(
      ...(parts.length ? parts : [
        el("p", { class: "not-found" }, `No bag or flight ${id} is known.`),
        ...(archiveError ? [el("p", { class: "empty" }, `History: ${archiveError}.`)] : []),
      ]),
    );
  } catch (error) {
    body.replaceChildren(el("p", { class: "error" }, `The search failed: ${error.message}`));
  }
  $("#result-title").focus();
}

$("#search").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#search-id");
  if (input.checkValidity()) search(input.value.trim());
});
$("#result-close").addEventListener("click", () => {
  $("#result").hidden = true;
  $("#search-id").focus();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "/" && document.activeElement?.tagName !== "INPUT") {
    event.preventDefault();
    $("#search-id").focus();
  }
});

connect();
tick();
setInterval(tick, 1000);
