-- Feedback by the stage it was given in and by scale, in the period [:from, :to).
--   nps   % promoters (9-10) minus % detractors (0-6), on the 0-10 scale
--   csat  % of answers that are 4 or 5, on the 1-5 scale
--   ces   the mean effort score only
SELECT COALESCE(f.feedback_stage, '(no stage)') AS stage,
       f.scale,
       COUNT(*) AS responses,
       ROUND(AVG(f.score), 2) AS average,
       CASE WHEN f.scale = 'nps' THEN
         ROUND(100.0 * (COUNT(CASE WHEN f.score >= 9 THEN 1 END) - COUNT(CASE WHEN f.score <= 6 THEN 1 END)) / COUNT(*), 1)
       END AS nps,
       CASE WHEN f.scale = 'csat' THEN
         ROUND(100.0 * COUNT(CASE WHEN f.score >= 4 THEN 1 END) / COUNT(*), 1)
       END AS csat
FROM events f
LEFT JOIN stages s ON s.stage = f.feedback_stage
WHERE f.event = 'Feedback Submitted' AND f.score IS NOT NULL AND f.scale IS NOT NULL
  AND f.ts >= :from AND f.ts < :to
GROUP BY f.feedback_stage, s.position, f.scale
ORDER BY COALESCE(s.position, 1000000), stage, f.scale
