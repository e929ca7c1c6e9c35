-- The fields where forms were abandoned (the last field touched) and the fields that
-- failed validation, in the period [:from, :to). Top 15.
-- LIMIT is not standard SQL but nearly universal; the standard is FETCH FIRST 15 ROWS ONLY.
SELECT COALESCE(form_id, '(unnamed)') AS form,
       COALESCE(field_name, '(none)') AS field,
       COUNT(CASE WHEN event = 'Form Abandoned' THEN 1 END) AS abandoned,
       COUNT(CASE WHEN event = 'Form Field Invalid' THEN 1 END) AS invalid
FROM events
WHERE event IN ('Form Abandoned', 'Form Field Invalid')
  AND ts >= :from AND ts < :to
GROUP BY COALESCE(form_id, '(unnamed)'), COALESCE(field_name, '(none)')
ORDER BY abandoned DESC, invalid DESC, form, field
LIMIT 15
