-- The Waymark reference collector's schema. Standard SQL that runs as is on SQLite and,
-- with the notes below, on PostgreSQL, DuckDB, BigQuery or Snowflake.
--
-- Portability notes:
-- * `CREATE ... IF NOT EXISTS` is not in the standard (PostgreSQL has it for tables and
--   indexes; use CREATE OR REPLACE VIEW there). Warehouses have no indexes: cluster or
--   partition `events` by `ts` instead.
-- * JSON columns are TEXT here; use JSON/JSONB (PostgreSQL), JSON (BigQuery) or VARIANT (Snowflake).
-- * Times are epoch milliseconds (BIGINT) so that durations are plain subtraction:
--   date arithmetic is the least portable corner of SQL.
-- * String concatenation is ||, which MySQL and SQL Server spell CONCAT().

-- One row per event, deduplicated on message_id (the SDK keeps it across retries).
-- The well-known fields the journey queries use are copied out of the JSON at ingest
-- (examples/collector/normalize.mjs), so that the queries need no JSON functions.
CREATE TABLE IF NOT EXISTS events (
  message_id      VARCHAR(200)  NOT NULL PRIMARY KEY,
  type            VARCHAR(16)   NOT NULL,   -- page | track | identify
  event           VARCHAR(200)  NOT NULL,   -- the track name; 'page' or 'identify' for the other types
  name            VARCHAR(200),             -- a page event's name, if one was given
  anonymous_id    VARCHAR(200)  NOT NULL,   -- the visitor
  user_id         VARCHAR(200),
  ts              BIGINT        NOT NULL,   -- when it happened, epoch ms: the browser's timestamp moved by its clock's skew (received_at - sent_at, when over a minute)
  browser_ts      BIGINT        NOT NULL,   -- the browser's timestamp as sent: orders one visitor's events (one clock), as ts also holds each request's time on the way
  sent_at         BIGINT,                   -- the batch's sentAt, epoch ms
  received_at     BIGINT        NOT NULL,   -- when the collector stored it, epoch ms
  session_id      VARCHAR(200),
  session_number  INTEGER,                  -- 1 for the visitor's first session
  page_path       VARCHAR(2000),
  page_url        VARCHAR(4000),
  referrer        VARCHAR(4000),
  channel         VARCHAR(50),              -- the touch of this visit: organic search, paid search, social, email, referral, direct…
  first_channel   VARCHAR(50),              -- the visitor's first touch, as the SDK remembered it
  utm_source      VARCHAR(200),
  utm_medium      VARCHAR(200),
  utm_campaign    VARCHAR(200),
  stage           VARCHAR(100),             -- the visitor's journey stage when it happened
  previous_stage  VARCHAR(100),
  -- Flattened properties, each set only on the events named.
  stage_entered   VARCHAR(100),             -- Journey Stage Entered: the stage entered
  touchpoint      VARCHAR(300),             -- Journey Stage Entered: what moved the visitor
  form_id         VARCHAR(200),             -- Form *: the form
  field_name      VARCHAR(200),             -- Form *: the field (the last one touched, on Form Abandoned)
  element         VARCHAR(500),             -- Element/Rage/Dead Click: selector or tag, id and text
  metric          VARCHAR(20),              -- Web Vital: LCP, INP, CLS, FCP, TTFB
  metric_value    DOUBLE PRECISION,         -- Web Vital: ms, or unitless for CLS
  rating          VARCHAR(30),              -- Web Vital: good | needs-improvement | poor
  metric_id       VARCHAR(100),             -- Web Vital: one id per page load and metric
  score           DOUBLE PRECISION,         -- Feedback Submitted
  scale           VARCHAR(10),              -- Feedback Submitted: csat | nps | ces
  feedback_stage  VARCHAR(100),             -- Feedback Submitted: the stage it was given in
  comment         VARCHAR(1000),            -- Feedback Submitted: free text, shown as text only
  properties      TEXT,                     -- the rest, as JSON text
  traits          TEXT,
  context         TEXT
);

CREATE INDEX IF NOT EXISTS events_by_time ON events (ts);
CREATE INDEX IF NOT EXISTS events_by_visitor ON events (anonymous_id, ts);
CREATE INDEX IF NOT EXISTS events_by_name ON events (event, ts);

-- The stage order, from the rules file's "stages" list; the queries rank only these. A stage
-- seen in the data but not configured stays on its events only (events.stage). Without a
-- rules file, the first 20 stages seen are appended in the order seen (db.mjs).
CREATE TABLE IF NOT EXISTS stages (
  stage     VARCHAR(100) NOT NULL PRIMARY KEY,
  position  INTEGER      NOT NULL
);

-- One row per accepted request: what the browsers said they had to drop (queue bounds).
CREATE TABLE IF NOT EXISTS deliveries (
  received_at   BIGINT       NOT NULL,
  events        INTEGER      NOT NULL,
  duplicates    INTEGER      NOT NULL,
  dropped       INTEGER      NOT NULL,
  content_type  VARCHAR(100)
);

-- When each visitor first entered each stage, and what brought them there. The stage
-- engine's own `Journey Stage Entered` event is the record; an event that carries a stage
-- without one (an engine that was filtered out, or older data) counts as the entry too.
CREATE VIEW IF NOT EXISTS stage_entries AS
WITH candidates AS (
  SELECT anonymous_id, stage_entered AS stage, ts, browser_ts, touchpoint, page_path, 0 AS preference, message_id
  FROM events
  WHERE event = 'Journey Stage Entered' AND stage_entered IS NOT NULL
  UNION ALL
  SELECT anonymous_id, stage, ts, browser_ts,
         CASE WHEN type = 'page' THEN 'page view of ' ELSE event || ' on ' END || COALESCE(page_path, '?'),
         page_path, 1, message_id
  FROM events
  WHERE stage IS NOT NULL
),
ranked AS (
  SELECT candidates.*,
         ROW_NUMBER() OVER (PARTITION BY anonymous_id, stage ORDER BY preference, browser_ts, message_id) AS n
  FROM candidates
)
SELECT anonymous_id, stage, ts AS entered_at, touchpoint, page_path
FROM ranked
WHERE n = 1;
