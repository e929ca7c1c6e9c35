// Auto-capture in a real browser, through the script tag and through the npm build: page
// views (SPA included), clicks, forms, frustration, journey stages, and secrets that must
// never leave the page.
import { beforeAll, describe, expect, it } from 'vitest';
import type { WaymarkEvent } from '../../src/types';
import { bundleApp, implemented, useEnv, type Ctx } from './harness';

const env = useEnv('capture');

/**
 * Each event once, in arrival order. Duplicate deliveries are the durability tests' subject
 * (they still count in the run summary); these tests are about what is captured.
 */
const unique = (evs: WaymarkEvent[]) => evs.filter((e, i) => evs.findIndex((x) => x.messageId == e.messageId) == i);
const events = () => unique(env.collector.events());

/** Waits until everything this page tracked so far was delivered, as a visitor who reads before clicking. */
const settled = async (t: { queued(): Promise<string[]> }, min = 1) => {
  await env.collector.waitFor((c) => c.events().length >= min, 'the first events');
  await expect.poll(() => t.queued()).toEqual([]);
};

const label = (e: WaymarkEvent) => e.event || e.type + ' ' + e.context.page.path + e.context.page.search;
const only = (evs: WaymarkEvent[], name: string) => evs.filter((e) => e.event == name);
const stageOf = (e: WaymarkEvent) => (e.properties as any)?.stage;

// Modules written in parallel start as placeholders; their tests wait for them.
const clicksReady = implemented('capture/clicks');
const formsReady = implemented('capture/forms');
const frustrationReady = implemented('capture/frustration');
const attributionReady = implemented('capture/attribution');
const journeyReady = implemented('journey/index');

/** What a shopper types at checkout: none of it may appear in any request. */
const SECRETS = {
  email: 'sentinel.buyer+q7@example.com',
  name: 'Zebulon Sentinelsson',
  password: 'Pw-Sentinel-9137!x',
  card: '4242 4242 4242 4242',
};
const SECRET_PATTERNS = [...Object.values(SECRETS), '4242424242424242', 'sentinel', 'Zebulon'];

function expectNoSecrets() {
  const bodies = env.collector.posts().map((p) => p.body);
  for (const s of SECRET_PATTERNS) for (const b of bodies) expect(b.toLowerCase()).not.toContain(s.toLowerCase());
}

/** Accounts the test's events and returns the names of those lost: none may be, the ones tracked in the task that navigates included. */
function lostEvents(ctx: Ctx) {
  const { lost } = env.account({ expected: ctx.tracked() });
  return lost.map((id) => ctx.feed.find((f) => f.kind == 'event' && f.data.messageId == id)!.data.event);
}

/** Fills and submits the checkout, with one validation error on the way. */
async function checkout(page: import('playwright-core').Page, o: { submit: boolean }) {
  await page.fill('#email', 'not-an-email');
  await page.fill('#name', SECRETS.name);
  await page.click('#to-account'); // invalid email: the browser's validation stops the step
  await page.fill('#email', SECRETS.email);
  await page.click('#to-account');
  await page.fill('#password', SECRETS.password);
  await page.click('#to-payment');
  await page.fill('#card', SECRETS.card);
  await page.fill('#expiry', '12/30');
  await page.fill('#cvc', '737');
  if (o.submit) await Promise.all([page.waitForURL('**/thanks.html'), page.click('#pay')]);
}

