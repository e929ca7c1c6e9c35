// @vitest-environment node
import { expect, test } from 'vitest';

test('importing every module touches no browser global, and a tracker created on the server is inert', async () => {
  expect(typeof window).toBe('undefined');
  const mod = await import('../../src');
  for (const name of ['pageViews', 'clicks', 'forms', 'frustration', 'attribution', 'webVitals', 'journey'] as const) {
    expect(typeof mod[name]).toBe('function');
  }
  const t = mod.createTracker({ endpoint: '/v1/batch', consent: 'granted', capture: [mod.pageViews()] });
  expect(() => {
    t.track('On the server');
    t.page();
    t.identify('u');
    t.consent('denied');
    t.reset();
  }).not.toThrow();
  await expect(t.flush()).resolves.toBeUndefined();
  await expect(t.shutdown()).resolves.toBeUndefined();
});
