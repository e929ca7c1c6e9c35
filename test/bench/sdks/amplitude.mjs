// @amplitude/analytics-browser 2.x with its bundled autocapture: page views, sessions,
// element clicks, form interactions and frustration (rage/dead clicks). Its remote config is
// fetched from the stub collector, which answers with no overrides (Amplitude's own config
// server is unreachable here, and a blocked fetch is retried for about a second).
import * as amplitude from '@amplitude/analytics-browser';

export async function init(cfg) {
  await amplitude.init('bench-api-key', undefined, {
    serverUrl: cfg.endpoint + '/2/httpapi',
    flushQueueSize: 20,
    flushIntervalMillis: 3000,
    remoteConfig: { fetchRemoteConfig: true, serverUrl: cfg.endpoint + '/config' },
    autocapture: {
      attribution: true,
      pageViews: true,
      sessions: true,
      elementInteractions: true,
      formInteractions: true,
      frustrationInteractions: true,
      fileDownloads: false,
      networkTracking: false,
      webVitals: false,
    },
  }).promise;
}

export const track = (name, props) => amplitude.track(name, props);
