-- The latest feedback comments in the period [:from, :to).
SELECT ts, COALESCE(feedback_stage, '(no stage)') AS stage, scale, score, comment
FROM events
WHERE event = 'Feedback Submitted' AND comment IS NOT NULL
  AND ts >= :from AND ts < :to
ORDER BY ts DESC, message_id
LIMIT 6
