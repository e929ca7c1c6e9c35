// Snowplow browser tracker with the link-click and form tracking plugins, POST batches of 20
// from its localStorage queue.
import { newTracker, trackPageView, trackStructEvent } from '@snowplow/browser-tracker';
import { LinkClickTrackingPlugin, enableLinkClickTracking } from '@snowplow/browser-plugin-link-click-tracking';
import { FormTrackingPlugin, enableFormTracking } from '@snowplow/browser-plugin-form-tracking';

export function init(cfg) {
  newTracker('sp', cfg.endpoint, {
    appId: 'bench',
    platform: 'web',
    eventMethod: 'post',
    bufferSize: 20,
    credentials: 'omit',
    contexts: { webPage: true },
    plugins: [LinkClickTrackingPlugin(), FormTrackingPlugin()],
    // The default bound (1,000) would drop most of the queue test's 10,000 events.
    ...(cfg.bigQueue ? { maxLocalStorageQueueSize: 20000 } : {}),
  });
  enableLinkClickTracking({ pseudoClicks: true, trackContent: true });
  enableFormTracking();
  trackPageView();
}

// A structured event is Snowplow's plain "name + properties" event.
export const track = (name, props) => trackStructEvent({ category: 'bench', action: name, property: JSON.stringify(props) });
