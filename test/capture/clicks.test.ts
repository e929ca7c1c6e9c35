import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { clicks } from '../../src/capture/clicks';
import type { PluginContext, Tracker, WaymarkEvent } from '../../src/types';
import { fakeCollector, freshIndexedDB } from '../helpers';

const ENDPOINT = 'https://c.test/v1/batch';
let trackers: Tracker[] = [];

beforeEach(() => {
  freshIndexedDB();
  document.body.innerHTML = '';
  history.replaceState(null, '', '/');
});
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((t) => t.shutdown()));
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

function start() {
  const c = fakeCollector();
  const t = createTracker({ endpoint: ENDPOINT, consent: 'granted', capture: [clicks()] });
  trackers.push(t);
  const seen: WaymarkEvent[] = [];
  t.on('event', (e) => seen.push(e));
  return { c, t, seen, sent: async () => (await t.flush(), c.events()) };
}

const $ = (sel: string) => document.querySelector(sel) as HTMLElement;
const click = (el: Element) => el.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));

test('describes the clicked button exactly, with data-waymark-* attributes as properties', async () => {
  const { sent, seen } = start();
  document.body.innerHTML =
    '<main id="app"><section class="hero"><button id="buy" class="btn primary a b c d e" role="button" aria-label="Buy now"' +
    ' data-waymark-plan="pro" data-waymark-price-tier="2" data-other="x">  Buy   <span>NOT THIS</span> now </button></section></main>';
  click($('#buy span'));
  const events = await sent();
  expect(events.map((e) => [e.type, e.event])).toEqual([['track', 'Element Clicked']]);
  expect(events[0].properties).toEqual({
    plan: 'pro',
    'price-tier': '2',
    tag: 'button',
    id: 'buy',
    classes: ['btn', 'primary', 'a', 'b', 'c'],
    role: 'button',
    label: 'Buy now',
    text: 'Buy now',
    selector: '#buy',
  });
  // The element rides along for stage rules, but is never serialised.
  expect(seen[0].element).toBe($('#buy'));
  expect(Object.keys(seen[0])).not.toContain('element');
});

test('a link: nearest actionable ancestor, redacted href, short selector, no empty keys', async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<nav class="top x1"><div class="menu"><a href="/reset?token=abc123&amp;page=2#frag"><b>Reset</b></a></div></nav>';
  click($('b'));
  const [e] = await sent();
  expect(e.properties).toEqual({
    tag: 'a',
    href: 'http://localhost:3000/reset?token=redacted&page=2',
    selector: 'nav.top>div.menu>a',
  });
});

test('every actionable kind is recognised; plain elements are not', async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<div id="plain">x</div><p><span id="s">x</span></p>' +
    '<div role="button" id="r">R</div><input type="submit" id="sub" value="Send"><input type="button" id="ib">' +
    '<details><summary id="sum">More</summary></details><div data-waymark-event="Signup CTA" id="w">Go</div>';
  for (const id of ['plain', 's', 'r', 'sub', 'ib', 'sum', 'w']) click($('#' + id));
  const events = await sent();
  expect(events.map((e) => e.properties!.id)).toEqual(['r', 'sub', 'ib', 'sum', 'w']);
  expect(events[4].properties!.event).toBe('Signup CTA');
  // A submit button's value is never read.
  expect(JSON.stringify(events)).not.toContain('Send');
});

test('text: direct only, masked (emails, 6+ digit runs) and truncated to 80', async () => {
  const { sent } = start();
  const long = 'word '.repeat(30);
  document.body.innerHTML =
    '<button id="a">Mail jane.doe+x@example.co.uk or call 555-123-4567, card 4111 1111 1111 1111, order 12345</button>' +
    `<button id="b">${long}</button>`;
  click($('#a'));
  click($('#b'));
  const [a, b] = await sent();
  expect(a.properties!.text).toBe('Mail *** or call ***, card ***, order 12345');
  expect(b.properties!.text).toBe(long.trim().slice(0, 80));
  expect(b.properties!.text).toHaveLength(80);
});

