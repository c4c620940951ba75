namespace Deconflict.Storage.Postgres;

/// <summary>
/// Versioned, forward-only migrations of the PostgreSQL store. Each runs once and is recorded in
/// schema_version; all pending ones run in one transaction under an advisory lock
/// (<see cref="MigrationLock"/>), so nodes starting together apply each exactly once, and a
/// database from a newer build is refused rather than guessed at.
/// </summary>
/// <remarks>
/// The tables hold what SQLite's do after its last migration, with the same encodings
/// (<see cref="StoreRows"/>): times are bigint milliseconds since the Unix epoch, UTC; ids and
/// parties are text in the "C" collation, so that every ORDER BY gives SQLite's ordinal (BINARY)
/// order whatever the database's default collation. Row seqs are given by the writer as the
/// largest + 1 under the record head lock (as SQLite's rowids are), not by a sequence, which would
/// leave gaps where a transaction rolled back.
/// </remarks>
internal static class PostgresSchema
{
    /// <summary>The transaction advisory lock key under which migrations run ("Deconmg").</summary>
    public const long MigrationLock = 0x4465636f6e6d67;

    public static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE EXTENSION IF NOT EXISTS postgis;

        -- The record head: every write transaction locks this one row first (FOR UPDATE), so the
        -- writes of every node run one after the other and the record is one log.
        CREATE TABLE record_state(
            id integer PRIMARY KEY CHECK (id = 1));
        INSERT INTO record_state(id) VALUES (1);

        CREATE TABLE parties(
            id text COLLATE "C" PRIMARY KEY,
            name text NOT NULL,
            role text NOT NULL,
            created_at bigint NOT NULL,
            record_index bigint);

        -- Tokens are kept only as SHA-256 hashes of the secret; party NULL = admin. seq is the
        -- order they were issued in.
        CREATE TABLE tokens(
            seq bigint NOT NULL UNIQUE,
            id text COLLATE "C" PRIMARY KEY,
            party text COLLATE "C" REFERENCES parties(id),
            secret_hash bytea NOT NULL UNIQUE,
            created_at bigint NOT NULL,
            revoked_at bigint,
            record_index bigint);
        CREATE INDEX tokens_party ON tokens(party, seq);

        -- Operations and zones (kind) share one table; seq gives a stable listing order and the
        -- pagination cursor.
        CREATE TABLE declarations(
            seq bigint PRIMARY KEY,
            id text COLLATE "C" NOT NULL UNIQUE,
            kind text NOT NULL,
            party text COLLATE "C" NOT NULL REFERENCES parties(id),
            version bigint NOT NULL,
            state text NOT NULL,
            priority integer NOT NULL,
            rule text,
            name text,
            volumes text NOT NULL,
            details text,
            starts_at bigint NOT NULL,
            ends_at bigint NOT NULL,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            record_index bigint,
            details_salt text);
        CREATE INDEX declarations_kind_party ON declarations(kind, party, seq);
        CREATE INDEX declarations_live_party ON declarations(party) WHERE state IN ('planned', 'active');
        CREATE INDEX declarations_live_ends ON declarations(ends_at, seq) WHERE state IN ('planned', 'active');

        -- The strategic broad phase: one row per volume (two when it crosses the antimeridian),
        -- its box as a geometry envelope in degrees, its time and altitude as closed ranges, under
        -- one multicolumn GiST index. The time range is widened outward to whole microseconds,
        -- and GiST keeps geometry boxes in float4 rounded outward: a box only grows, so the index
        -- may give extra candidates (the exact test drops them), never miss one.
        CREATE TYPE float8range AS RANGE (subtype = float8, subtype_diff = float8mi);
        CREATE TABLE volume_index(
            declaration bigint NOT NULL,
            area geometry NOT NULL,
            during tstzrange NOT NULL,
            altitude float8range NOT NULL);
        CREATE INDEX volume_index_box ON volume_index USING gist(area, during, altitude);
        CREATE INDEX volume_index_declaration ON volume_index(declaration);