describe('capture through the script tag', () => {
  it('page views: one per page load, with the previous page as referrer and redacted query secrets', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html?utm_source=newsletter&utm_medium=email&email=sentinel.q%40example.com&token=sentinel-tok');
    await settled(t);
    await Promise.all([t.page.waitForURL('**/pricing.html'), t.page.click('#see-pricing')]);
    await collector.waitFor((c) => c.events().filter((e) => e.type == 'page').length == 2, 'two page views');
    await collector.quiet(400);
    const views = events().filter((e) => e.type == 'page');
    expect(views.map((e) => e.context.page.path)).toEqual(['/landing.html', '/pricing.html']);
    // The same visitor across page loads (the session is the next test's subject).
    expect(new Set(views.map((e) => e.anonymousId)).size).toBe(1);
    expect(views[0].context.page.search).toBe('?utm_source=newsletter&utm_medium=email&email=redacted&token=redacted');
    expect(views[0].properties).toMatchObject({ path: '/landing.html', title: 'Trailhead Outfitters' });
    expect(views[1].context.page.referrer).toBe(env.site.origin + '/landing.html?utm_source=newsletter&utm_medium=email&email=redacted&token=redacted');
    if (attributionReady) {
      // The landing's campaign stays with the visit on the next page.
      for (const v of views) expect(v.context.campaign).toMatchObject({ source: 'newsletter', medium: 'email', channel: 'email' });
    }
    expectNoSecrets();
    const { lost } = env.account({ expected: views.map((e) => e.messageId) });
    expect(lost).toEqual([]);
  });

  // README (Privacy): deny-listed query values and emails in URLs are redacted. A site whose
  // Referrer-Policy is permissive (no-referrer-when-downgrade, still common; unsafe-url) has the
  // browser send the page's full URL with every request, in the Referer header: the collector
  // must not get there what the payload redacts. (The same goes for the default policy and a
  // collector on the site's own origin.)
  it('a permissive Referrer-Policy: the secrets redacted in the payload do not reach the collector in the Referer header', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted', headers: { '/landing.html': { 'Referrer-Policy': 'no-referrer-when-downgrade' } } });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html?email=sentinel.q%40example.com&token=sentinel-tok');
    await collector.waitFor((c) => c.events().some((e) => e.type == 'page'), 'the page view');
    await t.cmd('track', 'Before Close');
    await t.page.close({ runBeforeUnload: true });
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Before Close'), 'the page-hide request');
    const referers = collector.posts().map((p) => String(p.headers.referer || ''));
    expect(referers.length).toBeGreaterThanOrEqual(2);
    for (const r of referers) expect(r).not.toMatch(/sentinel/);
    expectNoSecrets();
    env.account({ expected: collector.events().map((e) => e.messageId) });
  });

  // With consent granted on load, the tracker snapshots the visitor at the grant, before the
  // page view has created a session; when the saved visitor is read, only events carrying the
  // snapshot's session id are moved to the saved session. So every page view starts a session.
  it('the next page load continues the session: the same session id and number on every event', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await settled(t);
    await Promise.all([t.page.waitForURL('**/pricing.html'), t.page.click('#nav-pricing')]);
    await t.cmd('track', 'On Pricing');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'On Pricing'), 'the second page');
    const evs = events().filter((e) => e.type == 'page' || e.event == 'On Pricing');
    expect(evs.map(label)).toEqual(['page /landing.html', 'page /pricing.html', 'On Pricing']);
    expect(evs.map((e) => e.context.session)).toEqual([evs[0].context.session, evs[0].context.session, evs[0].context.session]);
    env.account({ expected: ctx.tracked() });
  });

  it.skipIf(!clicksReady)('clicks: actionable elements are described with masked text; ignored subtrees and plain text are not', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await t.page.click('#newsletter');
    await t.page.click('#contact');
    await t.page.click('#private-button');
    await t.page.click('h1');
    // Inside the web component's shadow root: the component, as the site wrote it.
    await t.page.click('#trial >> button');
    // On an element the site slotted into the component's <button>: the component too.
    await t.page.click('#cart b');
    // An app that is one component: the button in its template, a component there that names
    // itself, and an icon (a shadow root of its own) slotted into a labelled one.
    await t.page.click('#shell button.upgrade');
    await t.page.click('#shell x-button.next');
    await t.page.click('#shell x-icon');
    await t.cmd('track', 'Done Clicking');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Done Clicking'), 'the clicks');
    const clicked = only(events(), 'Element Clicked');
    expect(clicked.map((e) => e.properties)).toEqual([
      expect.objectContaining({ tag: 'button', id: 'newsletter', text: 'Subscribe to the newsletter', selector: '#newsletter' }),
      expect.objectContaining({ tag: 'button', id: 'contact', text: 'Contact *** or call ***' }),
      { plan: 'pro', tag: 'x-button', id: 'trial', text: 'Start a free trial', selector: '#trial' },
      { tag: 'x-button', id: 'cart', text: 'to cart', selector: '#cart' },
      { tag: 'button', classes: ['upgrade'], text: 'Upgrade', selector: 'nav>button.upgrade' },
      { tag: 'x-button', classes: ['next'], text: 'Next', selector: 'nav>x-button.next' },
      { tag: 'x-button', label: 'Add to wishlist', selector: 'nav>span.wish>x-button' },
    ]);
    // The page's own handler ran after the capture listener saw the click.
    const mine = ['Element Clicked', 'Newsletter Subscribed', 'Done Clicking'];
    expect(events().map(label).filter((n) => mine.includes(n))).toEqual(['Element Clicked', 'Newsletter Subscribed', ...Array(6).fill('Element Clicked'), 'Done Clicking']);
    for (const p of collector.posts()) expect(p.body).not.toMatch(/ada\.lovelace|0123456789012|Internal tools|private-button/);
    env.account({ expected: ctx.tracked() });
  });

  it.skipIf(!frustrationReady)('frustration: a burst of clicks is one Rage Click; a button that does nothing is a Dead Click', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    for (let i = 0; i < 5; i++) await t.page.click('#promo', { delay: 0 });
    // A popover button is alive, though nothing in the DOM changes: only #contact is dead.
    await t.page.click('#sizes');
    await t.page.waitForTimeout(1200);
    await t.page.keyboard.press('Escape');
    // A button inside a component's shadow root is not judged: what it changes may render in
    // another component's shadow root, which cannot be watched (a Lit app's state passed down).
    await t.page.click('#shell button.upgrade');
    await t.page.waitForTimeout(1200);
    await t.page.click('#contact');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Dead Click'), 'the dead click');
    await collector.quiet(400);
    const evs = events();
    expect(only(evs, 'Rage Click').map((e) => e.properties)).toEqual([expect.objectContaining({ selector: '#promo' })]);
    expect(only(evs, 'Dead Click').map((e) => e.properties)).toEqual([expect.objectContaining({ selector: '#contact', text: 'Contact *** or call ***' })]);
    env.account({ expected: ctx.tracked() });
  });

  it.skipIf(!frustrationReady)('web components: no Dead Click for an editor\'s mention chip (the user\'s text), nor for a button whose effect shows in a sibling component', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/review-shadow.html');
    // A click on a mention chip in an editor: an editor's click is never judged, and its text is the user's.
    await t.page.click('#m');
    await t.page.waitForTimeout(1500);
    // Add to cart in a one-component shop: the cart's count changes, in <x-cart>'s shadow root.
    await t.page.click('#shop x-add button.add');
    expect(await t.page.locator('#shop x-cart .count').textContent()).toBe('1 item');
    await t.page.waitForTimeout(1500);
    await t.cmd('track', 'Done Clicking');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Done Clicking'), 'the marker');
    await collector.quiet(400);
    expect(only(events(), 'Dead Click').map((e) => e.properties)).toEqual([]);
    for (const p of collector.posts()) expect(p.body).not.toMatch(/Jane/);
    env.account({ expected: ctx.tracked() });
  });

  // data-waymark-mask around an item in the flat tree may be a component's own, in its shadow root
  // around the <slot> the item is rendered in: clicks look for it on the click's path (2828217), and
  // frustration with closest(), which walks the page's tree only (the item, the component, the body).
  it.skipIf(!frustrationReady)('a Dead Click on an item slotted into a data-waymark-mask subtree of a component carries no text, as its Element Clicked does', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/mask-slot.html');
    await t.page.click('#a1'); // an item that does nothing: a Dead Click a second later
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Dead Click'), 'the dead click');
    await collector.quiet(400);
    expect(only(events(), 'Element Clicked').map((e) => e.properties)).toEqual([expect.objectContaining({ id: 'a1', role: 'menuitemradio' })]);
    expect(only(events(), 'Dead Click').map((e) => e.properties)).toEqual([{ selector: '#a1' }]);
    for (const p of collector.posts()) expect(p.body).not.toMatch(/Jane/);
    env.account({ expected: ctx.tracked() });
  });

  // ProseMirror's and Lexical's node views are contenteditable="false" islands in the editor: for
  // one that is a component, isContentEditable is false and its shadow root holds no editor.
  it.skipIf(!clicksReady)('a mention chip in an editor that is a non-editable component (<x-mention contenteditable=false>) is no Element Clicked: its text is the user\'s', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/island.html');
    await t.page.click('#m');
    await t.page.click('#send');
    await collector.waitFor((c) => c.events().some((e) => (e.properties as any)?.id == 'send'), 'the Send click');
    await collector.quiet(400);
    expect(only(events(), 'Element Clicked').map((e) => (e.properties as any).id)).toEqual(['send']);
    for (const p of collector.posts()) expect(p.body).not.toMatch(/Jane/);
    env.account({ expected: ctx.tracked() });
  });

  // A click on a label is two trusted clicks in Chromium: the label's, then the one it forwards
  // to its control, at the same place and with the same timeStamp.
  it.skipIf(!frustrationReady)('colour swatches (labelled radios) and a checkbox label, each clicked twice, are no Rage Click: a label forwards one click', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/design-system.html');
    // Red, then green (swatches 28 px apart): the visitor changed their mind.
    await t.page.click('#colour label:nth-child(2)');
    await t.page.click('#colour label:nth-child(3)');
    await t.page.waitForTimeout(1200);
    // Gift wrap on, then off again.
    await t.page.click('#gift', { position: { x: 5, y: 5 } });
    await t.page.click('#gift', { position: { x: 5, y: 5 } });
    expect(await t.page.isChecked('#gift input')).toBe(false);
    await t.cmd('track', 'Done Clicking');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Done Clicking'), 'the marker');
    await collector.quiet(400);
    expect(only(events(), 'Rage Click').map((e) => e.properties)).toEqual([]);
    expect(only(events(), 'Element Clicked').map((e) => (e.properties as any).tag)).toEqual(['label', 'label', 'label', 'label']);
    env.account({ expected: ctx.tracked() });
  });

  // The forwarded click is told by the user's click's timeStamp: a user's own clicks never share
  // one, so a genuine burst on a label is still rage, and so is one made with the keyboard
  // (Space on a focused button: each click's timeStamp is its key's).
  it.skipIf(!frustrationReady)('three quick clicks on a label are one Rage Click, as are three quick Space presses on a button', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/design-system.html');
    for (let i = 0; i < 3; i++) await t.page.click('#gift', { position: { x: 5, y: 5 } });
    await t.page.waitForTimeout(1200);
    await t.page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<button id="noop" type="button">Apply</button>'));
    await t.page.focus('#noop');
    for (let i = 0; i < 3; i++) await t.page.keyboard.press('Space');
    await t.page.waitForTimeout(1200);
    await t.cmd('track', 'Done Clicking');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Done Clicking'), 'the marker');
    await collector.quiet(400);
    expect(only(events(), 'Rage Click').map((e) => (e.properties as any).selector)).toEqual(['#gift', '#noop']);
    env.account({ expected: ctx.tracked() });
  });

  it.skipIf(!frustrationReady)('a link around a design-system button (<a href><x-button>) loading another document slowly is no Dead Click, and its click is the link', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted', delays: { '/pricing.html': 3000 } });
    const ctx = await env.context();
    const t = await ctx.open('/review-shadow.html');
    // On the button's text; the response takes 3 s, so the page and its URL stay for the verdict.
    const t0 = Date.now();
    await Promise.all([t.page.waitForURL('**/pricing.html'), t.page.click('#see', { noWaitAfter: true })]);
    expect(Date.now() - t0).toBeGreaterThan(2000); // the old page stayed for the verdict
    await collector.quiet(600);
    expect(only(events(), 'Dead Click').map((e) => e.properties)).toEqual([]);
    expect(only(events(), 'Element Clicked').map((e) => e.properties)).toEqual([expect.objectContaining({ tag: 'a', id: 'go', href: expect.stringContaining('/pricing.html') })]);
  });

  it.skipIf(!formsReady)('forms: start, invalid, steps and submit, in order, without a single typed value', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/checkout.html');
    await checkout(t.page, { submit: true });
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Order Completed'), 'the order');
    await collector.quiet(400);
    // What was captured, from the SDK's own feed: `Form Submitted` is tracked as the page
    // navigates, and whether it survives that is a delivery question (see the durability
    // tests and the abandonment test below). Everything before it must have reached the collector.
    const form = unique(ctx.feed.filter((f) => f.kind == 'event' && f.data.event?.startsWith('Form ')).map((f) => f.data));
    expect(events().filter((e) => e.event?.startsWith('Form ')).map((e) => e.messageId)).toEqual(
      expect.arrayContaining(form.slice(0, 4).map((e) => e.messageId)),
    );
    expect(form.map((e) => [e.event, e.properties])).toEqual([
      ['Form Started', expect.objectContaining({ form: 'checkout', field: 'email' })],
      ['Form Field Invalid', expect.objectContaining({ form: 'checkout', field: 'email', check: 'typeMismatch' })],
      ['Form Step Completed', expect.objectContaining({ form: 'checkout', step: 'step-contact' })],
      ['Form Step Completed', expect.objectContaining({ form: 'checkout', step: 'step-account' })],
      ['Form Submitted', expect.objectContaining({ form: 'checkout' })],
    ]);
    // Sensitive fields are never named, not even as "the last field".
    for (const p of collector.posts()) expect(p.body).not.toMatch(/"(password|cardnumber|cvc|exp)"/);
    expectNoSecrets();
    expect(lostEvents(ctx)).toEqual([]);
  });

  it.skipIf(!clicksReady)('clicks: an element with id="closest" on the page (window.closest, by named access) does not stop click capture', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    // A store locator's "closest store" box: window.closest is now that element (HTML named access),
    // and window is on every click's composedPath().
    await t.page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<p id="closest">Closest store: Lyon</p>'));
    await t.page.click('#newsletter');
    await t.cmd('track', 'Done Clicking');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Done Clicking'), 'the click');
    expect(only(events(), 'Element Clicked').map((e) => e.properties)).toEqual([expect.objectContaining({ tag: 'button', id: 'newsletter' })]);
  });

  it('an <img name="title"> on the page (document.title is that image, by HTML named access) loses no event', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await t.page.waitForFunction(() => (window as any).waymark.version);
    // An old rollover banner: <img name="title">. Document has [LegacyOverrideBuiltIns], so
    // document.title is now the image, not a string.
    const clobbered = await t.page.evaluate(() => {
      document.body.insertAdjacentHTML('beforeend', '<img name="title" src="data:," alt="">');
      return typeof document.title;
    });
    expect(clobbered).toBe('object');
    await t.page.click('#newsletter');
    await t.cmd('track', 'Done Clicking');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Done Clicking'), 'the click and the track', 3000);
    expect(only(events(), 'Element Clicked').map((e) => e.properties)).toEqual([expect.objectContaining({ tag: 'button', id: 'newsletter' })]);
  });

  it.skipIf(!formsReady)('forms: an element with id="hasAttribute" on the page (window.hasAttribute, by named access) does not stop form capture', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/checkout.html');
    // window is on every event's composedPath(), and window.hasAttribute is now that element, not a function.
    await t.page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<p id="hasAttribute" hidden></p>'));
    await t.page.fill('#email', 'not-an-email');
    await t.cmd('track', 'Done Typing');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Done Typing'), 'the typing');
    const form = unique(ctx.feed.filter((f) => f.kind == 'event' && f.data.event?.startsWith('Form ')).map((f) => f.data));
    expect(form.map((e) => [e.event, e.properties])).toEqual([['Form Started', expect.objectContaining({ form: 'checkout', field: 'email' })]]);
  });

  it.skipIf(!formsReady)('forms: a design-system field in a page form (Shoelace 2\'s `form` string property) starts the form', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await t.page.waitForFunction(() => (window as any).waymark.version);
    // As Shoelace 2's <sl-input>: `@property({ reflect: true }) form = ''` and a native <input> in its shadow root.
    await t.page.evaluate(() => {
      customElements.define('x-field', class extends HTMLElement {
        form = '';
        constructor() {
          super();
          this.attachShadow({ mode: 'open' }).innerHTML = '<input>';
        }
      });
      document.body.insertAdjacentHTML('beforeend', '<form id="signup"><x-field id="f1" name="email"></x-field></form>');
    });
    await t.page.fill('#f1 input', 'someone');
    await t.cmd('track', 'Done Typing');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Done Typing'), 'the typing');
    const form = unique(ctx.feed.filter((f) => f.kind == 'event' && f.data.event?.startsWith('Form ')).map((f) => f.data));
    expect(form.map((e) => [e.event, e.properties])).toEqual([['Form Started', expect.objectContaining({ form: 'signup', field: 'email' })]]);
  });

  // A form-associated custom element (static formAssociated, attachInternals) that gives no
  // `form` of its own, as MDN's example, and a rich-text editor (contenteditable): the browser
  // submits both with the form.
  it.skipIf(!formsReady)('forms: a review form of a form-associated custom element and a rich-text editor is started when typed in, and abandoned when left', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/design-system.html');
    await t.page.fill('#rating input', '4');
    await t.page.click('#message');
    await t.page.keyboard.type('Great tent, ' + SECRETS.name);
    await t.page.goto(env.site.origin + '/landing.html');
    await collector.waitFor((c) => c.events().some((e) => e.type == 'page' && e.context.page.path == '/landing.html'), 'the next page');
    await collector.quiet(600);
    expect(events().filter((e) => e.event?.startsWith('Form ')).map((e) => [e.event, e.properties])).toEqual([
      ['Form Started', { form: 'review', field: 'rating' }],
      ['Form Abandoned', expect.objectContaining({ form: 'review', lastField: 'message', fields: 2 })],
    ]);
    expectNoSecrets();
    env.account({ expected: ctx.tracked() });
  });

  it.skipIf(!formsReady)('forms: a wizard whose steps are routes inside one form the layout keeps is started once and submitted, never abandoned at a step', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/wizard.html');
    await settled(t);
    await t.page.fill('#email', SECRETS.email);
    await t.page.click('#next');
    await t.page.fill('#nick', 'zz');
    await t.page.waitForTimeout(1500); // the visitor thinks of a nickname
    await t.page.click('#finish');
    await t.cmd('track', 'Done');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Done'), 'the marker');
    await collector.quiet(400);
    expect(events().map(label).filter((n) => n.startsWith('Form ') || n.startsWith('page'))).toEqual([
      'page /wizard.html',
      'Form Started',
      'page /wizard.html?step=2',
      'Form Submitted',
    ]);
    expect(only(events(), 'Form Submitted')[0].properties).toMatchObject({ form: 'signup', fields: 2 });
    expectNoSecrets();
    env.account({ expected: ctx.tracked() });
  });

  // Leaving by the address bar (no Navigation API event): the page-hide beacon carries it.
  it.skipIf(!formsReady)('forms: a started form left for another page is Form Abandoned, sent as the page goes', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/checkout.html');
    await t.page.fill('#email', SECRETS.email);
    await t.page.fill('#name', SECRETS.name);
    await t.page.goto(env.site.origin + '/landing.html');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Form Abandoned'), 'Form Abandoned', 5000);
    const [abandoned] = only(events(), 'Form Abandoned');
    expect(abandoned.properties).toMatchObject({ form: 'checkout', lastField: 'name' });
    expect(abandoned.context.page.path).toBe('/checkout.html');
    expect(only(events(), 'Form Submitted')).toEqual([]);
    expectNoSecrets();
    env.account({ expected: ctx.tracked() });
  });

  // Within the site the page-hide beacon carries only what may not be written in time (Form
  // Abandoned, tracked during pagehide); the next page sends the rest of the queue. A batch
  // out when the link is clicked is cancelled by the unload, a failure that starts a backoff:
  // then no beacon at all, and the writes in progress must still be committed at page hide
  // (they were left to die with the page: the link's Element Clicked and Form Abandoned were
  // lost about 1 run in 5). No retry: a failure here is a loss.
  it.skipIf(!formsReady)('forms: a started form left through a link to another page of the site is Form Abandoned', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/checkout.html');
    await settled(t);
    await t.page.fill('#email', SECRETS.email);
    await t.page.fill('#name', SECRETS.name);
    await Promise.all([t.page.waitForURL('**/pricing.html'), t.page.click('#back-to-plans')]);
    await collector.waitFor((c) => c.events().some((e) => e.context.page.path == '/pricing.html'), 'the next page view');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Form Abandoned'), 'Form Abandoned', 3000);
    const [abandoned] = only(events(), 'Form Abandoned');
    expect(abandoned.properties).toMatchObject({ form: 'checkout', lastField: 'name' });
    expectNoSecrets();
    env.account({ expected: ctx.tracked() });
  });

  it('secrets typed into email, password and card fields never appear in any request', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/checkout.html');
    await checkout(t.page, { submit: false });
    // Leave mid-form (abandonment), then come back and pay.
    await t.page.goto(env.site.origin + '/checkout.html');
    await checkout(t.page, { submit: true });
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Order Completed'), 'the order');
    await t.page.close({ runBeforeUnload: true });
    await collector.quiet(500);
    expect(collector.posts().length).toBeGreaterThan(0);
    expectNoSecrets();
    env.account({ expected: ctx.tracked() });
  });

  it.skipIf(!journeyReady)('stages: entered in order from the rules file, and persisted across a reload', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted', stages: '/journey.json' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await settled(t);
    await Promise.all([t.page.waitForURL('**/pricing.html'), t.page.click('#nav-pricing')]);
    await settled(t, 2);
    await Promise.all([t.page.waitForURL('**/checkout.html?plan=pro'), t.page.click('#choose-pro')]);
    await checkout(t.page, { submit: true });
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Order Completed'), 'the order');
    await expect.poll(() => t.queued()).toEqual([]);

    // The stage is the visitor's: after a reload it is still `purchase`, and a second order is loyalty.
    await t.page.reload();
    await collector.waitFor((c) => c.events().filter((e) => e.event == 'Order Completed').length == 2, 'the second order');
    await collector.quiet(400);
    const evs = events();
    const entered = only(evs, 'Journey Stage Entered');
    expect(entered.map(stageOf)).toEqual(['awareness', 'consideration', 'decision', 'purchase', 'loyalty']);
    expect(entered.map((e) => (e.properties as any).previousStage)).toEqual([null, 'awareness', 'consideration', 'decision', 'purchase']);
    // The events carry the stage the visitor is in once they happened; it survives page loads.
    const views = evs.filter((e) => e.type == 'page');
    expect(views.map((e) => [e.context.page.path, e.context.journey?.stage])).toEqual([
      ['/landing.html', 'awareness'],
      ['/pricing.html', 'consideration'],
      ['/checkout.html', 'consideration'],
      ['/thanks.html', 'decision'],
      ['/thanks.html', 'purchase'],
    ]);
    expect(ctx.feed.filter((f) => f.kind == 'stage').map((f) => f.data.stage)).toEqual(['awareness', 'consideration', 'decision', 'purchase', 'loyalty']);
    expectNoSecrets();
    // Losses are the durability tests' subject. Only events tracked in the very task that
    // navigates (the link's click, the form's submit) may be missing here: see the
    // Form Abandoned test above for why.
    expect(lostEvents(ctx)).toEqual([]);
  });

  it.skipIf(!journeyReady)('an inline rules block placed after the script tag is read once the document is parsed', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted', stages: '#late-rules', delays: { '/parser-block.js': 800 } });
    const ctx = await env.context();
    const t = await ctx.open('/late-rules.html');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Journey Stage Entered'), 'the stage');
    // The SDK ran before the parser reached the block (the parser was waiting on the slow script).
    expect(await t.page.evaluate(() => document.body.dataset.sdkFirst)).toBe('true');
    const view = events().find((e) => e.type == 'page')!;
    expect(view.context.journey?.stage).toBe('awareness');
    expect(ctx.feed.filter((f) => f.kind == 'error')).toEqual([]);
    env.account({ expected: ctx.tracked() });
  });

  // While a rules file loads, events wait in memory (up to 5 s). A visitor who leaves in
  // that time takes them along: they were never persisted, so neither the page-hide beacon
  // nor the next visit can send them.
  it.skipIf(!journeyReady)('a visitor who leaves while the rules file is still loading loses no event', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted', stages: '/journey.json', delays: { '/journey.json': 2500 } });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await t.cmd('track', 'Early Bird');
    await t.page.waitForTimeout(300);
    await Promise.all([t.page.waitForURL('**/pricing.html'), t.page.click('#nav-pricing')]);
    await collector.waitFor((c) => c.events().some((e) => e.context.page.path == '/pricing.html'), 'the next page');
    await collector.quiet(1000);
    const names = events().map(label);
    expect(names).toContain('page /landing.html');
    expect(names).toContain('Early Bird');
    const { lost } = env.account({ expected: ctx.tracked() });
    expect(lost).toEqual([]);
  });
});

