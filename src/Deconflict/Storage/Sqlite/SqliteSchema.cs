namespace Deconflict.Storage.Sqlite;

/// <summary>
/// Versioned, forward-only migrations. Each runs once, in its own transaction, and is recorded in
/// schema_migrations; a database from a newer build is refused rather than guessed at.
/// Times are integer milliseconds since the Unix epoch, UTC.
/// </summary>
internal static class SqliteSchema
{
    public static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE parties(
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            created_at INTEGER NOT NULL) WITHOUT ROWID;

        -- Tokens are kept only as SHA-256 hashes of the secret; party NULL = admin.
        CREATE TABLE tokens(
            id TEXT PRIMARY KEY,
            party TEXT REFERENCES parties(id),
            secret_hash BLOB NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER);

        -- Operations and zones (kind) share one table: same shape, same conflict detection.
        -- seq gives a stable listing order and the pagination cursor.
        CREATE TABLE declarations(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            party TEXT NOT NULL REFERENCES parties(id),
            version INTEGER NOT NULL,
            state TEXT NOT NULL,
            priority INTEGER NOT NULL,
            rule TEXT,
            name TEXT,
            volumes TEXT NOT NULL,
            details TEXT,
            starts_at INTEGER NOT NULL,
            ends_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL);
        CREATE INDEX declarations_live_ends ON declarations(ends_at) WHERE state IN ('planned', 'active');
        CREATE INDEX declarations_kind_party ON declarations(kind, party, seq);

        -- Broad phase: one box per volume (two when it crosses the antimeridian). Units are chosen so
        -- the four dimensions have comparable spreads (degrees, tens of kilometres of altitude, days
        -- since 2020): R*Tree's split heuristics compare raw extents, and with Unix seconds the tree split
        -- on time alone (root children each spanned the whole region), so a 100,000-row query took
        -- 630 us; in these units, 16 us. R*Tree stores 32-bit floats rounded outward, so a box only grows:
        -- the index may give extra candidates (the exact test drops them), never miss one.
        CREATE VIRTUAL TABLE volume_index USING rtree(
            id, min_lng, max_lng, min_lat, max_lat, min_alt, max_alt, min_t, max_t,
            +declaration INTEGER);

        CREATE TABLE conflicts(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            version INTEGER NOT NULL,
            state TEXT NOT NULL,
            a_kind TEXT NOT NULL, a_id TEXT NOT NULL, a_party TEXT NOT NULL, a_version INTEGER NOT NULL,
            b_kind TEXT NOT NULL, b_id TEXT NOT NULL, b_party TEXT NOT NULL, b_version INTEGER NOT NULL,
            time_start TEXT NOT NULL,
            time_end TEXT NOT NULL,
            altitude_lower_m REAL NOT NULL,
            altitude_upper_m REAL NOT NULL,
            acknowledged_by TEXT NOT NULL,
            accepted_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            resolved_at INTEGER);
        CREATE INDEX conflicts_a_party ON conflicts(a_party, seq);
        CREATE INDEX conflicts_b_party ON conflicts(b_party, seq);