test('an email or long digit run in aria-label, name or a data-waymark-* value is masked like the text', async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<button id="out" aria-label="Sign out jane.doe@example.com" data-waymark-account="acct 4111 1111 1111 1111" data-waymark-plan="pro">Sign out</button>' +
    '<button id="n" name="order-1234567">Open</button>';
  click($('#out'));
  click($('#n'));
  const [a, b] = await sent();
  expect(a.properties).toMatchObject({ label: 'Sign out ***', account: 'acct ***', plan: 'pro' });
  expect(b.properties!.label).toBe('order-***');
  expect(JSON.stringify([a.properties, b.properties])).not.toMatch(/jane\.doe|4111|1234567/);
});

test('a long aria-label is cut to 80 characters after masking, like the text', async () => {
  const { sent } = start();
  const long = 'Reply to the comment that starts: ' + 'word '.repeat(40);
  document.body.innerHTML = `<button aria-label="${long}">Reply</button>`;
  click($('button'));
  const [e] = await sent();
  expect(e.properties!.label).toBe(long.slice(0, 80));
});

test('a long digit run grouped with no-break spaces is masked in aria-label and data-waymark-* values', async () => {
  const { sent } = start();
  // U+00A0 between groups, as many sites print; U+202F, as Intl.NumberFormat('fr-FR') does.
  const narrow = Intl.NumberFormat('fr-FR').format(4111111111111111);
  document.body.innerHTML = `<button aria-label="Copy 4111\u00a01111\u00a01111\u00a01111" data-waymark-account="${narrow}">Copy</button>`;
  click($('button'));
  const [e] = await sent();
  expect(e.properties).toMatchObject({ label: 'Copy ***', account: '***' });
});

test('an id with 5+ digits in a row is in neither id nor selector; classes with digits are left out', async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<main id="app"><ul class="rows"><li><a href="/o" id="card-4111111111111111" class="row acct-4111111111111111 css-1x2y">Open</a></li></ul></main>' +
    '<button id="order-12345">Track</button><button id="step2">Next</button>';
  click($('a'));
  click(document.querySelectorAll('button')[0]);
  click($('#step2'));
  const [a, b, d] = await sent();
  expect(a.properties).toMatchObject({ tag: 'a', classes: ['row'], selector: 'ul.rows>li>a.row' });
  expect(a.properties!.id).toBeUndefined();
  expect(b.properties).toEqual({ tag: 'button', text: 'Track', selector: 'button' });
  // Short digit runs are no one's number: kept.
  expect(d.properties).toMatchObject({ id: 'step2', selector: '#step2' });
  expect(JSON.stringify([a, b, d].map((e) => e.properties))).not.toMatch(/4111|12345|1x2y/);
});

test('an id with a grouped number (4111-1111-1111-1111) or an email is in neither id nor selector', async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<main id="app"><button id="pay-4111-1111-1111-1111">Pay</button><ul><li><button id="jane.doe@example.com">Remove</button></li></ul></main>';
  click($('button'));
  click($('li button'));
  const [a, b] = await sent();
  expect(a.properties).toEqual({ tag: 'button', text: 'Pay', selector: '#app>button' });
  // Three levels at most: #app is out of reach.
  expect(b.properties).toEqual({ tag: 'button', text: 'Remove', selector: 'ul>li>button' });
});

test('non-web hrefs keep only their scheme', async () => {
  const { sent } = start();
  document.body.innerHTML = '<a id="m" href="mailto:jane@example.com">Mail</a><a id="t" href="tel:+15551234567">Call</a>';
  click($('#m'));
  click($('#t'));
  const events = await sent();
  expect(events.map((e) => e.properties!.href)).toEqual(['mailto:', 'tel:']);
});

test('data-waymark-ignore hides the element and its whole subtree', async () => {
  const { sent, seen } = start();
  document.body.innerHTML =
    '<div data-waymark-ignore><section><button id="in">Secret</button></section></div><button id="out">Ok</button>' +
    '<button id="self" data-waymark-ignore>Self</button>';
  click($('#in'));
  click($('#self'));
  click($('#out'));
  const events = await sent();
  expect(seen).toHaveLength(1);
  expect(events.map((e) => e.properties!.id)).toEqual(['out']);
});

