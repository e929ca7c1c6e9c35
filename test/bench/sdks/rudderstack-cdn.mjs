// @rudderstack/analytics-js v3, the default entry: measured for bytes only. At run time it
// loads its plugins (the XHR queue included) from RudderStack's CDN.
import { RudderAnalytics } from '@rudderstack/analytics-js';

let ra;

export function init(cfg) {
  ra = new RudderAnalytics();
  ra.load('bench-write-key', cfg.endpoint, { queueOptions: { batch: { enabled: true, maxItems: 20, flushInterval: 3000 } } });
  ra.page();
}

export const track = (name, props) => ra.track(name, props);
