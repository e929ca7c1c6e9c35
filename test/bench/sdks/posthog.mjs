// posthog-js, the default npm entry. Autocapture (clicks, changes, submits), rage clicks,
// page views and page leave are on; extensions it loads at run time (dead clicks, web
// vitals, surveys, recorder, remote config) come from api_host and are not in this bundle.
import posthog from 'posthog-js';

export function init(cfg) {
  return new Promise((resolve) => {
    posthog.init('phc_bench', {
      api_host: cfg.endpoint,
      autocapture: true,
      capture_pageview: true,
      capture_pageleave: true,
      rageclick: true,
      capture_dead_clicks: true,
      // Session replay is a separate product; Waymark has nothing like it.
      disable_session_recording: true,
      persistence: 'localStorage+cookie',
      // Headless Chromium with navigator.webdriver looks like a bot, and PostHog drops bots' events.
      opt_out_useragent_filter: true,
      // Its client-side rate limit (10 events/s, bursts of 100) would drop most events of the
      // bench, which clicks and tracks far faster than people do; a person's clicks all get through.
      rate_limiting: { events_per_second: 1e5, events_burst_limit: 1e6 },
      loaded: () => resolve(),
    });
  });
}

export const track = (name, props) => posthog.capture(name, props);
