-- Where the visitors who went no further left: the last page each one saw before :to,
-- grouped by the furthest stage reached (visitors as in funnel.sql). Top 3 pages a stage.
WITH active AS (
  SELECT DISTINCT anonymous_id FROM events WHERE ts >= :from AND ts < :to
),
furthest AS (
  SELECT se.anonymous_id, MAX(s.position) AS position
  FROM stage_entries se
  JOIN stages s ON s.stage = se.stage
  JOIN active a ON a.anonymous_id = se.anonymous_id
  WHERE se.entered_at < :to
  GROUP BY se.anonymous_id
),
last_page AS (
  SELECT anonymous_id, page_path,
         ROW_NUMBER() OVER (PARTITION BY anonymous_id ORDER BY browser_ts DESC, message_id DESC) AS n
  FROM events
  WHERE type = 'page' AND ts < :to
),
exits AS (
  SELECT s.stage, s.position, COALESCE(l.page_path, '(unknown)') AS page_path, COUNT(*) AS visitors
  FROM furthest f
  JOIN stages s ON s.position = f.position
  JOIN last_page l ON l.anonymous_id = f.anonymous_id AND l.n = 1
  GROUP BY s.stage, s.position, COALESCE(l.page_path, '(unknown)')
),
ranked AS (
  SELECT exits.*, ROW_NUMBER() OVER (PARTITION BY stage ORDER BY visitors DESC, page_path) AS n
  FROM exits
)
SELECT stage, page_path, visitors
FROM ranked
WHERE n <= 3
ORDER BY position, n