        -- The event log: seq is the record index + 1, assigned in commit order without gaps.
        -- payload is the exact text pushed to the parties; audience NULL = everyone, else a JSON
        -- array of party ids. Readers filter by it as they scan in order: a per-party index table
        -- cost two more rows per conflict event on the single writer (measured, docs/performance.md),
        -- while streams read the log sequentially anyway.
        CREATE TABLE events(
            seq INTEGER PRIMARY KEY,
            time INTEGER NOT NULL,
            type TEXT NOT NULL,
            actor TEXT,
            audience TEXT,
            payload TEXT NOT NULL);
        """,
        // 2: the record. Every event is a leaf: entry holds the exact bytes hashed into it
        // (docs/record.md); record_nodes the hash of every perfect subtree (level * 2^48 + index
        // until migration 5), so appends and proofs never rehash the log. Heads are the signed tree
        // heads; a cosignature is a party's witness signature over one (the last one per party is
        // what a new one must be consistent with); party_keys the parties' Ed25519 witness keys; a
        // reveal makes an entry readable by every party. Events written before this migration are
        // entered into the record when it runs (SqliteStore.BackfillRecord).
        """
        ALTER TABLE events ADD COLUMN entry BLOB;
        CREATE TABLE record_nodes(
            id INTEGER PRIMARY KEY,
            hash BLOB NOT NULL);
        CREATE TABLE record_heads(
            size INTEGER PRIMARY KEY,
            root BLOB NOT NULL,
            time INTEGER NOT NULL,
            signature BLOB NOT NULL);
        CREATE TABLE party_keys(
            party TEXT PRIMARY KEY REFERENCES parties(id),
            public_key BLOB NOT NULL,
            registered_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE record_cosignatures(
            party TEXT NOT NULL REFERENCES parties(id),
            size INTEGER NOT NULL,
            root BLOB NOT NULL,
            time INTEGER NOT NULL,
            signature BLOB NOT NULL,
            PRIMARY KEY(party, size)) WITHOUT ROWID;
        CREATE TABLE record_reveals(
            entry_index INTEGER PRIMARY KEY,
            revealed_by TEXT,
            revealed_at INTEGER NOT NULL);
        """,
        // 3: the deconfliction line. A message is one row holding its current version as JSON
        // (doc); next_due_at (ms) is its earliest pending escalation, indexed for the clock;
        // (sender, idempotency_key) makes a retried POST find the message it created; notice_for
        // links an automatic notice to its conflict; line_recipients lists inboxes;
        // escalation_contacts are each party's webhooks per escalation level.
        """
        CREATE TABLE line_messages(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            sender TEXT NOT NULL REFERENCES parties(id),
            version INTEGER NOT NULL,
            doc TEXT NOT NULL,
            next_due_at INTEGER,
            idempotency_key TEXT,
            notice_for TEXT,
            created_at INTEGER NOT NULL);
        CREATE INDEX line_messages_notice ON line_messages(notice_for) WHERE notice_for IS NOT NULL;
        CREATE INDEX line_messages_due ON line_messages(next_due_at) WHERE next_due_at IS NOT NULL;
        CREATE UNIQUE INDEX line_messages_idempotency ON line_messages(sender, idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX line_messages_sender ON line_messages(sender, seq);
        CREATE TABLE line_recipients(
            party TEXT NOT NULL,
            message_seq INTEGER NOT NULL,
            PRIMARY KEY(party, message_seq)) WITHOUT ROWID;
        CREATE TABLE escalation_contacts(
            party TEXT NOT NULL REFERENCES parties(id),
            level INTEGER NOT NULL,
            url TEXT NOT NULL,
            PRIMARY KEY(party, level, url)) WITHOUT ROWID;
        """,
        // 4: track alerts. One row per alert holding its current version as JSON (doc); the two
        // sides' parties are columns so a party's list is an index range; active alerts are
        // indexed for the detector to take back after a restart.
        """
        CREATE TABLE alerts(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            a_party TEXT NOT NULL,
            b_party TEXT NOT NULL,
            state TEXT NOT NULL,
            version INTEGER NOT NULL,
            doc TEXT NOT NULL);
        CREATE INDEX alerts_a_party ON alerts(a_party, seq);
        CREATE INDEX alerts_b_party ON alerts(b_party, seq);
        CREATE INDEX alerts_active ON alerts(state) WHERE state = 'active';
        """,
        // 5: record nodes keyed in completion order (SqliteRecordTree.NodeId): node (level, index)
        // moves from level * 2^48 + index to ((index + 1) * 2^level - 1) * 64 + level, so the
        // writer appends at one edge of the table instead of one per level. Rebuilt in key order;
        // the hashes are unchanged.
        """
        CREATE TABLE record_nodes_by_completion(
            id INTEGER PRIMARY KEY,
            hash BLOB NOT NULL);
        INSERT INTO record_nodes_by_completion(id, hash)
            SELECT ((((id & 281474976710655) + 1) << (id >> 48)) - 1) * 64 + (id >> 48), hash
            FROM record_nodes ORDER BY 1;
        DROP TABLE record_nodes;
        ALTER TABLE record_nodes_by_completion RENAME TO record_nodes;
        """,
        // 6: the writer finds ended declarations in memory (Declarations/LiveDeclarations);
        // this index cost a page written at a random place per submission.
        """
        DROP INDEX declarations_live_ends;
        """,
        // 7: every served row names the record entry that made its current version (record_index,
        // for an alert the first of its entries, one per side), so the served state can be checked
        // against the record (docs/record.md, "Served state"). Rows of an existing database are
        // bound to the latest entry about them (SqliteStore.BackfillRecordIndex).
        """
        ALTER TABLE declarations ADD COLUMN record_index INTEGER;
        ALTER TABLE conflicts ADD COLUMN record_index INTEGER;
        ALTER TABLE line_messages ADD COLUMN record_index INTEGER;
        ALTER TABLE alerts ADD COLUMN record_index INTEGER;
        """,
        // 8: an event is its record entry alone. Who may see it and what the streams send are read
        // from the entry's own parties and payload (EventReads.Read), so there is no second
        // copy of the audience to widen or of the payload to edit; the writer's row shrinks to the
        // entry (docs/performance.md, "Durable appends").
        """
        ALTER TABLE events DROP COLUMN time;
        ALTER TABLE events DROP COLUMN type;
        ALTER TABLE events DROP COLUMN actor;
        ALTER TABLE events DROP COLUMN audience;
        ALTER TABLE events DROP COLUMN payload;
        """,
        // 9: every token names the entry that states it whole (its creation or revocation, with the
        // SHA-256 of its secret), so a token row inserted or edited offline is refused at start
        // (docs/record.md, "Served state"). Tokens of an existing database get one entry each when
        // this runs (SqliteStore.BindTokens).
        """
        ALTER TABLE tokens ADD COLUMN record_index INTEGER;
        """,
        // 10: every party and registered witness key names the entry that states it whole (the
        // party's creation; the key's registration), so a role or key edited offline is refused at
        // start. Parties of an existing database are bound to their creation entry; keys, whose
        // entries did not state the registration time, get one entry each (SqliteStore.BindParties).
        """
        ALTER TABLE parties ADD COLUMN record_index INTEGER;
        ALTER TABLE party_keys ADD COLUMN record_index INTEGER;
        """,
        // 11: each party's set of escalation contacts names the entry that states it whole (even
        // empty, so contacts added offline to a party that has none are refused at start). Sets
        // of an existing database get one entry each (SqliteStore.BindEscalationContacts).
        """
        CREATE TABLE escalation_contact_sets(
            party TEXT PRIMARY KEY REFERENCES parties(id),
            record_index INTEGER NOT NULL) WITHOUT ROWID;
        """,
        // 12: the salt of the commitment to an operation's private details that its entries carry
        // (Declaration.DetailsSha256). Versions written before have none: their details are bound
        // from their next version on.
        """
        ALTER TABLE declarations ADD COLUMN details_salt TEXT;
        """,
    ];
}
