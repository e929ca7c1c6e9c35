-- How many visitors reach each stage, and how many go on from it.
--
-- The visitors are those active in the period [:from, :to). Each counts in every stage
-- entered before :to, so progress made before the period still shows in the funnel.
--   continued    reached a later stage (conversion to the next stages = continued / visitors)
--   dropped_off  this is the furthest stage reached so far
WITH active AS (
  SELECT DISTINCT anonymous_id FROM events WHERE ts >= :from AND ts < :to
),
reached AS (
  SELECT se.anonymous_id, s.stage, s.position
  FROM stage_entries se
  JOIN stages s ON s.stage = se.stage
  JOIN active a ON a.anonymous_id = se.anonymous_id
  WHERE se.entered_at < :to
),
furthest AS (
  SELECT anonymous_id, MAX(position) AS position FROM reached GROUP BY anonymous_id
)
SELECT s.stage,
       s.position,
       COUNT(r.anonymous_id) AS visitors,
       COUNT(CASE WHEN f.position > s.position THEN 1 END) AS continued,
       COUNT(CASE WHEN f.position = s.position THEN 1 END) AS dropped_off
FROM stages s
LEFT JOIN reached r ON r.stage = s.stage
LEFT JOIN furthest f ON f.anonymous_id = r.anonymous_id
GROUP BY s.stage, s.position
ORDER BY s.position
