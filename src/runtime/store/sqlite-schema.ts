/**
 * The SQLite store's schema, as versioned migrations kept in code.
 *
 * Migration `i` (0-based) brings a database from version `i` to `i + 1`; the
 * `schema_version` table holds the version a database is at. Migrations are
 * only ever appended: a shipped one is never edited, because databases in the
 * field already ran it. A database at a version above {@link SCHEMA_VERSION}
 * was written by a newer aarm and is refused rather than guessed at.
 *
 * Context entries and receipts are append-only: triggers refuse updates and
 * deletes, so a bug or a stray statement cannot rewrite history quietly (a
 * deliberate edit of the file is caught by the hash chains instead).
 *
 * @module
 */

/** Creates the version table; run in the migration transaction, so a refused database is left as it was. */
export const VERSION_TABLE = `
CREATE TABLE IF NOT EXISTS schema_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
) STRICT;
`;

/** The migrations, oldest first. */
export const MIGRATIONS: readonly string[] = [
  `
CREATE TABLE sessions (
  session_id TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('active', 'ended')),
  started_at TEXT NOT NULL,
  ended_at TEXT,
  context_seq INTEGER,
  context_hash TEXT,
  receipt_seq INTEGER,
  receipt_hash TEXT,
  receipt_id TEXT
) STRICT;

CREATE TABLE context_entries (
  session_id TEXT NOT NULL REFERENCES sessions (session_id),
  seq INTEGER NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  body TEXT NOT NULL,
  UNIQUE (session_id, seq)
) STRICT;

CREATE TABLE receipts (
  receipt_id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions (session_id),
  seq INTEGER NOT NULL,
  prev_hash TEXT,
  hash TEXT NOT NULL,
  body TEXT NOT NULL,
  UNIQUE (session_id, seq)
) STRICT;

CREATE TRIGGER context_entries_no_update BEFORE UPDATE ON context_entries
BEGIN SELECT RAISE(ABORT, 'context entries are append-only'); END;
CREATE TRIGGER context_entries_no_delete BEFORE DELETE ON context_entries
BEGIN SELECT RAISE(ABORT, 'context entries are append-only'); END;
CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;
CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;

CREATE TABLE approvals (
  request_id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions (session_id),
  pending INTEGER NOT NULL CHECK (pending IN (0, 1)),
  version INTEGER NOT NULL,
  request TEXT NOT NULL,
  responses TEXT NOT NULL,
  result TEXT
) STRICT;

CREATE TABLE deferrals (
  deferral_id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions (session_id),
  pending INTEGER NOT NULL CHECK (pending IN (0, 1)),
  version INTEGER NOT NULL,
  deferred TEXT NOT NULL,
  resolution TEXT
) STRICT;
`,
];

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;
