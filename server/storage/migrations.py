"""Versioned schema migrations. Append a new entry; never edit a shipped one."""

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE households (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE caregivers (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households(id) ON DELETE CASCADE,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT 'owner',
        created_at TEXT NOT NULL
    );
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    -- Tokens are stored only as hashes; the plain token exists once, in the response.
    CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('caregiver', 'device')),
        subject_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE pairing_codes (
        code_hash TEXT PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households(id) ON DELETE CASCADE,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE media (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households(id) ON DELETE CASCADE,
        persona_id TEXT,  -- set for everything made for or from one persona, so erasure finds it all
        kind TEXT NOT NULL,
        mime TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX media_persona ON media(persona_id);
    CREATE TABLE personas (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households(id) ON DELETE CASCADE,
        display_name TEXT NOT NULL,
        addressed_as TEXT NOT NULL DEFAULT '[]',
        language TEXT NOT NULL DEFAULT 'en',
        biography TEXT NOT NULL DEFAULT '',
        speaking_style TEXT,
        boundaries TEXT NOT NULL DEFAULT '[]',
        mode TEXT NOT NULL DEFAULT 'story',
        kind TEXT NOT NULL DEFAULT 'deceased',
        voice_id TEXT,
        mouth TEXT,
        disclosure INTEGER NOT NULL DEFAULT 1,
        portrait_media_id TEXT REFERENCES media(id) ON DELETE SET NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX personas_household ON personas(household_id);
    CREATE TABLE consents (
        id TEXT PRIMARY KEY,
        persona_id TEXT NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
        household_id TEXT NOT NULL,
        given_by TEXT NOT NULL,
        relation TEXT NOT NULL,
        scope TEXT NOT NULL,
        statement TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE memories (
        id TEXT PRIMARY KEY,
        persona_id TEXT NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
        household_id TEXT NOT NULL,
        title TEXT,
        text TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT 'typed',
        hidden INTEGER NOT NULL DEFAULT 0,
        audio_media_id TEXT REFERENCES media(id) ON DELETE SET NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX memories_persona ON memories(persona_id);
    -- body holds search terms made by server.memory.search_text, not the raw text.
    CREATE VIRTUAL TABLE memory_fts USING fts5(body, memory_id UNINDEXED, persona_id UNINDEXED);
    -- What the relative told the persona: long-term memory across sessions.
    CREATE TABLE facts (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL,
        persona_id TEXT NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
        session_id TEXT,
        text TEXT NOT NULL,
        hidden INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE INDEX facts_persona ON facts(persona_id);
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL,
        persona_id TEXT NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
        device_id TEXT,
        created_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE TABLE turns (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        household_id TEXT NOT NULL,
        user_text TEXT,
        user_audio_media_id TEXT REFERENCES media(id) ON DELETE SET NULL,
        status TEXT NOT NULL DEFAULT 'received',
        reply TEXT NOT NULL DEFAULT '[]',
        sentences_played INTEGER,
        timings TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX turns_session ON turns(session_id, created_at);
    CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL,
        persona_id TEXT,
        session_id TEXT,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX alerts_household ON alerts(household_id, created_at);
    """,
    # 2: trust — household and tablet settings, roles and invitations, audit log,
    #    guessing limits, persona retirement, session activity for daily limits
    """
    ALTER TABLE households ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE devices ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE devices ADD COLUMN declined_at TEXT;
    ALTER TABLE personas ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
    ALTER TABLE personas ADD COLUMN retire_to TEXT;
    ALTER TABLE personas ADD COLUMN farewell TEXT;
    ALTER TABLE sessions ADD COLUMN last_activity_at TEXT;
    ALTER TABLE sessions ADD COLUMN farewell INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE invitations (
        code_hash TEXT PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE audit_log (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX audit_household ON audit_log(household_id, created_at);
    -- Failed guesses (pairing codes, logins), kept in the database so every server process sees them.
    CREATE TABLE auth_failures (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX auth_failures_key ON auth_failures(scope, key, created_at);
    """,
    # 3: the persona studio — imported sources and where each memory came from,
    #    import jobs with progress (in the database, so any server process can report them),
    #    and checked voice samples for cloning
    """
    CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        persona_id TEXT NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
        household_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        filename TEXT NOT NULL,
        media_id TEXT REFERENCES media(id) ON DELETE SET NULL,
        details TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    );
    CREATE INDEX sources_persona ON sources(persona_id, created_at);
    ALTER TABLE memories ADD COLUMN source_id TEXT REFERENCES sources(id) ON DELETE CASCADE;
    ALTER TABLE memories ADD COLUMN position TEXT;
    CREATE INDEX memories_source ON memories(source_id);
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL,
        persona_id TEXT,
        source_id TEXT,
        kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        percent REAL NOT NULL DEFAULT 0,
        stage TEXT,
        counts TEXT NOT NULL DEFAULT '{}',
        errors TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE INDEX jobs_household ON jobs(household_id, created_at);
    CREATE TABLE voice_samples (
        id TEXT PRIMARY KEY,
        persona_id TEXT NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
        household_id TEXT NOT NULL,
        media_id TEXT REFERENCES media(id) ON DELETE SET NULL,
        filename TEXT,
        duration_s REAL NOT NULL,
        speech_s REAL NOT NULL,
        usable INTEGER NOT NULL,
        verdict TEXT NOT NULL,
        message TEXT NOT NULL,
        metrics TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    );
    CREATE INDEX voice_samples_persona ON voice_samples(persona_id, created_at);
    -- Voices this server registered with a cloning service: erased there when the persona goes.
    -- No foreign key on purpose: the row must outlive the persona until the remote voice is deleted.
    CREATE TABLE cloned_voices (
        voice_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        persona_id TEXT NOT NULL,
        household_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (provider, voice_id)
    );
    CREATE INDEX cloned_voices_persona ON cloned_voices(persona_id);
    """,
    # 4: speech made once and played many times (greetings, story-mode phrases and memories)
    """
    CREATE TABLE speech_cache (
        key TEXT PRIMARY KEY,
        persona_id TEXT NOT NULL,
        media_id TEXT NOT NULL REFERENCES media(id) ON DELETE CASCADE,
        duration_ms INTEGER NOT NULL,
        mouth TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX speech_cache_persona ON speech_cache(persona_id);
    """,
    # 5: why a session ended ("quiet_hours", "daily_limit", "test", ...): a session that a
    #    limit closed still takes what the relative says, so crisis words are heard at night
    """
    ALTER TABLE sessions ADD COLUMN ended_by TEXT;
    """,
    # 6: limits checked before any password is hashed: sign-up attempts (per address and overall),
    #    wrong passwords per account and address (a delay that grows, instead of locking the owner
    #    out), and the addresses each account logged in from (exempt from the per-account limit)
    """
    CREATE TABLE signup_attempts (
        address TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX signup_attempts_time ON signup_attempts(created_at);
    CREATE INDEX signup_attempts_address ON signup_attempts(address, created_at);
    CREATE TABLE login_failures (
        email TEXT NOT NULL,
        address TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX login_failures_pair ON login_failures(email, address, created_at);
    CREATE INDEX login_failures_address ON login_failures(address, created_at);
    CREATE INDEX login_failures_time ON login_failures(created_at);
    CREATE TABLE login_addresses (
        email TEXT NOT NULL,
        address TEXT NOT NULL,
        last_success_at TEXT NOT NULL,
        PRIMARY KEY (email, address)
    );
    DELETE FROM auth_failures WHERE scope IN ('login_ip', 'login_email');
    """,
    # 7: what a relative tells stays theirs: each fact keeps its teller (the tablet, or the caregiver
    # who typed it), and is heard on another tablet only once a caregiver marks it shared.
    # Facts from before: a tablet's session gives its tablet; a caregiver's session (or none
    # known) leaves the fact caregiver-told by someone unknown and unshared, so no tablet hears
    # it until a caregiver decides to share it (sessions never kept which caregiver opened them).
    """
    ALTER TABLE facts ADD COLUMN told_by_device_id TEXT;
    ALTER TABLE facts ADD COLUMN told_by_caregiver_id TEXT;
    ALTER TABLE facts ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
    UPDATE facts SET told_by_device_id = (SELECT s.device_id FROM sessions s WHERE s.id = facts.session_id);
    CREATE INDEX facts_teller ON facts(persona_id, told_by_device_id);
    """,
    # 8: what her own recording says, as transcribed when it was imported. A caregiver may edit
    #    the memory's text; the recording still says these words, so the safety check reads them
    #    too before the recording may play. Recordings imported before this: the text they have.
    """
    ALTER TABLE memories ADD COLUMN recording_text TEXT;
    UPDATE memories SET recording_text = text WHERE audio_media_id IS NOT NULL;
    """,
    # 9: each memory's meaning, computed once when it is added, edited or imported: its sentence
    #    embeddings (float16 rows: the whole memory, then each of its passages) and the model that
    #    made them, so a new model re-embeds. ``embedding_stamp`` grows with every write, so each
    #    server process sees that its cached matrix of a persona's memories is out of date.
    #    Memories from before stay NULL and are embedded the first time their persona is searched.
    """
    ALTER TABLE memories ADD COLUMN embedding BLOB;
    ALTER TABLE memories ADD COLUMN embedding_model TEXT;
    ALTER TABLE memories ADD COLUMN embedding_stamp INTEGER NOT NULL DEFAULT 0;
    """,
    # 10: which memories' words each piece of speech may say (a turn's answer drew on them, or
    #     speaking ahead made it from them), so that deleting or rewording a memory removes its
    #     speech at once instead of at the persona's erasure. Speech made before stays untagged.
    """
    CREATE TABLE speech_memories (
        media_id TEXT NOT NULL REFERENCES media(id) ON DELETE CASCADE,
        memory_id TEXT NOT NULL,
        PRIMARY KEY (memory_id, media_id)
    );
    CREATE INDEX speech_memories_media ON speech_memories(media_id);
    """,
    # 11: the face found on the portrait (eyes, mouth, chin, the face mesh's points and which model
    #     found them, or "caregiver" once they are corrected by hand), as the API's FaceLandmarks JSON.
    #     Portraits set before this have none until the next is set; ``mouth`` stays for older tablets.
    """
    ALTER TABLE personas ADD COLUMN face TEXT;
    """,
    # 12: the lip shapes of speech kept (``[start_ms, viseme]`` pairs, JSON), so an answer from the
    #     cache moves the lips as a fresh one does. Speech kept before: NULL, worked out from its
    #     audio and words the next time it is said, and kept then.
    """
    ALTER TABLE speech_cache ADD COLUMN visemes TEXT;
    """,
    # 13: the talking-head video of speech kept (when the face service renders one), and the portrait
    #     it was rendered from: a new portrait renders it again from the kept audio.
    """
    ALTER TABLE speech_cache ADD COLUMN video_media_id TEXT;
    ALTER TABLE speech_cache ADD COLUMN video_portrait_id TEXT;
    """,
    # 14: whom the persona's voice must suit (``sex``, where the caregiver said it) and what she speaks
    #     with (``voice_choice``: built_in, cloned, own_recordings_only; NULL: the first voice that suits her).
    """
    ALTER TABLE personas ADD COLUMN sex TEXT;
    ALTER TABLE personas ADD COLUMN voice_choice TEXT;
    """,
    # 15: import jobs as a queue with leases (server.job_runner): what the work needs to be rebuilt by
    #     any process (``task``, JSON), how many times it was taken up, who holds it until when, and
    #     the files the attempt in hand stores (``made_media``, JSON), so a dead attempt's are removed.
    #     Unfinished jobs from before have no task: the first runner to claim one fails it plainly.
    """
    ALTER TABLE jobs ADD COLUMN task TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
    ALTER TABLE jobs ADD COLUMN lease_until TEXT;
    ALTER TABLE jobs ADD COLUMN made_media TEXT NOT NULL DEFAULT '[]';
    UPDATE jobs SET lease_until = updated_at WHERE state = 'running';
    CREATE INDEX jobs_waiting ON jobs(state, created_at);
    """,
    # 16: what several server processes share (issue 16 item 3). ``turn_places``: the busy gate's
    #     places held, each by one process until its lease runs out (renewed while held, so a killed
    #     process's places free themselves). ``alert_outbox``: each alert's webhook delivery, claimed
    #     with a lease by one process at a time. ``speak_ahead_claims``: which process makes a
    #     persona's sentences ahead; ``asked_at``: when another process last asked for that persona meanwhile.
    """
    CREATE TABLE turn_places (
        id TEXT PRIMARY KEY,
        household_id TEXT,
        device_id TEXT,
        process_id TEXT NOT NULL,
        lease_until TEXT NOT NULL
    );
    CREATE INDEX turn_places_process ON turn_places(process_id);
    CREATE TABLE alert_outbox (
        alert_id TEXT PRIMARY KEY REFERENCES alerts(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_at TEXT NOT NULL,
        claimed_by TEXT,
        lease_until TEXT,
        finished_at TEXT,
        outcome TEXT
    );
    CREATE INDEX alert_outbox_due ON alert_outbox(finished_at, next_try_at);
    CREATE TABLE speak_ahead_claims (
        persona_id TEXT PRIMARY KEY,
        process_id TEXT NOT NULL,
        lease_until TEXT NOT NULL,
        asked_at TEXT
    );
    """,
    # 17: idempotent turns. ``idempotency_key``: the tablet's key for one recording (its
    #     ``Idempotency-Key`` header), the same on every send of it, so a recording sent again is
    #     the same turn; unique within a session. ``attempted_at``: when a request last began
    #     answering the turn, so a turn taken up again is not thought cut off by its first start.
    """
    ALTER TABLE turns ADD COLUMN idempotency_key TEXT;
    ALTER TABLE turns ADD COLUMN attempted_at TEXT;
    CREATE UNIQUE INDEX turns_idempotency_key ON turns(session_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
    """,
]

# PostgreSQL runs the same migrations, translated by ``server.storage.postgres_sql.schema`` (types,
# case-insensitive e-mail). Where SQLite's and PostgreSQL's means differ, these say what PostgreSQL does.

# Before migration 1: what the translated schema relies on. citext compares e-mail addresses without
# case, as SQLite's COLLATE NOCASE does; pg_trgm indexes the caregiver's search for words as typed.
# ``keepsake_match`` reads the FTS5 expression that ``server.memory.search_text.match_query`` makes
# ("term"* OR "other") as a tsquery, so both databases are searched with the same expression.
POSTGRES_FIRST = r"""
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE OR REPLACE FUNCTION keepsake_match(expression text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsquery('simple', COALESCE(string_agg(
        '''' || replace(replace(replace(m[1], '""', '"'), '\', '\\'), '''', '''''') || ''''
            || CASE WHEN m[2] = '*' THEN ':*' ELSE '' END,
        ' | '), ''))
    FROM regexp_matches(expression, '"((?:[^"]|"")*)"(\*?)', 'g') AS m
$$;
"""

# Statements replaced on PostgreSQL, by migration and the statement's first words.
POSTGRES_INSTEAD: dict[int, dict[str, str]] = {
    1: {
        # FTS5 -> a table whose generated tsvector column has a GIN index; the terms in ``body``
        # are already those of server.memory.search_text, so the 'simple' configuration keeps them.
        "CREATE VIRTUAL TABLE memory_fts": """
        CREATE TABLE memory_fts (
            body TEXT NOT NULL,
            memory_id TEXT,
            persona_id TEXT,
            tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
        );
        CREATE INDEX memory_fts_tsv ON memory_fts USING gin (tsv);
        CREATE INDEX memory_fts_memory ON memory_fts (memory_id);
        CREATE INDEX memory_fts_persona ON memory_fts (persona_id)
        """,
    },
}

# Run after a migration on PostgreSQL only. SQLite's implicit ``rowid`` (the order rows were
# written in, which some queries read) is an identity column on the tables whose rowid is used.
POSTGRES_AFTER: dict[int, str] = {
    1: """
    ALTER TABLE memories ADD COLUMN rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
    ALTER TABLE pairing_codes ADD COLUMN rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
    CREATE INDEX memories_text_trgm ON memories USING gin (text gin_trgm_ops);
    CREATE INDEX memories_title_trgm ON memories USING gin (title gin_trgm_ops);
    """,
    6: """
    ALTER TABLE login_failures ADD COLUMN rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
    """,
}