test('fields are never described, even inside a label; the label itself is, once', async () => {
  const { sent, c } = start();
  document.body.innerHTML =
    '<form><label id="pl">Password <input type="password" id="pw" name="password"></label>' +
    '<label>Card <input id="cc" name="cc-number" autocomplete="cc-number"></label>' +
    '<label id="agree"><input type="checkbox" name="agree"> I agree</label></form>';
  const pw = $('#pw') as HTMLInputElement;
  pw.value = 'SENTINEL-PW-hunter2';
  ($('#cc') as HTMLInputElement).value = '4111111111111111';
  click(pw);
  click($('#cc'));
  // A click on a label is forwarded to its field as a second click: only the label counts.
  $('#agree').click();
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([{ tag: 'label', id: 'agree', text: 'I agree', selector: '#agree' }]);
  const body = JSON.stringify(c.requests);
  for (const s of ['SENTINEL-PW', '4111111111111111', 'password', 'cc-number']) expect(body).not.toContain(s);
});

test('a click in an editor (contenteditable) is not described: its text is what the user typed', async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<div contenteditable="true"><p>Dear Dr Smith, <a href="/x" id="l">my results</a></p><button id="in">Bold</button></div><button id="out">Save</button>';
  click($('#l'));
  click($('#in'));
  click($('#out'));
  expect((await sent()).map((e) => e.properties!.id)).toEqual(['out']);
});

// Editors keep what the user placed in a message as non-editable islands (contenteditable="false"):
// a mention chip (`<span contenteditable="false" role="link">@Jane Doe</span>`, a link since menu
// items, tabs and role=link are actionable), an embedded card's button. They are still the user's
// message: README says a click anywhere in an editor is not a click.
test('a click on a non-editable island in an editor (a mention chip with role=link, a card with a button) is not described', async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<div contenteditable="true"><p>Dear team, <span contenteditable="false" role="link" id="m"><b>@Jane Doe</b></span> will call.</p>' +
    '<div contenteditable="false"><p>Invoice for Jane Doe</p><button id="card">Open</button></div></div><button id="out">Send</button>';
  click($('#m b'));
  click($('#card'));
  click($('#out'));
  const events = await sent();
  expect(events.map((e) => e.properties!.id)).toEqual(['out']);
  expect(JSON.stringify(events)).not.toMatch(/Jane/);
});

test('PII: typed values appear in no request at all', async () => {
  const { c, t } = start();
  document.body.innerHTML =
    '<form id="f"><input type="email" name="email" id="email"><input type="password" name="pw" id="pw">' +
    '<input name="card" id="card" autocomplete="cc-number"><button id="go">Pay</button></form>';
  const values = { email: 'sentinel-mail@example.com', pw: 'SENTINEL_PASSWORD_1', card: '4242424242424242' };
  for (const [id, v] of Object.entries(values)) {
    const el = $('#' + id) as HTMLInputElement;
    el.value = v;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
    click(el);
  }
  click($('#go'));
  await t.flush();
  const all = JSON.stringify(c.requests);
  expect(c.names()).toEqual(['Element Clicked']);
  for (const v of Object.values(values)) expect(all).not.toContain(v);
});

test('the handler forces no layout and runs no querySelectorAll', async () => {
  const { sent } = start();
  document.body.innerHTML = '<ul class="list"><li><a href="/x" class="item">Item <i>icon</i></a></li></ul>';
  const spies = [
    vi.spyOn(Element.prototype, 'getBoundingClientRect'),
    vi.spyOn(Element.prototype, 'getClientRects'),
    vi.spyOn(Element.prototype, 'querySelectorAll'),
    vi.spyOn(Document.prototype, 'querySelectorAll'),
    vi.spyOn(window, 'getComputedStyle'),
    vi.spyOn(HTMLElement.prototype, 'offsetWidth', 'get'),
    vi.spyOn(HTMLElement.prototype, 'offsetHeight', 'get'),
    vi.spyOn(HTMLElement.prototype, 'offsetTop', 'get'),
    vi.spyOn(HTMLElement.prototype, 'offsetLeft', 'get'),
  ];
  click($('i'));
  for (const s of spies) expect(s).not.toHaveBeenCalled();
  expect((await sent()).map((e) => e.event)).toEqual(['Element Clicked']);
});

