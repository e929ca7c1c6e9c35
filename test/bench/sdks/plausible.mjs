// plausible-tracker (the npm package): automatic page views and outbound-link clicks, which
// is all the capture it has. No queue: one request per event.
import Plausible from 'plausible-tracker';

let plausible;

export function init(cfg) {
  plausible = Plausible({ domain: 'bench.example', apiHost: cfg.endpoint, trackLocalhost: true });
  plausible.enableAutoPageviews();
  plausible.enableAutoOutboundTracking();
}

export const track = (name, props) => plausible.trackEvent(name, { props });
