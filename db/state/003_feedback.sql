-- What became of each occurrence's message, for the report's owner.
--
-- flush records here a message given up (5xx, or max_age passed) or
-- delivered with some recipients refused: delivery_error is the server's
-- reply, as the owner reads it in the report's last_error.  `send`, which
-- holds the reports database and the spool, then writes it back to the
-- report's row (writeback = 1 until done) and spools the notice to
-- [mail] notify (notice = 1 until done).  A fresh copy of the reports
-- database is repaired with delivery_error too.  title and recipients are
-- what was sent, so that a write-back never lands on another report that
-- took the id in a replaced file.
ALTER TABLE occurrences ADD COLUMN title TEXT;
ALTER TABLE occurrences ADD COLUMN recipients TEXT;
ALTER TABLE occurrences ADD COLUMN delivery_error TEXT;
ALTER TABLE occurrences ADD COLUMN writeback INTEGER NOT NULL DEFAULT 0;
ALTER TABLE occurrences ADD COLUMN notice INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS occurrences_pending ON occurrences (report_id)
    WHERE writeback = 1 OR notice = 1;
