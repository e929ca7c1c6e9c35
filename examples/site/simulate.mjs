// Drives synthetic visitors through the demo shop in headless Chromium with the real SDK, so
// that the dashboard has something to show. Each visitor is a browser context (its own
// cookies and IndexedDB, so its own anonymousId); a return visit reuses the context, which
// is what makes it the same visitor in a new session. For visitors who come back,
// Playwright's clock places the first visit up to five days back and moves time forward for
// the return. (Only for them: the fake clock also fakes `performance`, and TTFB is lost.)
import { launchChromium } from '../chromium.mjs';

const HOUR = 36e5;

/** Ways in: UTM-tagged links and referrers, one per channel. */
const ENTRIES = {
  search: { path: '/', referer: 'https://www.google.com/' },
  social: { path: '/?utm_source=instagram&utm_medium=social&utm_campaign=autumn_roasts', referer: 'https://l.instagram.com/' },
  paid: { path: '/pricing?utm_source=google&utm_medium=cpc&utm_campaign=brand_terms&gclid=sim' },
  paidSocial: { path: '/products?utm_source=facebook&utm_medium=paid_social&utm_campaign=roaster_launch' },
  email: { path: '/products?utm_source=newsletter&utm_medium=email&utm_campaign=november_lots' },
  referral: { path: '/', referer: 'https://coffee-reviews.example/best-subscriptions' },
  direct: { path: '/' },
};

/**
 * Who the visitors are, in order; visitor n is PERSONAS[n % length]. The first six alone
 * reach every stage, so even a short run fills the funnel.
 */
const PERSONAS = [
  ['loyal', 'search'],
  ['browser', 'social'],
  ['abandoner', 'paid'],
  ['buyer', 'email'],
  ['bouncer', 'referral'],
  ['frustrated', 'direct'],
  ['decliner', 'search'],
  ['returner', 'social'],
  ['spa', 'paid'],
  ['abandoner', 'search'],
  ['buyer', 'referral'],
  ['ignorer', 'direct'],
  ['browser', 'paidSocial'],
  ['loyal', 'paid'],
  ['bouncer', 'search'],
  ['frustrated', 'social'],
  ['buyer', 'paidSocial'],
  ['abandoner', 'email'],
  ['bouncer', 'social'],
  ['returner', 'search'],
];

const COMMENTS = {
  good: ['Quick and painless.', 'Loved the plan comparison.', 'Easy, took a minute.'],
  bad: ['The coupon button did nothing.', 'Postcode field rejected my address twice.', 'Too many steps.'],
};

/** A small seeded PRNG (mulberry32), so a run can be repeated. */
function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: (xs) => xs[Math.floor(next() * xs.length)], int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

/** The actions a visitor can take on one page. */
function actor(page, base, errors, { spa = false } = {}) {
  const url = (path) => new URL(path, base).href;
  // Interactions before the SDK has loaded would not be seen; real visitors are slower than that.
  // The SPA bundles the SDK into its own module, which renders #app once it has run.
  const ready = () =>
    spa
      ? page.waitForSelector('#app > *', { timeout: 10_000 })
      : page.waitForFunction(() => window.waymark && window.waymark.version, null, { timeout: 10_000 });
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));

  const a = {
    async open(path, referer) {
      await page.goto(url(path), { waitUntil: 'load', referer });
      await ready();
    },
    /** Clicks something that navigates, and waits for the next page. */
    async follow(selector) {
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
      await ready();
    },
    click: (selector) => page.click(selector),
    fill: (name, value) => page.fill(`[name="${name}"]`, value),
    select: (name, value) => page.selectOption(`[name="${name}"]`, value),
    async consent(choice) {
      const button = page.locator(`#consent [data-consent="${choice}"]`);
      if (await button.count()) await button.click();
    },
    /** Lets the SDK deliver what is queued before the visitor goes. */
    async flush() {
      if (spa) {
        // The SPA keeps its tracker to itself: wait for its next scheduled batch instead.
        await page.waitForResponse((r) => r.url().endsWith('/v1/batch'), { timeout: 6000 }).catch(() => {});
      } else await page.evaluate(() => window.waymark && window.waymark('flush')).catch(() => {});
    },
    pause: (ms) => page.waitForTimeout(ms),
  };
  return a;
}