describe('capture through the npm build (an SPA bundled at test time)', () => {
  beforeAll(async () => {
    await bundleApp('spa-app.js', 'spa.js');
  });

  it('SPA page views: pushState and popstate count, a same-path replaceState does not; referrers are in-app', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context({ feed: false });
    const t = await ctx.open('/spa/');
    await t.page.waitForFunction(() => document.body.dataset.tracker == 'granted');
    await t.page.click('#to-plans');
    await t.page.click('#sort');
    await t.page.click('#to-team');
    await t.page.goBack();
    await t.page.click('#to-reset');
    await collector.waitFor((c) => c.events().filter((e) => e.type == 'page').length >= 5, 'five page views');
    await collector.quiet(400);

    const views = events().filter((e) => e.type == 'page');
    const o = env.site.origin;
    expect(views.map((e) => [e.context.page.path + e.context.page.search, e.context.page.referrer])).toEqual([
      ['/spa/', ''],
      ['/spa/plans', o + '/spa/'],
      ['/spa/team', o + '/spa/plans?sort=price'],
      ['/spa/plans?sort=price', o + '/spa/team'],
      ['/spa/reset?token=redacted&ref=mail', o + '/spa/plans?sort=price'],
    ]);
    if (clicksReady) expect(only(events(), 'Element Clicked').map((e) => (e.properties as any).id)).toEqual(['to-plans', 'sort', 'to-team', 'to-reset']);
    for (const p of collector.posts()) expect(p.body).not.toContain('sentinel-reset-token');
    expect(ctx.errors).toEqual([]);
    const { lost, duplicated } = env.account({ expected: views.map((e) => e.messageId) });
    expect(lost).toEqual([]);
    // One page, no unload: nothing here may arrive twice.
    expect(duplicated).toEqual([]);
    // The stage engine through the npm build, with rules given as an object.
    if (journeyReady) expect(only(events(), 'Journey Stage Entered').map(stageOf)).toEqual(['awareness', 'consideration']);
  });

  it('the npm build waits for consent like the script tag: nothing is sent or stored while pending', async () => {
    const { collector } = env;
    const ctx = await env.context({ feed: false });
    const t = await ctx.open('/spa/');
    await t.page.waitForFunction(() => document.body.dataset.tracker == 'pending');
    await t.page.click('#to-plans');
    await collector.quiet(1000);
    expect(collector.requests).toEqual([]);
    expect(await t.databases()).toEqual([]);
    env.account({ expected: [], beforeConsent: collector.requests.length });
  });
});
