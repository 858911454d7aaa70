-- Delivery state of the spooled messages, kept by flush.
--
-- The spool is the truth of what is still to deliver: a file in queue/ is
-- a message to try, whether or not it has a row here (a message never
-- tried has none).  A row whose file is gone is stale: flush removes the
-- file first, then the row, so a crash between the two leaves only such a
-- row, which the next flush deletes.  Nothing here can lose a message.
CREATE TABLE IF NOT EXISTS deliveries (
    spool_name   TEXT PRIMARY KEY,     -- the file under queue/ or failed/
    state        TEXT NOT NULL DEFAULT 'queued',  -- queued | failed
    attempts     INTEGER NOT NULL DEFAULT 0,  -- real tries (a server
                                       -- answered, or the message timed out)
    next_try     TEXT,                 -- UTC; NULL: at once
    last_code    INTEGER,              -- the server's reply code, 0: none
    last_error   TEXT                  -- the reply or the failure, in words
) WITHOUT ROWID;
