/**
 * The original system's four dashboard rows: test data produced, flights and bags consumed into Redis,
 * what Redis stores, and the arriving-flight work produced (as flights and as bag items by outcome).
 */
import { latest, q, type RowSpec, series, single, total } from "./panel_spec.ts";

export const PIPELINE_ROWS: readonly RowSpec[] = [
  {
    title: "Bags/Flights Production",
    panels: [
      total(
        "Flights produced",
        "sum(produced_test_flights_total)",
        "Flight messages the test producer published (acknowledged by Kafka).",
      ),
      single(
        "Flights produced / s",
        "sum(rate(produced_test_flights_total[1m]))",
        "flights/s",
        "Rate of flight messages published by the test producer.",
        "ops",
      ),
      total("Bags produced", "sum(produced_test_bags_total)", "Bag messages the test producer published."),
      single(
        "Bags produced / s",
        "sum(rate(produced_test_bags_total[1m]))",
        "bags/s",
        "Rate of bag messages published by the test producer.",
        "ops",
      ),
      latest(
        "Latest produced flight arrival",
        "latest_produced_flight_arrival_timestamp",
        "Arrival time of the latest flight the test producer published: how far ahead the test data reaches.",
      ),
      single(
        "Messages produced by topic / s",
        "sum by (topic) (rate(produced_messages_total[1m]))",
        "{{topic}}",
        "Publishing rate per topic (flights, bags).",
        "ops",
      ),
    ],
  },
  {
    title: "Bags/Flights Consumption (consumed and upserted into Redis)",
    panels: [
      total(
        "Flights consumed",
        "sum(processed_flights_total)",
        "Flight messages applied to Redis by all flight-consumer replicas.",
      ),
      single(
        "Flights consumed / s",
        "sum(rate(processed_flights_total[1m]))",
        "flights/s",
        "Rate of flights upserted into Redis.",
        "ops",
      ),
      total(
        "Bags consumed",
        "sum(processed_bags_total)",
        "Bag messages applied to Redis by all bag-consumer replicas.",
      ),
      single(
        "Bags consumed / s",
        "sum(rate(processed_bags_total[1m]))",
        "bags/s",
        "Rate of bags upserted into Redis.",
        "ops",
      ),
      latest(
        "Latest consumed flight arrival",
        "latest_consumed_flight_arrival_timestamp",
        "Arrival time of the latest flight consumed: compare with the latest produced one to see the delay.",
      ),
      series(
        "Consumed vs produced / s",
        [
          q(
            "sum(rate(produced_test_flights_total[1m])) - sum(rate(processed_flights_total[1m]))",
            "flights produced - consumed",
          ),
          q(
            "sum(rate(produced_test_bags_total[1m])) - sum(rate(processed_bags_total[1m]))",
            "bags produced - consumed",
          ),
        ],
        "Test data published minus data consumed per second: above 0 for long, the consumers fall behind.",
        "ops",
      ),
    ],
  },
  {
    title: "Database Stats (stored records and Redis memory)",
    panels: [
      total(
        "Flights stored",
        "max(redis_stored_flights)",
        "Distinct flights in Redis (flight:count), read at each scan.",
      ),
      total("Bags stored", "max(redis_stored_bags)", "Distinct bags in Redis (bag:count), read at each scan."),
      series(
        "Stored records",
        [q("max(redis_stored_flights)", "flights"), q("max(redis_stored_bags)", "bags")],
        "Flights and bags stored in Redis over time.",
        "short",
        12,
      ),
      series(
        "Redis memory",
        [q("sum(redis_memory_used_bytes)", "used"), q("sum(redis_memory_max_bytes)", "maxmemory (0: no limit)")],
        "Memory Redis uses against its maxmemory limit.",
        "bytes",
        12,
      ),
    ],
  },
  {
    title: "FlightArrivalWork Production (as flights and as bag work items by outcome)",
    panels: [
      total(
        "Work messages produced",
        "sum(produced_arriving_flight_work_total)",
        "arriving_flight_work messages published: one per arriving flight and revision.",
      ),
      single(
        "Work messages / s",
        "sum(rate(produced_arriving_flight_work_total[1m]))",
        "flights/s",
        "Rate of work messages (arriving flights) published.",
        "ops",
        12,
      ),
      total(
        "Bag work items produced",
        "sum(bag_work_items_total)",
        "Bags in all work messages published (a message holds every bag of its flight).",
      ),
      single(
        "Bag work items by outcome / s",
        "sum by (outcome) (rate(bag_work_items_total[1m]))",
        "{{outcome}}",
        "Bag work items per outcome: departure (next flight's departure time) or the code's name.",
        "ops",
        12,
      ),
      latest(
        "Latest work arrival",
        "latest_work_arrival_timestamp",
        "Arrival time of the flight in the latest work message.",
      ),
      {
        title: "Bag work items by outcome",
        description:
          "All bag work items so far by outcome: departure, final_destination, itinerary_unknown, no_flights, next_flight_unknown, flight_not_in_itinerary.",
        kind: "bargauge",
        width: 12,
        queries: [q("sum by (outcome) (bag_work_items_total)", "{{outcome}}")],
      },
      series(
        "Scan activity / s",
        [
          q("sum(rate(flights_scanned_total[1m]))", "flights scanned"),
          q("sum(rate(work_corrections_total[1m]))", "corrections (revision > 1)"),
          q("sum(rate(scan_claim_conflicts_total[1m]))", "claimed by another replica"),
        ],
        "Flights examined by scans, corrected work re-published after late data, and flights another scanner replica was publishing.",
        "ops",
        12,
      ),
      {
        ...total(
          "Flights skipped (landed, never published)",
          "sum(flights_skipped_too_old_total)",
          "Flights that landed more than SCAN_GRACE_SECONDS ago without their work ever being published: should stay 0.",
        ),
        redAbove: 1,
      },
    ],
  },
];
