-- Baggage messages (issue 16). An itinerary version a BSM or BTM gave says which (`message`: BSM, BTM, with CHG or
-- DEL when it changed or deleted the bag; null for the bags topic); a deletion is a version with no flights.
ALTER TABLE bag_itineraries ADD COLUMN message text;

-- A bag's exceptions (RUSH, PRIO…) in a work revision, null when it has none.
ALTER TABLE work_revisions ADD COLUMN exceptions text[];

-- What a BPM or BUM says happened to a bag: processed (sorted, screened, loaded), unloaded, or an irregularity; where
-- (the reader of .J, else the receiving airport) and when (.J's time in UTC, null when local or absent).
CREATE TABLE bag_events (
  bag_id text NOT NULL,
  message text NOT NULL,
  flight_id text,
  what text NOT NULL,
  location text,
  event_at timestamptz,
  kafka_time timestamptz NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset bigint NOT NULL
) PARTITION BY RANGE (kafka_time);
CREATE INDEX bag_events_bag ON bag_events (bag_id);

-- The days that already exist get their partition of the new table, as Partitions.ensure() makes for new days.
DO $$
DECLARE
  day text;
BEGIN
  FOR day IN
    SELECT substring(child.relname FROM '_p(\d{8})$')
    FROM pg_inherits
    JOIN pg_class child ON child.oid = pg_inherits.inhrelid
    WHERE pg_inherits.inhparent = 'bag_itineraries'::regclass
  LOOP
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF bag_events FOR VALUES FROM (%L) TO (%L)',
      'bag_events_p' || day,
      to_date(day, 'YYYYMMDD')::text || ' 00:00:00+00',
      (to_date(day, 'YYYYMMDD') + 1)::text || ' 00:00:00+00'
    );
  END LOOP;
END
$$;
