import { onCLS, onFCP, onINP, onLCP, onTTFB, type Metric } from 'web-vitals';
import { landing } from '../lib/landing';
import type { Plugin } from '../types';

/**
 * Core Web Vitals (LCP, INP, CLS) and FCP, TTFB, measured by Google's `web-vitals`
 * library (bundled, never loaded from a CDN), as `Web Vital` events with `name`, `value`,
 * `rating`, `delta`, `id` (one per page load and metric; `delta` is the change since the
 * last report of that id) and `path`, the path of the page load being measured, redacted
 * like `context.page.path`.
 *
 * web-vitals cannot remove its listeners, so teardown only stops the reporting.
 */
export function webVitals(): Plugin {
  return {
    name: 'webVitals',
    setup(t) {
      // The web-vitals library needs Array.prototype.at (Chrome 92, Safari 15.4): on older
      // browsers its observers would throw into the page, so vitals are left out there.
      if (!('at' in [])) return;
      // Each setup's own: a tracker shut down must not silence another set up with this plugin.
      let live = true;
      // web-vitals measures the document load, not SPA routes: CLS and INP are reported
      // when the page is hidden, maybe on another route, but belong to this path. It is the
      // path of the redacted URL, as context.page.path is: location.pathname would send an
      // email in the path (/users/jane@example.com) unmasked.
      const path = new URL(t.redact(landing())).pathname;
      const report = ({ name, value, rating, delta, id }: Metric) =>
        live && t.track('Web Vital', { name, value, rating, delta, id, path });
      [onCLS, onFCP, onINP, onLCP, onTTFB].forEach((on) => on(report));
      return () => (live = false);
    },
  };
}
