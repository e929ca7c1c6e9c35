// @segment/analytics-next with its settings given inline (no CDN settings fetch), batching
// delivery, and trackLink/trackSubmit (trackForm) bound to every link and form: Segment has no click
// autocapture, these helpers are its equivalent.
import { AnalyticsBrowser } from '@segment/analytics-next';

let analytics;

export async function init(cfg) {
  const apiHost = cfg.endpoint.replace(/^https?:\/\//, '');
  analytics = AnalyticsBrowser.load(
    {
      writeKey: 'bench',
      cdnSettings: {
        integrations: { 'Segment.io': { apiKey: 'bench', apiHost, protocol: 'http' } },
        plan: { track: { __default: { enabled: true } }, identify: { __default: { enabled: true } } },
      },
    },
    {
      integrations: {
        'Segment.io': { apiHost, protocol: 'http', deliveryStrategy: { strategy: 'batching', config: { size: 20, timeout: 3000 } } },
      },
    },
  );
  analytics.page();
  analytics.trackLink(document.querySelectorAll('a'), 'Link Clicked');
  analytics.trackSubmit(document.querySelectorAll('form'), 'Form Submitted');
  await analytics.ready();
}

export const track = (name, props) => analytics.track(name, props);
