// Waymark through its npm entry, every capture module on, the stage engine with the
// example rules from PRODUCT.md. Consent is granted up front (a site without a banner),
// so the IndexedDB queue and delivery are active, as they are for every peer.
import { createTracker, pageViews, clicks, forms, frustration, attribution, journey } from 'waymark';
// The PRODUCT.md example, as the journey tests use it.
import rules from '../../journey/fixtures/product.json';


let tracker;

export function init(cfg) {
  tracker = createTracker({
    endpoint: cfg.endpoint + '/v1/batch',
    consent: 'granted',
    capture: [attribution(), pageViews(), clicks(), forms(), frustration()],
    stages: journey(rules),
    // The queue test enqueues 10,000 events; the default bound (1,000) would evict most of them.
    ...(cfg.bigQueue ? { maxQueue: 20000, maxQueueBytes: 5e7 } : {}),
  });
}

export const track = (name, props) => tracker.track(name, props);