        CREATE TABLE conflicts(
            seq bigint PRIMARY KEY,
            id text COLLATE "C" NOT NULL UNIQUE,
            version bigint NOT NULL,
            state text NOT NULL,
            a_kind text NOT NULL, a_id text COLLATE "C" NOT NULL, a_party text COLLATE "C" NOT NULL, a_version bigint NOT NULL,
            b_kind text NOT NULL, b_id text COLLATE "C" NOT NULL, b_party text COLLATE "C" NOT NULL, b_version bigint NOT NULL,
            time_start text NOT NULL,
            time_end text NOT NULL,
            altitude_lower_m double precision NOT NULL,
            altitude_upper_m double precision NOT NULL,
            acknowledged_by text NOT NULL,
            accepted_by text NOT NULL,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            resolved_at bigint,
            record_index bigint);
        CREATE INDEX conflicts_a_party ON conflicts(a_party, seq);
        CREATE INDEX conflicts_b_party ON conflicts(b_party, seq);
        CREATE INDEX conflicts_live_a ON conflicts(a_id) WHERE state <> 'resolved';
        CREATE INDEX conflicts_live_b ON conflicts(b_id) WHERE state <> 'resolved';

        -- The event log is the record: seq is the record index + 1, without gaps, in commit
        -- order; entry the exact bytes hashed into the leaf (docs/record.md). record_nodes holds
        -- the hash of every perfect subtree, keyed in completion order as SQLite's
        -- (SqliteRecordTree.NodeId).
        CREATE TABLE events(
            seq bigint PRIMARY KEY,
            entry bytea NOT NULL);
        CREATE TABLE record_nodes(
            id bigint PRIMARY KEY,
            hash bytea NOT NULL);
        CREATE TABLE record_heads(
            size bigint PRIMARY KEY,
            root bytea NOT NULL,
            time bigint NOT NULL,
            signature bytea NOT NULL);
        CREATE TABLE party_keys(
            party text COLLATE "C" PRIMARY KEY REFERENCES parties(id),
            public_key bytea NOT NULL,
            registered_at bigint NOT NULL,
            record_index bigint);
        CREATE TABLE record_cosignatures(
            party text COLLATE "C" NOT NULL REFERENCES parties(id),
            size bigint NOT NULL,
            root bytea NOT NULL,
            time bigint NOT NULL,
            signature bytea NOT NULL,
            PRIMARY KEY(party, size));
        CREATE TABLE record_reveals(
            entry_index bigint PRIMARY KEY,
            revealed_by text,
            revealed_at bigint NOT NULL);

        -- The deconfliction line: a message's current version as JSON (doc); next_due_at its
        -- earliest pending escalation.
        CREATE TABLE line_messages(
            seq bigint PRIMARY KEY,
            id text COLLATE "C" NOT NULL UNIQUE,
            sender text COLLATE "C" NOT NULL REFERENCES parties(id),
            version bigint NOT NULL,
            doc text NOT NULL,
            next_due_at bigint,
            idempotency_key text COLLATE "C",
            notice_for text COLLATE "C",
            created_at bigint NOT NULL,
            record_index bigint);
        CREATE INDEX line_messages_notice ON line_messages(notice_for) WHERE notice_for IS NOT NULL;
        CREATE INDEX line_messages_due ON line_messages(next_due_at, seq) WHERE next_due_at IS NOT NULL;
        CREATE UNIQUE INDEX line_messages_idempotency ON line_messages(sender, idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX line_messages_sender ON line_messages(sender, seq);
        CREATE TABLE line_recipients(
            party text COLLATE "C" NOT NULL,
            message_seq bigint NOT NULL,
            PRIMARY KEY(party, message_seq));
        CREATE TABLE escalation_contacts(
            party text COLLATE "C" NOT NULL REFERENCES parties(id),
            level integer NOT NULL,
            url text COLLATE "C" NOT NULL,
            PRIMARY KEY(party, level, url));
        CREATE TABLE escalation_contact_sets(
            party text COLLATE "C" PRIMARY KEY REFERENCES parties(id),
            record_index bigint NOT NULL);

        -- Track alerts: the current version as JSON (doc), the two sides' parties as columns.
        CREATE TABLE alerts(
            seq bigint PRIMARY KEY,
            id text COLLATE "C" NOT NULL UNIQUE,
            a_party text COLLATE "C" NOT NULL,
            b_party text COLLATE "C" NOT NULL,
            state text NOT NULL,
            version bigint NOT NULL,
            doc text NOT NULL,
            record_index bigint);
        CREATE INDEX alerts_a_party ON alerts(a_party, seq);
        CREATE INDEX alerts_b_party ON alerts(b_party, seq);
        CREATE INDEX alerts_active ON alerts(seq) WHERE state = 'active';
        """,
        """
        -- The lease's epoch, the fencing token of the background duties (docs/cluster.md): a node
        -- taking the lease increments it, and the write session refuses a duty's write that carries
        -- another. On the head row, so that both take the one lock every write transaction queues on.
        ALTER TABLE record_state ADD COLUMN lease_epoch bigint NOT NULL DEFAULT 0;
        """,
    ];
}
