-- How many visitors reach each stage, and how many go on from it.
--
-- A funnel is cumulative: a visitor counts in every stage up to the furthest one they have
-- reached, including stages the rules let them skip (a visitor who lands on /pricing from an
-- ad goes straight to consideration, but has certainly been aware). So the bars never grow
-- from one stage to the next, and conversion between stages reads as a share.
--
-- Only the stages in `stages` count: a stage that is not in the rules file would otherwise
-- rank after the last one, and its visitors count as having reached every stage.
--
-- The visitors are those active in the period [:from, :to); progress made before the period
-- still counts, progress after :to does not.
--   continued    reached a later stage (conversion to the next stage = next visitors / visitors)
--   dropped_off  this is the furthest stage reached so far
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
)
SELECT s.stage,
       s.position,
       COUNT(f.anonymous_id) AS visitors,
       COUNT(CASE WHEN f.position > s.position THEN 1 END) AS continued,
       COUNT(CASE WHEN f.position = s.position THEN 1 END) AS dropped_off
FROM stages s
LEFT JOIN furthest f ON f.position >= s.position
GROUP BY s.stage, s.position
ORDER BY s.position
