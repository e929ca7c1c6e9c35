// @rudderstack/analytics-js v3, the "/bundled" entry: its default entry loads every plugin
// (the XHR queue included) from RudderStack's CDN at run time, which cannot work here and
// breaks under a strict CSP. The source config is given inline instead of being fetched.
// RudderStack has no click or form autocapture; page views are tracked explicitly.
import { RudderAnalytics } from '@rudderstack/analytics-js/bundled';

let ra;

const sourceConfig = {
  source: {
    id: 'bench-source',
    name: 'bench',
    writeKey: 'bench-write-key',
    workspaceId: 'bench-workspace',
    enabled: true,
    config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
    destinations: [],
  },
};

export function init(cfg) {
  ra = new RudderAnalytics();
  return new Promise((resolve) => {
    ra.load('bench-write-key', cfg.endpoint, {
      getSourceConfig: () => sourceConfig,
      logLevel: 'ERROR',
      queueOptions: {
        batch: { enabled: true, maxItems: 20, flushInterval: 3000 },
        // The default bound (100) would drop most of the queue test's 10,000 events.
        ...(cfg.bigQueue ? { maxItems: 20000 } : {}),
      },
      onLoaded: () => resolve(),
    });
    ra.page();
  });
}

export const track = (name, props) => ra.track(name, props);