/** The multi-page checkout; `trouble` makes a visitor trip over validation on the way. */
async function checkout(a, rnd, { plan, trouble }) {
  await a.follow(`[data-plan="${plan}"]`);
  if (trouble) {
    await a.fill('email', 'sam@example');
    await a.click('#checkout [data-waymark-step="contact"] [data-next]');
  }
  await a.fill('email', `visitor${rnd.int(100, 999)}@example.com`);
  await a.fill('name', 'Sam Doe');
  await a.click('#checkout [data-waymark-step="contact"] [data-next]');
  await a.fill('street', '1 Roastery Lane');
  if (trouble) {
    await a.fill('postcode', '12-34');
    await a.click('#checkout [data-waymark-step="shipping"] [data-next]');
  }
  await a.fill('postcode', '10115');
  await a.fill('city', 'Berlin');
  await a.select('country', 'Germany');
  await a.click('#checkout [data-waymark-step="shipping"] [data-next]');
  await a.fill('cardnumber', '4242 4242 4242 4242');
  await a.fill('expiry', trouble ? '13/29' : '12/29');
  await a.fill('cvc', '123');
  if (trouble) {
    // The coupon button does nothing: a dead click, and a rage click when hammered.
    await a.fill('coupon', 'ROAST10');
    for (let i = rnd.int(1, 4); i--; ) await a.click('#apply-coupon');
    await a.pause(1100);
    await a.click('#place-order');
    await a.fill('expiry', '12/29');
  }
  await a.follow('#place-order');
}

async function rate(a, rnd, happy) {
  const score = happy ? rnd.int(4, 5) : rnd.int(1, 3);
  await a.click(`#csat [data-score="${score}"]`);
  if (rnd.next() < 0.5) await a.fill('comment', rnd.pick(happy ? COMMENTS.good : COMMENTS.bad));
  await a.click('#send-feedback');
}

