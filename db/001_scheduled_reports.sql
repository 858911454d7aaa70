-- The table the sync job writes, with exactly the columns of SPEC.md.
-- @table@ is the configured [database] table, as an SQL identifier.
-- These migrations run only on a reports file the program created
-- (initdb), or, told with initdb --create-table, to add the table to a
-- file that holds others.
CREATE TABLE IF NOT EXISTS @table@ (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    recipients   TEXT NOT NULL,
    cc           TEXT,
    bcc          TEXT,
    subject      TEXT,
    body         TEXT,
    scheduled_at TEXT NOT NULL,
    sent         INTEGER NOT NULL DEFAULT 0,
    sent_at      TEXT,
    pdf_path     TEXT,
    report_data  TEXT,
    schedule     TEXT,
    timezone     TEXT,
    last_error   TEXT
);