test('one passive capture listener, removed on shutdown', async () => {
  const added: unknown[][] = [];
  const removed: unknown[][] = [];
  vi.spyOn(document, 'addEventListener').mockImplementation(function (this: Document, ...a: any[]) {
    added.push(a);
    return EventTarget.prototype.addEventListener.apply(this, a as any);
  });
  vi.spyOn(document, 'removeEventListener').mockImplementation(function (this: Document, ...a: any[]) {
    removed.push(a);
    return EventTarget.prototype.removeEventListener.apply(this, a as any);
  });
  const { t } = start();
  const mine = added.filter((a) => a[0] == 'click');
  expect(mine).toHaveLength(1);
  expect(mine[0][2]).toEqual({ capture: true, passive: true });
  await t.shutdown();
  expect(removed.filter((a) => a[0] == 'click').map((a) => a[1])).toEqual([mine[0][1]]);
});

test('teardown: no click is tracked after it', () => {
  const track = vi.fn();
  const off = clicks().setup!({ track, redact: (u: string) => u } as unknown as PluginContext) as () => void;
  document.body.innerHTML = '<button id="b">B</button>';
  click($('#b'));
  expect(track).toHaveBeenCalledTimes(1);
  off();
  click($('#b'));
  expect(track).toHaveBeenCalledTimes(1);
});

test("a button inside a web component's open shadow root (a design system's <x-button>) is the component's click, described as the site wrote it", async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<main><x-button id="buy" class="cta" data-waymark-plan="pro">Buy now</x-button>' +
    '<x-card id="card">Card</x-card><a href="https://docs.test/start"><x-icon id="icon"></x-icon></a></main>';
  const shadow = (host: string, html: string) => {
    const root = $(host).attachShadow({ mode: 'open' });
    root.innerHTML = html;
    return root;
  };
  const inner = (root: ShadowRoot, sel: string) => root.querySelector(sel)!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const button = shadow('#buy', '<button part="base" class="internal"><span class="label"><slot></slot></span></button>');
  const card = shadow('#card', '<div class="body"><slot></slot></div>');
  const icon = shadow('#icon', '<svg><path></path></svg>');
  inner(button, 'span.label');
  // Nothing actionable inside, nor around: not a click on anything.
  inner(card, 'div.body');
  // Nothing actionable inside, but a link around the component: the link, as before.
  inner(icon, 'path');
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([
    { plan: 'pro', tag: 'x-button', id: 'buy', classes: ['cta'], text: 'Buy now', selector: '#buy' },
    { tag: 'a', href: 'https://docs.test/start', selector: 'main>a' },
  ]);
});

test("an element the site slotted into a component's shadow button (<x-button><b>Buy</b> now</x-button>, an icon) is the component's click; a field slotted into a shadow label is not a click", async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<main><x-button id="buy"><b id="bold">Buy</b> now<x-icon id="cart" slot="prefix"></x-icon></x-button>' +
    '<x-field id="email"><input id="in" name="email"></x-field></main>';
  const shadow = (host: string, html: string) => ($(host).attachShadow({ mode: 'open' }).innerHTML = html);
  shadow('#buy', '<button part="base"><slot name="prefix"></slot><span class="label"><slot></slot></span></button>');
  shadow('#email', '<label>Email <slot></slot></label>');
  // A slotted node's event path goes through its <slot> (DOM's "get the parent"), as in browsers;
  // happy-dom's composedPath() skips the slot, so the path is given as a browser builds it.
  const slotted = (el: Element, slot: string) => {
    const e = new MouseEvent('click', { bubbles: true, cancelable: true, composed: true });
    const host = el.parentElement!;
    const inside: EventTarget[] = [];
    for (let n: Node | null = host.shadowRoot!.querySelector(slot); n; n = n.parentNode) inside.push(n);
    const around: EventTarget[] = [];
    for (let n: Node | null = host; n; n = n.parentNode) around.push(n);
    e.composedPath = () => [el, ...inside, ...around, window];
    el.dispatchEvent(e);
  };
  slotted($('#bold'), 'slot:not([name])');
  slotted($('#cart'), 'slot[name=prefix]');
  slotted($('#in'), 'slot');
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([
    { tag: 'x-button', id: 'buy', text: 'now', selector: '#buy' },
    { tag: 'x-button', id: 'buy', text: 'now', selector: '#buy' },
  ]);
});

