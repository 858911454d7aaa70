-- The table the sync job writes, with exactly the columns of SPEC.md.
-- IF NOT EXISTS: a file made by the sync job already holds it, and this
-- migration runs again on every fresh copy (its user_version is 0).
CREATE TABLE IF NOT EXISTS scheduled_reports (
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
