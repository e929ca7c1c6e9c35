-- The 75th percentile of each Web Vital by page in the period [:from, :to), the way
-- Core Web Vitals are judged. web-vitals reports CLS and INP again as they change, under
-- one id per page load; only the last report of each id counts.
-- Nearest rank: the smallest value with at least 75 % of the values at or below it, which
-- is PERCENTILE_DISC(0.75) WITHIN GROUP (ORDER BY metric_value) where that exists (not in SQLite).
WITH reports AS (
  SELECT page_path, metric, metric_value, rating,
         ROW_NUMBER() OVER (PARTITION BY COALESCE(metric_id, message_id), metric ORDER BY browser_ts DESC, message_id) AS latest
  FROM events
  WHERE event = 'Web Vital' AND metric IS NOT NULL AND metric_value IS NOT NULL
    AND ts >= :from AND ts < :to
),
ranked AS (
  SELECT page_path, metric, metric_value, rating,
         ROW_NUMBER() OVER (PARTITION BY page_path, metric ORDER BY metric_value) AS n,
         COUNT(*) OVER (PARTITION BY page_path, metric) AS total
  FROM reports
  WHERE latest = 1
)
SELECT COALESCE(page_path, '(unknown)') AS page,
       metric,
       MAX(total) AS samples,
       MIN(CASE WHEN 4 * n >= 3 * total THEN metric_value END) AS p75,
       COUNT(CASE WHEN rating = 'good' THEN 1 END) AS good
FROM ranked
GROUP BY page_path, metric
ORDER BY page, metric
