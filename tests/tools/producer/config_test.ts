import assert from "node:assert/strict";
import { ConfigError } from "../../../lib/infra/config.ts";
import { loadProducerSettings } from "../../../tools/producer/config.ts";

Deno.test("loadProducerSettings() applies the documented defaults", () => {
  assert.deepEqual(loadProducerSettings(5000, {}), {
    flightsPerHour: 1000,
    bagsPerHour: 300_000,
    hours: 24,
    startOffsetSeconds: 120,
    pace: "realistic",
    format: "json",
    seed: 1,
    minConnectionMinutes: 45,
    maxConnectionMinutes: 360,
    lateRate: 0.01,
    missingRate: 0.005,
    emptyRate: 0.002,
  });
});

Deno.test("loadProducerSettings() reads every variable", () => {
  const settings = loadProducerSettings(5000, {
    PRODUCER_FLIGHTS_PER_HOUR: "20",
    PRODUCER_BAGS_PER_HOUR: "2000",
    PRODUCER_HOURS: "2",
    PRODUCER_START_OFFSET_SECONDS: "0",
    PRODUCER_PACE: "max",
    PRODUCER_FORMAT: "bsm",
    PRODUCER_SEED: "99",
    PRODUCER_MIN_CONNECTION_MINUTES: "30",
    PRODUCER_MAX_CONNECTION_MINUTES: "240",
    PRODUCER_LATE_ITINERARY_RATE: "0.1",
    PRODUCER_MISSING_ITINERARY_RATE: "0",
    PRODUCER_EMPTY_ITINERARY_RATE: "1e-3",
  });

  assert.deepEqual(settings, {
    flightsPerHour: 20,
    bagsPerHour: 2000,
    hours: 2,
    startOffsetSeconds: 0,
    pace: "max",
    format: "bsm",
    seed: 99,
    minConnectionMinutes: 30,
    maxConnectionMinutes: 240,
    lateRate: 0.1,
    missingRate: 0,
    emptyRate: 0.001,
  });
  assert.ok(Object.isFrozen(settings));
});

Deno.test("loadProducerSettings() names each bad variable and its value", () => {
  assert.throws(
    () =>
      loadProducerSettings(5000, {
        PRODUCER_PACE: "fast",
        PRODUCER_FORMAT: "xml",
        PRODUCER_SEED: "one",
        PRODUCER_LATE_ITINERARY_RATE: "2",
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(
        error.message,
        `Cannot start: 'PRODUCER_PACE' must be one of realistic, max, got "fast"; ` +
          `'PRODUCER_FORMAT' must be one of json, bsm, got "xml"; ` +
          `'PRODUCER_SEED' must be an integer between 0 and 4294967295, got "one"; ` +
          `'PRODUCER_LATE_ITINERARY_RATE' must be a number between 0 and 1, got "2"`,
      );
      return true;
    },
  );
});

Deno.test("loadProducerSettings() rejects rates above 1 in all, connections without room, and flights fuller than MAX_BAGS_PER_FLIGHT", () => {
  const message = (env: Record<string, string>, maxBagsPerFlight = 5000) => {
    try {
      loadProducerSettings(maxBagsPerFlight, env);
    } catch (error) {
      return (error as Error).message;
    }
    return "no error";
  };

  assert.match(
    message({
      PRODUCER_LATE_ITINERARY_RATE: "0.5",
      PRODUCER_MISSING_ITINERARY_RATE: "0.4",
      PRODUCER_EMPTY_ITINERARY_RATE: "0.2",
    }),
    /'PRODUCER_LATE_ITINERARY_RATE' plus the missing and empty itinerary rates must not exceed 1, got "1.1"/,
  );
  assert.match(
    message({ PRODUCER_MIN_CONNECTION_MINUTES: "60", PRODUCER_MAX_CONNECTION_MINUTES: "60" }),
    /'PRODUCER_MAX_CONNECTION_MINUTES' must be more than PRODUCER_MIN_CONNECTION_MINUTES \(60\), got "60"/,
  );
  // 300,000 bags on 1,000 flights: at most 3 × 300 = 900 on one flight.
  assert.equal(message({}, 900), "no error");
  assert.match(
    message({}, 899),
    /'PRODUCER_BAGS_PER_HOUR' .* must not exceed MAX_BAGS_PER_FLIGHT \(899\), got "300000"/,
  );
});

Deno.test("loadProducerSettings() allows PRODUCER_FORMAT=bsm only up to 20,000 flights an hour", () => {
  const env = { PRODUCER_FORMAT: "bsm", PRODUCER_BAGS_PER_HOUR: "20000" };

  assert.equal(loadProducerSettings(5000, { ...env, PRODUCER_FLIGHTS_PER_HOUR: "20000" }).flightsPerHour, 20_000);
  assert.equal(loadProducerSettings(5000, { PRODUCER_FLIGHTS_PER_HOUR: "20001" }).flightsPerHour, 20_001);
  assert.throws(
    () => loadProducerSettings(5000, { ...env, PRODUCER_FLIGHTS_PER_HOUR: "20001" }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(
        error.message,
        `Cannot start: 'PRODUCER_FLIGHTS_PER_HOUR' must be at most 20000 with PRODUCER_FORMAT=bsm ` +
          `(each airline has 9999 flight numbers a day), got "20001"`,
      );
      return true;
    },
  );
});
