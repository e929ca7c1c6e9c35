-- Through which channel the visitors in each stage first arrived (first touch): on each
-- visitor's earliest event, the first touch the SDK remembered (campaign.first), else that
-- event's own channel. Visitors as in funnel.sql, cumulative: a visitor counts in every stage
-- up to the furthest reached, so each stage's channels add up to its funnel bar.
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
reached AS (
  SELECT f.anonymous_id, s.stage, s.position
  FROM furthest f
  JOIN stages s ON s.position <= f.position
),
touches AS (
  SELECT anonymous_id, COALESCE(first_channel, channel) AS channel,
         ROW_NUMBER() OVER (PARTITION BY anonymous_id ORDER BY browser_ts, message_id) AS n
  FROM events
  WHERE COALESCE(first_channel, channel) IS NOT NULL
),
first_touch AS (
  SELECT anonymous_id, channel FROM touches WHERE n = 1
)
SELECT r.stage,
       COALESCE(ft.channel, 'unknown') AS channel,
       COUNT(*) AS visitors
FROM reached r
LEFT JOIN first_touch ft ON ft.anonymous_id = r.anonymous_id
GROUP BY r.stage, r.position, COALESCE(ft.channel, 'unknown')
ORDER BY r.position, visitors DESC, channel