test("an app whose whole page is one component (<my-app>): the button in its template is the click, and a button component in it is", async () => {
  const { sent } = start();
  document.body.innerHTML = '<my-app id="app"></my-app>';
  const app = $('#app').attachShadow({ mode: 'open' });
  app.innerHTML =
    '<nav><button class="buy" data-waymark-plan="pro">Buy now</button><a href="https://shop.test/cart?session=s3cr3t">Cart</a></nav>' +
    '<x-button class="next">Next step</x-button><x-button class="bare"></x-button>';
  for (const b of app.querySelectorAll('x-button')) b.attachShadow({ mode: 'open' }).innerHTML = '<button part="base"><span><slot></slot></span></button>';
  const inner = (el: Element) => el.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  inner(app.querySelector('button.buy')!);
  inner(app.querySelector('a')!);
  inner(app.querySelector('x-button.next')!.shadowRoot!.querySelector('span')!);
  // A component whose inner button names nothing stands for it, named or not.
  inner(app.querySelector('x-button.bare')!.shadowRoot!.querySelector('span')!);
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([
    { plan: 'pro', tag: 'button', classes: ['buy'], text: 'Buy now', selector: 'nav>button.buy' },
    { tag: 'a', text: 'Cart', href: 'https://shop.test/cart?session=redacted', selector: 'nav>a' },
    { tag: 'x-button', classes: ['next'], text: 'Next step', selector: 'x-button.next' },
    { tag: 'x-button', classes: ['bare'], selector: 'x-button.bare' },
  ]);
});

test('an icon with its own shadow root, slotted into a button component (<x-button><x-icon slot=prefix>): the button component is the click', async () => {
  const { sent } = start();
  document.body.innerHTML = '<main><x-button id="add" aria-label="Add to cart"><x-icon slot="prefix"></x-icon></x-button></main>';
  const button = $('#add');
  button.attachShadow({ mode: 'open' }).innerHTML = '<button part="base"><slot name="prefix"></slot></button>';
  const icon = button.querySelector('x-icon')!;
  icon.attachShadow({ mode: 'open' }).innerHTML = '<svg><path></path></svg>';
  // The path as a browser builds it (happy-dom's composedPath() skips the slot): the icon's
  // shadow tree, the icon, the button's <slot> and <button>, its shadow root, then the page.
  const up = (n: Node | null, out: EventTarget[] = []) => {
    for (; n; n = n.parentNode) out.push(n);
    return out;
  };
  const e = new MouseEvent('click', { bubbles: true, cancelable: true, composed: true });
  const svgPath = icon.shadowRoot!.querySelector('path')!;
  e.composedPath = () => [...up(svgPath), icon, ...up(button.shadowRoot!.querySelector('slot')), ...up(button), window];
  svgPath.dispatchEvent(e);
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([{ tag: 'x-button', id: 'add', label: 'Add to cart', selector: '#add' }]);
});

test("a button in a data-waymark-ignore subtree inside a component's shadow root (the site's own component) is invisible: no click for the component either", async () => {
  const { sent, t } = start();
  document.body.innerHTML = '<main><x-panel id="admin">Admin</x-panel></main>';
  const root = $('#admin').attachShadow({ mode: 'open' });
  root.innerHTML = '<div data-waymark-ignore><button class="impersonate">Impersonate user</button></div>';
  root.querySelector('button')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  t.track('Done');
  const events = await sent();
  expect(events.map((e) => e.event)).toEqual(['Done']);
});

test("a design-system button whose host names nothing (its label is a property the shadow <button> renders) is described as the site wrote it: the host's id and data-waymark-* are kept", async () => {
  const { sent } = start();
  // Lit: <x-buy .label=${'Buy Pro'}> renders <button>${this.label}</button>; the site annotated the host.
  document.body.innerHTML = '<main><x-buy id="buy-pro" data-waymark-plan="pro" data-waymark-event="upgrade"></x-buy></main>';
  $('#buy-pro').attachShadow({ mode: 'open' }).innerHTML = '<button part="base">Buy Pro</button>';
  $('#buy-pro').shadowRoot!.querySelector('button')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([{ event: 'upgrade', plan: 'pro', tag: 'x-buy', id: 'buy-pro', selector: '#buy-pro' }]);
});

