-- A flight message may come without `bags` (a schedule feed, issue 16): its version keeps no manifest (null), while
-- the one before it stays the flight's manifest in Redis.
ALTER TABLE flight_versions ALTER COLUMN bags DROP NOT NULL;
