-- Member events: one row per member change, written in the transaction of
-- the change by every path that makes one (sql/update.sql, members.sql,
-- jobs.sql), with who made it; and what a relay (scripts/ims-member-relay)
-- needs to publish them as Glance's notifications, in id order, once.
-- Loaded by ims.sql (\ir) before the files that write events: safe to run
-- twice.

SET client_min_messages = warning;

BEGIN;

-- event_type is Glance's (glance/notifier.py): image.member.create,
-- image.member.update or image.member.delete, written by this schema's
-- functions only (a CHECK of it cost the update 2%); image_id, member, status,
-- member_created_at, member_updated_at and deleted_at are the membership
-- as the change left it (for a delete: as it was, with the delete's time),
-- the payload glance-api sends, which ims_member_event_payload() writes
-- as Glance does (kept as columns: JSON written at every change cost the
-- update a tenth of its rate, measured).  The actor: project_id (the
-- caller's project, '' for a token without one), user_id (the Keystone
-- user, when Keystone validated the token; NULL otherwise), request_id
-- (the X-Openstack-Request-Id of the call, or of the job's submission)
-- and job_id (the job that made the change; NULL for a single call).
-- created_at: the transaction's time, UTC.  The ids are compared in the
-- "C" collation (they are ASCII): an index of them is cheaper to keep.
CREATE TABLE IF NOT EXISTS ims_member_events (
    id                 bigint       GENERATED ALWAYS AS IDENTITY
                                    PRIMARY KEY,
    event_type         varchar(32)  NOT NULL,
    image_id           varchar(36)  COLLATE "C" NOT NULL,
    member             varchar(255) COLLATE "C" NOT NULL,
    status             varchar(20)  NOT NULL,
    member_created_at  timestamp without time zone NOT NULL,
    member_updated_at  timestamp without time zone,
    deleted_at         timestamp without time zone,
    project_id         varchar(255),
    user_id            varchar(255),
    request_id         varchar(128),
    job_id             char(32),
    created_at         timestamp without time zone NOT NULL
);

-- the audit trail of an image: who shared it with whom, when
CREATE INDEX IF NOT EXISTS ims_member_events_image
    ON ims_member_events (image_id, id);

-- A relay's place in the events: the last event it published and the
-- broker confirmed.  "stream" names the events of this database in the
-- notifications' message ids, which stay the same when an event is sent
-- again.  One relay at a time publishes a name (a session advisory lock,
-- ims_member_relay_claim()).
CREATE TABLE IF NOT EXISTS ims_member_relay (
    name          text         PRIMARY KEY,
    stream        uuid         NOT NULL DEFAULT gen_random_uuid(),
    last_id       bigint       NOT NULL DEFAULT 0,
    delivered_at  timestamptz,
    relay         text
);


-- ims_member_event_payload: an event's payload as glance-api sends it,
-- its times as Glance's isotime() writes them (UTC, to the second, "Z").
CREATE OR REPLACE FUNCTION ims_member_event_payload(e ims_member_events)
RETURNS json
LANGUAGE sql STABLE
AS $$
    SELECT json_build_object(
               'image_id', e.image_id,
               'member_id', e.member,
               'status', e.status,
               'created_at', to_char(e.member_created_at,
                                     'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'updated_at', to_char(coalesce(e.member_updated_at,
                                              e.member_created_at),
                                     'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'deleted', e.deleted_at IS NOT NULL,
               'deleted_at', to_char(e.deleted_at,
                                     'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
$$;


-- ims_member_events_wake: called by a statement that wrote events, before
-- it commits.  A NOTIFY makes PostgreSQL commit the transactions that send
-- one one at a time, each waiting for the previous one's WAL flush (a
-- third of the commits a second, measured): so it is sent only when a
-- relay waits for one.  A waiting relay holds the advisory lock
-- (1229803853, 1) (ims_member_relay_wait()); a writer that cannot share it
-- notifies, one that can holds it to its commit, and the relay, whose
-- lock waits for that commit, then reads its events.
CREATE OR REPLACE FUNCTION ims_member_events_wake()
RETURNS void
LANGUAGE sql
AS $$
    SELECT CASE WHEN pg_try_advisory_xact_lock_shared(1229803853, 1)
                THEN NULL
                ELSE pg_notify('ims_member_events', '') END
$$;


-- ims_member_event: one event, by the plpgsql paths (shares, unshares,
-- jobs); the member update writes its own in its statement.  p_request
-- NULL and p_job NULL with p_events false: nothing (ims_member_events off).
-- Called after the change itself, whose write gave the transaction its id
-- before the event takes its own (ims_member_events_next() relies on it).
CREATE OR REPLACE FUNCTION ims_member_event(p_events boolean, p_type text,
    p_image text, p_member text, p_status text, p_created timestamp,
    p_updated timestamp, p_deleted_at timestamp, p_project text,
    p_user text, p_request text, p_job text)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF NOT coalesce(p_events, true) THEN
        RETURN;
    END IF;

    INSERT INTO ims_member_events (event_type, image_id, member, status,
                                   member_created_at, member_updated_at,
                                   deleted_at, project_id, user_id,
                                   request_id, job_id, created_at)
    VALUES (p_type, p_image, p_member, p_status, p_created, p_updated,
            p_deleted_at, p_project, p_user, p_request, p_job,
            now() AT TIME ZONE 'UTC');

    PERFORM ims_member_events_wake();
END;
$$;


-- ims_member_events_next: up to p_limit events after p_after, in id order,
-- for a relay.  Ids are taken in one order and committed in another: an
-- id not yet visible may belong to a transaction still running, and come
-- later.  So the rows stop at the first id missing, unless every
-- transaction that ran when it was first seen missing (p_gap_snapshot,
-- taken when p_gap was that id) has ended since: then it never comes (its
-- transaction rolled back) and the rows go on past it.  A last row with id
-- NULL says where they stopped: its gap and gap_snapshot are the p_gap and
-- p_gap_snapshot of the next call.  Every writer has its transaction id
-- before it takes an event id (ims_member_event()), so a transaction that
-- holds a missing id is in the snapshot's list when it runs.  STABLE: one
-- snapshot for the rows and the check.  created_at: as Python's str() of a
-- datetime writes it (oslo.messaging's notification timestamp).
CREATE OR REPLACE FUNCTION ims_member_events_next(p_after bigint,
    p_limit integer, p_gap bigint, p_gap_snapshot pg_snapshot)
RETURNS TABLE (id bigint, event_type text, payload text, created_at text,
               gap bigint, gap_snapshot pg_snapshot)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_snap  pg_snapshot := pg_current_snapshot();
    v_next  bigint := p_after + 1;
    e       record;
BEGIN
    FOR e IN SELECT v.id, v.event_type, ims_member_event_payload(v)
                    AS payload, v.created_at
               FROM ims_member_events v
              WHERE v.id > p_after
              ORDER BY v.id
              LIMIT p_limit
    LOOP
        IF e.id > v_next
           AND NOT (p_gap IS NOT DISTINCT FROM v_next
                    AND NOT EXISTS (
                        SELECT 1 FROM pg_snapshot_xip(p_gap_snapshot) x
                         WHERE NOT pg_visible_in_snapshot(x, v_snap)))
        THEN
            RETURN QUERY SELECT NULL::bigint, NULL::text, NULL::text,
                                NULL::text, v_next,
                                CASE WHEN p_gap IS NOT DISTINCT FROM v_next
                                     THEN p_gap_snapshot
                                     ELSE v_snap END;
            RETURN;
        END IF;

        RETURN QUERY SELECT e.id, e.event_type::text, e.payload::text,
                            CASE WHEN date_trunc('second', e.created_at)
                                      = e.created_at
                                 THEN to_char(e.created_at,
                                              'YYYY-MM-DD HH24:MI:SS')
                                 ELSE to_char(e.created_at,
                                              'YYYY-MM-DD HH24:MI:SS.US')
                                 END,
                            NULL::bigint, NULL::pg_snapshot;
        v_next := e.id + 1;
    END LOOP;
END;
$$;


-- ims_member_relay_claim: a relay takes the name p_name (its place in the
-- events) for its session, if no other relay holds it: a session advisory
-- lock, released when the session ends, however the relay ends.  The
-- name's row is made at its first claim, from the first event still
-- kept.  claimed false: another relay has it.
CREATE OR REPLACE FUNCTION ims_member_relay_claim(p_name text,
    p_relay text)
RETURNS TABLE (claimed boolean, stream uuid, last_id bigint)
LANGUAGE plpgsql
AS $$
BEGIN
    IF NOT pg_try_advisory_lock(1229803854, hashtext(p_name)) THEN
        RETURN QUERY SELECT false, NULL::uuid, NULL::bigint;
        RETURN;
    END IF;

    INSERT INTO ims_member_relay (name) VALUES (p_name)
    ON CONFLICT (name) DO NOTHING;

    UPDATE ims_member_relay r SET relay = p_relay WHERE r.name = p_name;

    RETURN QUERY SELECT true, r.stream, r.last_id
                   FROM ims_member_relay r WHERE r.name = p_name;
END;
$$;


-- ims_member_relay_delivered: the broker confirmed events up to p_id.
CREATE OR REPLACE FUNCTION ims_member_relay_delivered(p_name text,
    p_id bigint)
RETURNS void
LANGUAGE sql
AS $$
    UPDATE ims_member_relay r
       SET last_id = greatest(r.last_id, p_id), delivered_at = now()
     WHERE r.name = p_name
$$;


-- ims_member_relay_wait: p_on true before a relay that has read every
-- event reads once more and waits for a NOTIFY (see
-- ims_member_events_wake()); false when it wakes.  The lock waits for the
-- writers that share it to commit: the read after it sees their events.
CREATE OR REPLACE FUNCTION ims_member_relay_wait(p_on boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_on THEN
        PERFORM pg_advisory_lock(1229803853, 1);

    ELSE
        PERFORM pg_advisory_unlock(1229803853, 1);
    END IF;
END;
$$;


-- ims_member_events_purge: retention.  At most p_rows of the oldest events
-- go, those older than p_retention_s, and never one a relay has not
-- published yet (delete a relay's row to let its events go).  Returns the
-- number removed.  The oldest by id, so no index on the time is needed.
CREATE OR REPLACE FUNCTION ims_member_events_purge(p_retention_s integer,
    p_rows integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_n  integer;
BEGIN
    DELETE FROM ims_member_events d
     WHERE d.id IN (SELECT o.id FROM ims_member_events o
                     ORDER BY o.id LIMIT p_rows)
       AND d.created_at < (now() AT TIME ZONE 'UTC')
                          - make_interval(secs => p_retention_s)
       AND d.id <= coalesce((SELECT min(r.last_id) FROM ims_member_relay r),
                            d.id);

    GET DIAGNOSTICS v_n = ROW_COUNT;

    RETURN v_n;
END;
$$;

COMMIT;