test('in an app that is one component, a link in a container component that names itself (<site-nav aria-label="Main">) is the click, not the container', async () => {
  const { sent } = start();
  document.body.innerHTML = '<my-app id="app"></my-app>';
  const app = $('#app').attachShadow({ mode: 'open' });
  app.innerHTML = '<site-nav aria-label="Main"></site-nav>';
  const nav = app.querySelector('site-nav')!.attachShadow({ mode: 'open' });
  nav.innerHTML = '<a href="https://shop.test/pricing">Pricing</a><a href="https://shop.test/docs">Docs</a>';
  for (const a of nav.querySelectorAll('a')) a.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([
    { tag: 'a', text: 'Pricing', href: 'https://shop.test/pricing', selector: 'a' },
    { tag: 'a', text: 'Docs', href: 'https://shop.test/docs', selector: 'a' },
  ]);
});

test('a password field component (<x-password name="password">) is never described: a click on its own "Show" button does not name the field', async () => {
  const { sent } = start();
  document.body.innerHTML = '<form><x-password id="new-password" name="password" autocomplete="new-password"></x-password></form>';
  const root = $('#new-password').attachShadow({ mode: 'open' });
  root.innerHTML = '<input type="password"><button type="button" class="toggle">Show</button>';
  root.querySelector('button')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map((e) => e.properties?.tag)).not.toContain('x-password');
});

test('a click in an editor on a component the editor holds (a mention chip with a link in its shadow root) describes nothing: the chip holds the user\'s text', async () => {
  const { sent } = start();
  document.body.innerHTML = '<div id="ed" contenteditable="true">Dear team, <x-mention id="m">@Jane Doe</x-mention> will call.</div>';
  const root = $('#m').attachShadow({ mode: 'open' });
  root.innerHTML = '<a href="/u/jane"><slot></slot></a>';
  // Chromium's path for a click on the chip's text starts at the <slot> (checked: e.composedPath()[0] is the slot).
  root.querySelector('slot')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([]);
});

test('a design-system button wrapped in a link (<a href><x-button>See pricing</x-button></a>, a router <Link> around <sl-button>) is the link: its href is reported', async () => {
  const { sent } = start();
  document.body.innerHTML = '<main><a id="go" href="https://shop.test/pricing"><x-button>See pricing</x-button></a></main>';
  const root = $('x-button').attachShadow({ mode: 'open' });
  root.innerHTML = '<button part="base"><slot></slot></button>';
  // Chromium's path for a click on the slotted text starts at the <slot>.
  root.querySelector('slot')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: false }));
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([{ tag: 'a', id: 'go', href: 'https://shop.test/pricing', selector: '#go' }]);
});

test('in an app that is one component, a link whose text is in a child element or an image (<a href><span>Pricing</span></a>, <a href><img alt="Cart"></a>) is the click, not the container component', async () => {
  const { sent } = start();
  document.body.innerHTML = '<my-app id="app"></my-app>';
  const app = $('#app').attachShadow({ mode: 'open' });
  app.innerHTML = '<site-nav></site-nav>';
  const nav = app.querySelector('site-nav')!.attachShadow({ mode: 'open' });
  // Lit templates: the link's text in a <span> beside an icon; a cart link that is an image with alt text.
  nav.innerHTML = '<a href="https://shop.test/pricing"><x-icon></x-icon><span>Pricing</span></a><a href="https://shop.test/cart"><img alt="Cart" src="/cart.svg"></a>';
  for (const el of nav.querySelectorAll('span,img')) el.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  // Each link apart, with where it goes (the selector within the shadow root is left to cssPath).
  expect(events.map(({ properties: p }) => ({ tag: p?.tag, href: p?.href }))).toEqual([
    { tag: 'a', href: 'https://shop.test/pricing' },
    { tag: 'a', href: 'https://shop.test/cart' },
  ]);
});

test("a design-system button with a form name (<x-button name=\"intent\" value=\"publish\">Publish</x-button>, as <sl-button name> submits) is described as the site wrote it, not as the anonymous <button> in its shadow root", async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<form><x-button id="publish" name="intent" value="publish" data-waymark-plan="pro">Publish</x-button></form>';
  const root = $('#publish').attachShadow({ mode: 'open' });
  root.innerHTML = '<button part="base"><slot></slot></button>';
  // Chromium's path for a click on the slotted text starts at the <slot>.
  root.querySelector('slot')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map(({ properties: p }) => ({ tag: p?.tag, id: p?.id, plan: p?.plan, text: p?.text }))).toEqual([
    { tag: 'x-button', id: 'publish', plan: 'pro', text: 'Publish' },
  ]);
});

