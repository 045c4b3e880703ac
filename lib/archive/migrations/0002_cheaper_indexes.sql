-- Cheaper inserts (issue 15's throughput): no row of the two biggest tables goes through ON CONFLICT any more,
-- whose speculative insertion cost about 5 µs a row.
--
-- work_revisions: a revision republished by the scanner is recognised per message instead of per row: the
-- archiver looks its (flight, revision, arrival) up on work_revisions_flight and leaves it out when present. The
-- unique index goes; bag lookups need the bag alone.
DROP INDEX work_revisions_bag;
CREATE INDEX work_revisions_bag ON work_revisions (bag_id);
DROP INDEX work_revisions_flight;
CREATE INDEX work_revisions_flight ON work_revisions (flight_id, revision);

-- archive_days: an index of the days holding an id, read as its first and last day. The archiver leaves out the
-- pairs it has written recently; a pair written twice (two transactions racing, a restart) is harmless.
ALTER TABLE archive_days DROP CONSTRAINT archive_days_pkey;
CREATE INDEX archive_days_id ON archive_days (id, kind, day);
