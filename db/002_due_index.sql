-- Finds the due reports without reading the others: a partial index holds
-- only the unsent rows, ordered by when they are due, so
--   WHERE sent = 0 AND scheduled_at <= ?
-- is a range scan over the pending reports alone.
CREATE INDEX IF NOT EXISTS scheduled_reports_due
    ON scheduled_reports (scheduled_at) WHERE sent = 0;
