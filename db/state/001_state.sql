-- The state database lives beside the spool, not in the reports database,
-- because the sync job may replace the reports file with a fresh copy at
-- any time; what must survive that lives here.

-- One row per report occurrence that was turned into a spooled message.
-- Its existence is what makes `send` idempotent: an occurrence found here
-- is never spooled again, whatever the reports database says.
CREATE TABLE IF NOT EXISTS occurrences (
    report_id    INTEGER NOT NULL,
    scheduled_at TEXT NOT NULL,        -- UTC, 'YYYY-MM-DD HH:MM:SS'
    message_id   TEXT NOT NULL,
    spool_name   TEXT NOT NULL,        -- the file under queue/
    spooled_at   TEXT NOT NULL,        -- UTC
    PRIMARY KEY (report_id, scheduled_at)
) WITHOUT ROWID;

-- The run log: every occurrence handled, and how.
CREATE TABLE IF NOT EXISTS runlog (
    id           INTEGER PRIMARY KEY,
    report_id    INTEGER NOT NULL,
    scheduled_at TEXT NOT NULL,        -- UTC
    handled_at   TEXT NOT NULL,        -- UTC, the run's clock
    outcome      TEXT NOT NULL,        -- queued | given up
    message_id   TEXT,
    error        TEXT
);
CREATE INDEX IF NOT EXISTS runlog_report ON runlog (report_id, id);

-- Small facts kept between runs.
CREATE TABLE IF NOT EXISTS meta (
    key          TEXT PRIMARY KEY,
    value        TEXT NOT NULL
) WITHOUT ROWID;
