-- Median time from a visitor's first event to their first entry into each stage, over
-- the entries made in the period [:from, :to).
--
-- The median is the middle row, or the mean of the two middle rows, picked with
-- ROW_NUMBER: PERCENTILE_CONT is missing from SQLite. On PostgreSQL, DuckDB, BigQuery and
-- Snowflake, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY ms) gives the same number.
-- "2 * n BETWEEN total AND total + 2" selects those rows without integer division,
-- whose rounding differs between databases.
WITH first_seen AS (
  SELECT anonymous_id, MIN(ts) AS ts FROM events GROUP BY anonymous_id
),
durations AS (
  SELECT se.stage, se.entered_at - fs.ts AS ms
  FROM stage_entries se
  JOIN first_seen fs ON fs.anonymous_id = se.anonymous_id
  WHERE se.entered_at >= :from AND se.entered_at < :to
),
ranked AS (
  SELECT stage, ms,
         ROW_NUMBER() OVER (PARTITION BY stage ORDER BY ms) AS n,
         COUNT(*) OVER (PARTITION BY stage) AS total
  FROM durations
)
SELECT s.stage,
       MAX(r.total) AS visitors,
       AVG(r.ms) AS median_ms
FROM ranked r
JOIN stages s ON s.stage = r.stage
WHERE 2 * r.n BETWEEN r.total AND r.total + 2
GROUP BY s.stage, s.position
ORDER BY s.position