test('a design-system link (<x-link href="…/pricing">Pricing</x-link>, whose shadow root holds <a href><slot>) reports where it goes: its href', async () => {
  const { sent } = start();
  document.body.innerHTML = '<nav><x-link id="pricing" href="https://shop.test/pricing">Pricing</x-link></nav>';
  const root = $('#pricing').attachShadow({ mode: 'open' });
  root.innerHTML = '<a part="base" href="https://shop.test/pricing"><slot></slot></a>';
  root.querySelector('slot')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map(({ properties: p }) => ({ tag: p?.tag, text: p?.text, href: p?.href }))).toEqual([
    { tag: 'x-link', text: 'Pricing', href: 'https://shop.test/pricing' },
  ]);
});

test('a design-system button inside an annotated or role=button container (<div data-waymark-event="plan-card"><x-button>Buy</x-button>…) is the button, as a plain <button> there is, not the container', async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<div class="plan" data-waymark-event="plan-card" data-waymark-plan="pro"><h3>Pro</h3><x-button id="buy">Buy</x-button><x-button id="compare">Compare</x-button><button id="plain">Details</button></div>';
  for (const id of ['#buy', '#compare']) $(id).attachShadow({ mode: 'open' }).innerHTML = '<button part="base"><slot></slot></button>';
  for (const id of ['#buy', '#compare']) $(id).shadowRoot!.querySelector('slot')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  // The same card with a plain button: the button, the nearest clickable.
  $('#plain').dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map(({ properties: p }) => [p?.tag, p?.id])).toEqual([
    ['x-button', 'buy'],
    ['x-button', 'compare'],
    ['button', 'plain'],
  ]);
});

test('a password field component without a name attribute (its name set as a property, <x-password .name=${…}>) is never described: a click on its icon-only "Show" toggle does not name the field', async () => {
  const { sent } = start();
  document.body.innerHTML = '<form><x-password id="new-password" class="password-field" autocomplete="new-password"></x-password></form>';
  const root = $('#new-password').attachShadow({ mode: 'open' });
  root.innerHTML = '<input type="password"><button type="button" class="toggle"><svg><path></path></svg></button>';
  root.querySelector('path')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map((e) => e.properties?.tag)).not.toContain('x-password');
});

test("an icon button component whose shadow <button> holds only an icon (no slot, no text, no label of its own) is described as the site wrote it: the component's id, classes and aria-label", async () => {
  const { sent } = start();
  // A design system's <x-icon-button icon="x">: its template is `<button part="base"><svg>…</svg></button>`.
  document.body.innerHTML = '<main><x-icon-button id="close-cart" class="close" icon="x"></x-icon-button><x-icon-button aria-label="Next photo" icon="chevron"></x-icon-button></main>';
  for (const b of document.querySelectorAll('x-icon-button')) b.attachShadow({ mode: 'open' }).innerHTML = '<button part="base"><svg><path></path></svg></button>';
  for (const b of document.querySelectorAll('x-icon-button'))
    b.shadowRoot!.querySelector('path')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([
    { tag: 'x-icon-button', id: 'close-cart', classes: ['close'], selector: '#close-cart' },
    { tag: 'x-icon-button', label: 'Next photo', selector: 'main>x-icon-button' },
  ]);
});

// An app that is one component (<my-app>, Lit or Stencil) with icon buttons at the top of its
// template (a back-to-top button, a chat launcher: `<button class="to-top" title="Back to top"><svg>`)
// is no icon button component: README says its clicks are the buttons in its template, not
// <my-app> every time.
test('an app that is one component, with icon-only buttons at the top of its template: each is its own button, not the app', async () => {
  const { sent } = start();
  document.body.innerHTML = '<my-app id="app"></my-app>';
  const app = $('#app').attachShadow({ mode: 'open' });
  app.innerHTML =
    '<main><a href="https://shop.test/">Home</a></main><button class="to-top" title="Back to top"><svg><path></path></svg></button>' +
    '<button class="chat"><svg><path></path></svg></button>';
  for (const p of app.querySelectorAll('path')) p.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([
    { tag: 'button', classes: ['to-top'], selector: 'button.to-top' },
    { tag: 'button', classes: ['chat'], selector: 'button.chat' },
  ]);
});

