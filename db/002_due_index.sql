-- Finds the due reports without reading the others: a partial index holds
-- only the unsent rows, ordered by when they are due, so
--   WHERE sent = 0 AND scheduled_at <= ?
-- is a range scan over the pending reports alone.  @due_index@ is the
-- table's name with "_due".
CREATE INDEX IF NOT EXISTS @due_index@
    ON @table@ (scheduled_at) WHERE sent = 0;