/** One visitor's whole story. Returns when everything it sent has been delivered. */
async function visit({ browser, shop, spa, persona, channel, rnd, now, errors }) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const returns = persona == 'loyal' || persona == 'returner';
  const start = returns ? now - rnd.int(2, 120) * HOUR : now;
  // The collector takes a browser's clock skew from sentAt: to it, a clock put days back is a
  // wrong clock, and these visits would move to now. The batches say when they really leave
  // (the offset to the real clock, set again whenever the fake one moves), so their events
  // stay days back, as events delivered late from the queue would.
  const realSentAt = (offset) =>
    context.addInitScript((s) => {
      if (!('__offset' in window)) {
        const send = window.fetch;
        const real = () => `"sentAt":"${new Date(Date.now() + window.__offset).toISOString()}"`;
        window.fetch = (url, init) => send(url, typeof init?.body == 'string' ? { ...init, body: init.body.replace(/"sentAt":"[^"]*"/, real) } : init);
      }
      window.__offset = s;
    }, offset);
  if (returns) {
    await context.clock.install({ time: start });
    await realSentAt(Date.now() - start);
  }
  const page = await context.newPage();
  const inSpa = persona == 'spa' && !!spa;
  const a = actor(page, inSpa ? spa : shop, errors, { spa: inSpa });
  const entry = ENTRIES[channel];
  const later = async (path, referer) => {
    // A return visit: same browser storage, hours or days later, so a new session.
    await a.flush();
    await page.goto('about:blank');
    const time = Math.min(now - 60_000, start + Math.max(HOUR, (now - start) * (0.3 + 0.6 * rnd.next())));
    await context.clock.setSystemTime(time);
    await realSentAt(Date.now() - time);
    await a.open(path, referer);
  };
  try {
    await a.open(entry.path, entry.referer);
    if (persona == 'ignorer') {
      await a.follow('.site-nav a[href="/pricing"]');
      return;
    }
    await a.consent(persona == 'decliner' ? 'denied' : 'granted');
    const plan = rnd.pick(['taster', 'regular', 'regular', 'roaster']);
    switch (persona) {
      case 'bouncer':
        break;
      case 'decliner':
      case 'browser':
        await a.follow('.site-nav a[href="/products"]');
        await a.click(`[data-details="${rnd.pick(['kiambu', 'huila', 'sidama', 'cerrado'])}"]`);
        await a.follow('.site-nav a[href="/pricing"]');
        break;
      case 'abandoner':
        if (!page.url().includes('/pricing')) await a.follow('.site-nav a[href="/pricing"]');
        await a.follow(`[data-plan="${plan}"]`);
        await a.fill('email', 'sam@');
        await a.click('#checkout [data-waymark-step="contact"] [data-next]');
        await a.fill('email', 'sam@example.com');
        await a.fill('name', 'Sam');
        await a.click('#checkout [data-waymark-step="contact"] [data-next]');
        await a.fill('street', '1 Roastery Lane');
        if (rnd.next() < 0.6) await a.fill('postcode', '1');
        // Leaves halfway through shipping: pagehide reports the abandoned form.
        await a.follow('.logo');
        break;
      case 'frustrated':
        await a.follow('.site-nav a[href="/pricing"]');
        // The "Save 20 %" badge looks like a button and is not.
        for (let i = 0; i < 5; i++) await a.click('#save-badge');
        await checkout(a, rnd, { plan, trouble: true }).catch(() => {});
        if (page.url().includes('/confirmation')) await rate(a, rnd, false);
        break;
      case 'spa':
        // Route changes are pushState: no page loads, yet each one is a page view.
        if (!inSpa) break;
        if (!page.url().includes('/pricing')) await a.click('.site-nav a[href="/pricing"]');
        await a.click(`[data-plan="${plan}"]`);
        await a.fill('email', 'sam@example.com');
        await a.fill('postcode', '10115');
        await a.click('#checkout [type="submit"]');
        await a.click(`[data-score="${rnd.int(3, 5)}"]`);
        break;
      case 'returner':
        await a.follow('.site-nav a[href="/pricing"]');
        await later('/pricing');
        await checkout(a, rnd, { plan, trouble: false });
        await rate(a, rnd, true);
        break;
      case 'buyer':
      case 'loyal':
        if (!page.url().includes('/pricing')) await a.follow('.site-nav a[href="/pricing"]');
        await checkout(a, rnd, { plan, trouble: rnd.next() < 0.3 });
        await rate(a, rnd, rnd.next() < 0.8);
        await a.follow('.site-nav a[href="/account"]');
        if (persona == 'loyal') {
          await a.click(`#nps [data-score="${rnd.int(7, 10)}"]`);
          await later('/account?utm_source=newsletter&utm_medium=email&utm_campaign=reorder_reminder');
          await a.follow('#reorder');
          for (const [name, value] of [['email', 'sam@example.com'], ['name', 'Sam Doe']]) await a.fill(name, value);
          await a.click('#checkout [data-waymark-step="contact"] [data-next]');
          for (const [name, value] of [['street', '1 Roastery Lane'], ['postcode', '10115'], ['city', 'Berlin']]) await a.fill(name, value);
          await a.select('country', 'Germany');
          await a.click('#checkout [data-waymark-step="shipping"] [data-next]');
          for (const [name, value] of [['cardnumber', '4242 4242 4242 4242'], ['expiry', '12/29'], ['cvc', '123']]) await a.fill(name, value);
          await a.follow('#place-order');
        }
        break;
    }
  } catch (err) {
    errors.push(`visitor (${persona} via ${channel}) stopped at ${page.url()}: ${String(err.message).split('\n')[0]}`);
  } finally {
    await a.flush();
    await context.close();
  }
}

/**
 * Runs `visitors` synthetic visitors, `concurrency` at a time.
 * @param {{ shop: string, spa?: string, visitors: number, concurrency?: number, seed?: number, onVisitor?: (n: number) => void }} options
 * @returns {Promise<{ visitors: number, errors: string[] }>} `errors` lists uncaught page errors and visitors that got stuck.
 */
export async function simulate({ shop, spa, visitors, concurrency = 3, seed = 1, onVisitor = () => {} }) {
  const browser = await launchChromium();
  const errors = [];
  const now = Date.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < visitors) {
      const n = next++;
      const [persona, channel] = PERSONAS[n % PERSONAS.length];
      await visit({ browser, shop, spa, persona, channel, rnd: random(seed * 7919 + n), now, errors });
      onVisitor(++done);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, visitors) }, worker));
  } finally {
    await browser.close();
  }
  return { visitors: done, errors };
}
