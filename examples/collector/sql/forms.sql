-- Each form's funnel in the period [:from, :to), in events.
SELECT COALESCE(form_id, '(unnamed)') AS form,
       COUNT(CASE WHEN event = 'Form Started' THEN 1 END) AS started,
       COUNT(CASE WHEN event = 'Form Step Completed' THEN 1 END) AS steps_completed,
       COUNT(CASE WHEN event = 'Form Field Invalid' THEN 1 END) AS invalid,
       COUNT(CASE WHEN event = 'Form Submitted' THEN 1 END) AS submitted,
       COUNT(CASE WHEN event = 'Form Abandoned' THEN 1 END) AS abandoned
FROM events
WHERE event IN ('Form Started', 'Form Step Completed', 'Form Field Invalid', 'Form Submitted', 'Form Abandoned')
  AND ts >= :from AND ts < :to
GROUP BY COALESCE(form_id, '(unnamed)')
ORDER BY abandoned DESC, started DESC, form
