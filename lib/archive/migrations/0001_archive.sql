-- The archive: every version of a flight, every version of a bag's itinerary, every work revision of a
-- bag, and every dead letter, each kept for ARCHIVE_RETENTION_DAYS. The tables are partitioned by UTC day
-- (partitions named <table>_pYYYYMMDD, created by the archiver ahead of the rows and dropped past
-- retention); archive_days, the index of which days hold an id, by month (archive_days_pYYYYMM).
-- Message times (departure_time, arrival_time, scanned_at) are stored as the topics carry them, in Unix
-- seconds (double precision: the contracts allow fractions, and the scanner writes them); kafka_time is the
-- Kafka timestamp of the message that brought the row.

-- A flight as each valid message of the flights topic gave it.
CREATE TABLE flight_versions (
  flight_id text NOT NULL,
  departure_time double precision NOT NULL,
  arrival_time double precision NOT NULL,
  bags text[] NOT NULL,
  kafka_time timestamptz NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset bigint NOT NULL
) PARTITION BY RANGE (kafka_time);
CREATE INDEX flight_versions_flight ON flight_versions (flight_id);

-- A bag's itinerary as each valid message of the bags topic gave it.
CREATE TABLE bag_itineraries (
  bag_id text NOT NULL,
  flights text[] NOT NULL,
  kafka_time timestamptz NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset bigint NOT NULL
) PARTITION BY RANGE (kafka_time);
CREATE INDEX bag_itineraries_bag ON bag_itineraries (bag_id);

-- One row per bag of each work revision of the work topic: the next departure or code (departure_time,
-- as the message has it), or removed when the revision no longer lists a bag the one before did.
-- Partitioned by the flight's arrival (arrival_at, the message's arrival_time as a time), which a revision republished
-- by the scanner repeats, so that the unique index (which must hold the partition key) keeps one row per bag
-- and revision.
CREATE TABLE work_revisions (
  flight_id text NOT NULL,
  bag_id text NOT NULL,
  revision bigint NOT NULL,
  arrival_at timestamptz NOT NULL,
  arrival_time double precision NOT NULL,
  departure_time double precision,
  next_flight_id text,
  removed boolean NOT NULL,
  scanned_at double precision NOT NULL,
  kafka_time timestamptz NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset bigint NOT NULL
) PARTITION BY RANGE (arrival_at);
CREATE UNIQUE INDEX work_revisions_bag ON work_revisions (bag_id, flight_id, revision, arrival_at);
CREATE INDEX work_revisions_flight ON work_revisions (flight_id);

-- Every message of a dead-letter topic: why it was rejected, where it came from, and its value.
CREATE TABLE dead_letters (
  topic text NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset bigint NOT NULL,
  kafka_time timestamptz NOT NULL,
  reason text NOT NULL,
  source_topic text,
  source_partition integer,
  source_offset bigint,
  message_key text,
  value bytea
) PARTITION BY RANGE (kafka_time);
CREATE INDEX dead_letters_source ON dead_letters (source_topic, source_offset);

-- Which days hold rows of a bag or a flight (kind 'bag' or 'flight'), so that a history reads the few
-- partitions that hold it instead of probing every day of the retention.
CREATE TABLE archive_days (
  kind text NOT NULL,
  id text NOT NULL,
  day date NOT NULL,
  PRIMARY KEY (kind, id, day)
) PARTITION BY RANGE (day);

-- The exactly-once record: the next offset to archive of each topic partition, written in the same
-- transaction as the rows of the offsets before it.
CREATE TABLE archive_offsets (
  topic text NOT NULL,
  kafka_partition integer NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (topic, kafka_partition)
);