// What design systems render for menus, tabs and router links that are not <a>: Radix's
// DropdownMenu.Item and MUI's MenuItem (<div|li role="menuitem">, checkbox and radio items),
// a <div role="tab">, a <span role="link">.
test('a menu item, a tab and an element with role=link are clicks, described like a button', async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<div role="menu"><div role="menuitem" id="dup">Duplicate</div><div role="menuitemcheckbox" id="grid">Show grid</div>' +
    '<div role="menuitemradio" id="dark">Dark</div></div><div role="tablist"><div role="tab" id="specs">Specs</div></div>' +
    '<span role="link" id="more">Read more</span><div role="menu"><div role="separator" id="sep"></div></div>';
  for (const id of ['dup', 'grid', 'dark', 'specs', 'more', 'sep']) click($('#' + id));
  const events = await sent();
  expect(events.map((e) => [e.properties!.id, e.properties!.role, e.properties!.text])).toEqual([
    ['dup', 'menuitem', 'Duplicate'],
    ['grid', 'menuitemcheckbox', 'Show grid'],
    ['dark', 'menuitemradio', 'Dark'],
    ['specs', 'tab', 'Specs'],
    ['more', 'link', 'Read more'],
  ]);
});

// Editors render a mention or a card as a non-editable island (ProseMirror's and Lexical's node
// views put contenteditable="false" on the node's element), which may be a component: its
// isContentEditable is false, and what is in its shadow root is in no editor of its own tree.
test("a click on a component that is a non-editable island in an editor (<x-mention contenteditable=false>@Jane Doe</x-mention>, a link in its shadow root) describes nothing", async () => {
  const { sent } = start();
  document.body.innerHTML = '<div contenteditable="true">Dear team, <x-mention contenteditable="false" id="m">@Jane Doe</x-mention> will call.</div>';
  const root = $('#m').attachShadow({ mode: 'open' });
  root.innerHTML = '<span role="link"><slot></slot></span>';
  root.querySelector('slot')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([]);
});

// An account switcher (a Radix or MUI menu: <div role="menuitemradio">Jane Doe</div>) shows people's
// names as the items' own text, which masking (emails, digit runs) keeps. data-waymark-ignore
// would lose the click; data-waymark-mask keeps it, without its text or label.
test('a click in a data-waymark-mask subtree (an account switcher naming people) is counted without its text or label', async () => {
  const { sent } = start();
  document.body.innerHTML =
    '<div role="menu" data-waymark-mask><div role="menuitemradio" id="a1">Jane Doe</div><div role="menuitem" id="a2" aria-label="Switch to John Roe"><b>John Roe</b></div></div>' +
    '<button id="out" data-waymark-mask>Dr Jane Doe</button>';
  for (const id of ['a1', 'a2', 'out']) click($('#' + id));
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([
    { tag: 'div', id: 'a1', role: 'menuitemradio', selector: '#a1' },
    { tag: 'div', id: 'a2', role: 'menuitem', selector: '#a2' },
    { tag: 'button', id: 'out', selector: '#out' },
  ]);
  expect(JSON.stringify(events)).not.toMatch(/Jane|John/);
});

// The names rendered by a component from its data (a Lit account menu), in its shadow root: the
// item is the click, and the data-waymark-mask the site put around the component still holds.
test('a click in a component inside a data-waymark-mask subtree, on an item its shadow root renders (a name), is counted without its text or label', async () => {
  const { sent } = start();
  document.body.innerHTML = '<nav data-waymark-mask><x-accounts id="acc"></x-accounts></nav>';
  const root = $('#acc').attachShadow({ mode: 'open' });
  root.innerHTML = '<div role="menu"><div role="menuitemradio" class="acct" aria-label="Jane Doe">Jane Doe</div><div role="menuitem">Add account</div></div>';
  root.querySelector('.acct')!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  const events = await sent();
  expect(events.map((e) => e.properties)).toEqual([{ tag: 'div', classes: ['acct'], role: 'menuitemradio', selector: 'div>div.acct' }]);
});
