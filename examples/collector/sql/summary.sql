-- Headline numbers for the period [:from, :to).
SELECT COUNT(DISTINCT anonymous_id) AS visitors,
       COUNT(DISTINCT session_id) AS sessions,
       COUNT(*) AS events,
       COUNT(CASE WHEN type = 'page' THEN 1 END) AS page_views,
       COUNT(CASE WHEN event = 'Order Completed' THEN 1 END) AS orders,
       MAX(ts) AS last_event
FROM events
WHERE ts >= :from AND ts < :to
