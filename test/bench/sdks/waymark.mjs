// Waymark through its npm entry, every capture module on, the stage engine with the
// example rules from PRODUCT.md. Consent is granted up front (a site without a banner),
// so the IndexedDB queue and delivery are active, as they are for every peer.
import { createTracker, pageViews, clicks, forms, frustration, attribution, journey } from 'waymark';

const rules = {
  stages: ['awareness', 'consideration', 'decision', 'purchase', 'post_purchase', 'loyalty'],
  progression: 'forward',
  rules: [
    { stage: 'awareness', when: { type: 'page' } },
    { stage: 'consideration', when: { type: 'page', path: ['/pricing', '/compare/*'] } },
    { stage: 'consideration', when: { event: 'Element Clicked', selector: '[data-plan]' } },
    { stage: 'decision', when: { event: 'Form Started', form: '#checkout' } },
    { stage: 'purchase', when: { event: 'Order Completed' } },
    { stage: 'loyalty', when: { event: 'Order Completed', count: { gte: 2 } } },
  ],
};

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
