-- Store one event; a messageId seen before is a retry and is ignored.
-- ON CONFLICT ... DO NOTHING is PostgreSQL and SQLite; warehouses use MERGE on message_id.
INSERT INTO events (
  message_id, type, event, name, anonymous_id, user_id, ts, browser_ts, sent_at, received_at,
  session_id, session_number, page_path, page_url, referrer,
  channel, first_channel, utm_source, utm_medium, utm_campaign, stage, previous_stage,
  stage_entered, touchpoint, form_id, field_name, element,
  metric, metric_value, rating, metric_id, score, scale, feedback_stage, comment,
  properties, traits, context
) VALUES (
  :message_id, :type, :event, :name, :anonymous_id, :user_id, :ts, :browser_ts, :sent_at, :received_at,
  :session_id, :session_number, :page_path, :page_url, :referrer,
  :channel, :first_channel, :utm_source, :utm_medium, :utm_campaign, :stage, :previous_stage,
  :stage_entered, :touchpoint, :form_id, :field_name, :element,
  :metric, :metric_value, :rating, :metric_id, :score, :scale, :feedback_stage, :comment,
  :properties, :traits, :context
)
ON CONFLICT (message_id) DO NOTHING
