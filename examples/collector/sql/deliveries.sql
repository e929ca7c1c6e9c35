-- What reached the collector in the period [:from, :to): requests, retried events it
-- ignored as duplicates, and events the browsers reported dropping (queue bounds).
SELECT COUNT(*) AS requests,
       COALESCE(SUM(duplicates), 0) AS duplicates,
       COALESCE(SUM(dropped), 0) AS dropped
FROM deliveries
WHERE received_at >= :from AND received_at < :to
