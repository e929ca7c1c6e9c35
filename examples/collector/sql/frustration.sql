-- Rage and dead click hot spots by page and element in the period [:from, :to). Top 10.
SELECT COALESCE(page_path, '(unknown)') AS page,
       COALESCE(element, '(unknown)') AS element,
       COUNT(CASE WHEN event = 'Rage Click' THEN 1 END) AS rage,
       COUNT(CASE WHEN event = 'Dead Click' THEN 1 END) AS dead,
       COUNT(DISTINCT anonymous_id) AS visitors
FROM events
WHERE event IN ('Rage Click', 'Dead Click')
  AND ts >= :from AND ts < :to
GROUP BY COALESCE(page_path, '(unknown)'), COALESCE(element, '(unknown)')
ORDER BY COUNT(*) DESC, page, element
LIMIT 10
