-- What moved visitors into each stage: the touchpoint of each first entry made in the
-- period [:from, :to). Top 5 a stage.
WITH entries AS (
  SELECT stage, COALESCE(touchpoint, '(not recorded)') AS touchpoint, COUNT(*) AS visitors
  FROM stage_entries
  WHERE entered_at >= :from AND entered_at < :to
  GROUP BY stage, COALESCE(touchpoint, '(not recorded)')
),
ranked AS (
  SELECT entries.*, ROW_NUMBER() OVER (PARTITION BY stage ORDER BY visitors DESC, touchpoint) AS n
  FROM entries
)
SELECT r.stage, r.touchpoint, r.visitors
FROM ranked r
JOIN stages s ON s.stage = r.stage
WHERE r.n <= 5
ORDER BY s.position, r.n
