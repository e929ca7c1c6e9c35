import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { frustration } from '../../src/capture/frustration';
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
  vi.useRealTimers();
  await Promise.all(trackers.splice(0).map((t) => t.shutdown()));
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

async function start() {
  const c = fakeCollector();
  const t = createTracker({ endpoint: ENDPOINT, consent: 'granted', capture: [frustration()] });
  trackers.push(t);
  const seen: WaymarkEvent[] = [];
  t.on('event', (e) => seen.push(e));
  // Ready before timers are faked: the queue's IndexedDB runs on real timers.
  await t.flush();
  return { c, t, seen, props: async () => (await t.flush(), c.events().map((e) => [e.event, e.properties])), names: async () => (await t.flush(), c.names()) };
}

const $ = (sel: string) => document.querySelector(sel) as HTMLElement;
/** A user's click (trusted) at a position and time (the event's own timeStamp, which is what the module reads). */
const click = (el: Element, x = 100, y = 100, time = performance.now(), init: MouseEventInit = {}) => {
  const e = new MouseEvent('click', { bubbles: true, cancelable: true, clientX: x, clientY: y, ...init });
  Object.defineProperty(e, 'timeStamp', { value: time });
  Object.defineProperty(e, 'isTrusted', { value: true });
  el.dispatchEvent(e);
  return e;
};
/** Lets MutationObserver callbacks (microtasks) run, then moves the fake clock. */
const wait = async (ms: number) => {
  await Promise.resolve();
  await vi.advanceTimersByTimeAsync(ms);
};
const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

test('rage click: 3 clicks within 1 s and 30 px, reported once per burst', async () => {
  const { props, seen } = await start();
  document.body.innerHTML = '<div class="card"><img id="hero" class="zoom"><span>Price 9</span></div>';
  const img = $('#hero');
  click(img, 100, 100, 1000);
  click(img, 110, 95, 1300);
  click(img, 120, 120, 1600);
  click(img, 100, 100, 1800); // the same burst: not a second Rage Click
  expect(await props()).toEqual([['Rage Click', { selector: '#hero' }]]);
  expect(seen[0].element).toBe(img);
});

test('rage click describes the nearest actionable element, with its direct text', async () => {
  const { props } = await start();
  document.body.innerHTML = '<main><button class="add"><i>+</i> Add to cart</button></main>';
  for (const ms of [0, 100, 200]) click($('i'), 50, 50, ms);
  expect(await props()).toEqual([['Rage Click', { selector: 'main>button.add', text: 'Add to cart' }]]);
});

test('no rage click when slow, spread out, or on an ignored element', async () => {
  const { props } = await start();
  document.body.innerHTML = '<div id="a">A</div><div data-waymark-ignore><div id="b">B</div></div><input type="password" id="pw">';
  // Slow: the third click is 1 s after the first.
  for (const ms of [0, 500, 1000]) click($('#a'), 10, 10, ms);
  // Spread: 40 px apart.
  for (const [i, ms] of [5000, 5100, 5200].entries()) click($('#a'), 10 + i * 40, 10, ms);
  for (const ms of [9000, 9100, 9200]) click($('#b'), 10, 10, ms);
  // A password field is never described, rage or not.
  for (const ms of [12000, 12100, 12200]) click($('#pw'), 10, 10, ms);
  expect(await props()).toEqual([]);
});

test('rage click on an editor, a field or plain content: its selector only, never what it holds', async () => {
  const { props } = await start();
  document.body.innerHTML =
    '<div contenteditable="true" class="editor">My diagnosis is <a href="/x">type 2</a></div>' +
    '<form><textarea name="notes">Gate code 4321</textarea><label class="opt">Notes <textarea name="more">Leave with neighbour</textarea></label>' +
    '<label class="pw">Password <input type="password" name="secret"></label></form><p class="bio">Jane Doe, born 1980</p>';
  const burst = (el: Element, at: number) => [0, 100, 200].forEach((ms) => click(el, 10, 10, at + ms));
  burst($('.editor'), 0);
  burst($('.editor a'), 5000);
  burst($('[name=notes]'), 10000);
  burst($('[name=more]'), 15000);
  burst($('[name=secret]'), 20000);
  burst($('.bio'), 25000);
  expect(await props()).toEqual([
    ['Rage Click', { selector: 'div.editor' }],
    ['Rage Click', { selector: 'div.editor>a' }],
    ['Rage Click', { selector: 'form>textarea' }],
    ['Rage Click', { selector: 'form>label.opt>textarea' }],
    ['Rage Click', { selector: 'p.bio' }],
  ]);
});

// What Chromium does on a click on a label: the label's click, then the click it forwards to
// its control, trusted, at the same place and with the same timeStamp (happy-dom forwards none).
test('a label clicked twice (a checkbox on, then off) is no Rage Click: its forwarded click is the same user click; three are', async () => {
  const { props } = await start();
  document.body.innerHTML = '<label id="gift">Gift wrap <input type="checkbox" name="gift"></label>';
  const labelClick = (ms: number) => (click($('#gift'), 10, 10, ms), click($('[name=gift]'), 10, 10, ms));
  labelClick(1000);
  labelClick(1300);
  labelClick(5000);
  labelClick(5200);
  labelClick(5400);
  expect(await props()).toEqual([['Rage Click', { selector: '#gift', text: 'Gift wrap' }]]);
});

test('no rage click when the triple click selected the text it landed on', async () => {
  const { props } = await start();
  document.body.innerHTML = '<p id="order">Your order number is <b>shown here</b>; triple-click to select it.</p><button id="go">Go</button>';
  const sel = getSelection()!;
  click($('#order b'), 100, 100, 1000);
  click($('#order b'), 100, 100, 1150);
  sel.selectAllChildren($('#order')); // the third mousedown selects the paragraph, before the click
  click($('#order b'), 100, 100, 1300);
  // Text selected elsewhere does not excuse a burst on a button.
  for (const ms of [5000, 5100, 5200]) click($('#go'), 10, 10, ms);
  sel.removeAllRanges();
  expect(await props()).toEqual([['Rage Click', { selector: '#go', text: 'Go' }]]);
});

test("a script's clicks (el.click(), dispatchEvent) are neither Rage nor Dead Clicks", async () => {
  const { props } = await start();
  document.body.innerHTML = '<button id="next">Next slide</button>';
  const observe = vi.spyOn(MutationObserver.prototype, 'observe');
  fakeTimers();
  // A carousel auto-advancing.
  for (let i = 0; i < 4; i++) $('#next').click();
  for (let i = 0; i < 3; i++) $('#next').dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: 5, clientY: 5 }));
  await wait(2000);
  expect(observe).not.toHaveBeenCalled();
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});

test('dead click: an actionable element after which nothing happens for 1 s', async () => {
  const { props, seen } = await start();
  document.body.innerHTML = '<form><button type="button" id="apply">Apply coupon</button></form>';
  const mo = vi.spyOn(MutationObserver.prototype, 'observe');
  const off = vi.spyOn(MutationObserver.prototype, 'disconnect');
  fakeTimers();
  click($('#apply'));
  expect(mo).toHaveBeenCalledTimes(1);
  await wait(999);
  expect(seen).toHaveLength(0);
  await wait(1);
  expect(off).toHaveBeenCalled();
  vi.useRealTimers();
  expect(await props()).toEqual([['Dead Click', { selector: '#apply', text: 'Apply coupon' }]]);
  expect(seen[0].element).toBe($('#apply'));
});

test('not dead: a DOM change, a navigation or a focus change within 1 s', async () => {
  const { props } = await start();
  document.body.innerHTML =
    '<button id="mutates">M</button><button id="navigates">N</button><button id="focuses">F</button>' +
    '<input id="field"><p id="out"></p>';
  $('#mutates').addEventListener('click', () => setTimeout(() => ($('#out').textContent = 'done'), 300));
  $('#navigates').addEventListener('click', () => history.pushState(null, '', '/next'));
  $('#focuses').addEventListener('click', () => $('#field').focus());
  const off = vi.spyOn(MutationObserver.prototype, 'disconnect');
  fakeTimers();
  for (const [i, id] of ['mutates', 'navigates', 'focuses'].entries()) {
    click($('#' + id), 0, 0, i * 5000);
    await wait(1500);
  }
  // The observer is disconnected as soon as the DOM changed.
  expect(off).toHaveBeenCalled();
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});

test('not dead: a button that opens a popover (popovertarget: the top layer changes, the DOM and focus do not)', async () => {
  const { props } = await start();
  document.body.innerHTML = '<button id="menu" popovertarget="m">Menu</button><div id="m" popover>Items</div>';
  // What Chromium does for popovertarget: no mutation, no focus change, a (non-bubbling) toggle event a task later.
  $('#menu').addEventListener('click', () => setTimeout(() => $('#m').dispatchEvent(new Event('toggle'))));
  fakeTimers();
  click($('#menu'));
  await wait(2000);
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});

test('not dead: a button that opens a new tab or a popup with window.open (a share button): the page lost focus', async () => {
  const { props } = await start();
  document.body.innerHTML = '<button id="share">Share</button>';
  let focused = true;
  vi.spyOn(document, 'hasFocus').mockImplementation(() => focused);
  // What the browser does for window.open: the new tab or popup takes the focus, the DOM and URL stay.
  $('#share').addEventListener('click', () => setTimeout(() => (focused = false), 50));
  fakeTimers();
  click($('#share'));
  await wait(2000);
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});

test('not judged: labels, new-tab and download links, modifier clicks, non-actionable elements', async () => {
  const { props } = await start();
  document.body.innerHTML =
    '<label id="l">Opt in</label><a id="blank" href="/doc" target="_blank">Doc</a><a id="dl" href="/f.pdf" download>PDF</a>' +
    '<button id="b">B</button><div id="plain">Plain</div>';
  // The page keeps happy-dom from following the links.
  const stay = (e: Event) => e.preventDefault();
  document.addEventListener('click', stay);
  const observe = vi.spyOn(MutationObserver.prototype, 'observe');
  fakeTimers();
  for (const [i, id] of ['l', 'blank', 'dl', 'plain'].entries()) click($('#' + id), 0, 0, i * 5000);
  click($('#b'), 0, 0, 30000, { metaKey: true });
  await wait(2000);
  document.removeEventListener('click', stay);
  expect(observe).not.toHaveBeenCalled();
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});

test('not judged: a click in an editor, or in a field inside a label', async () => {
  const { props } = await start();
  document.body.innerHTML =
    '<div contenteditable="true"><button type="button" id="b">Bold</button></div><label>Note <textarea id="t">x</textarea></label>';
  const observe = vi.spyOn(MutationObserver.prototype, 'observe');
  fakeTimers();
  click($('#b'), 0, 0, 0);
  click($('#t'), 0, 0, 5000);
  await wait(2000);
  expect(observe).not.toHaveBeenCalled();
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});

test('not dead: the click changed a shadow root (inside a component, or slotted into one)', async () => {
  const { props } = await start();
  document.body.innerHTML =
    '<x-panel><button id="toggle">Details</button><button id="noop">Noop</button></x-panel><x-switch role="button" id="sw"></x-switch>';
  const root = $('x-panel').attachShadow({ mode: 'open' });
  const inner = document.createElement('div');
  inner.hidden = true;
  root.append(inner, document.createElement('slot'));
  $('#toggle').addEventListener('click', () => (inner.hidden = !inner.hidden));
  const knob = document.createElement('span');
  $('#sw').attachShadow({ mode: 'open' }).append(knob);
  knob.addEventListener('click', () => knob.classList.toggle('on'));
  fakeTimers();
  click($('#toggle'), 0, 0, 0);
  click(knob, 0, 0, 5000);
  expect([inner.hidden, knob.className]).toEqual([false, 'on']); // both did something visible
  await wait(2000);
  // Still judged: a slotted button that does nothing.
  click($('#noop'), 0, 0, 10000);
  await wait(2000);
  vi.useRealTimers();
  expect(await props()).toEqual([['Dead Click', { selector: '#noop', text: 'Noop' }]]);
});

test('not dead: a link or a form submission loading another document slowly; dead when the page prevented it', async () => {
  const { props } = await start();
  document.body.innerHTML =
    '<a id="go" href="/checkout">Checkout</a><form id="f" action="/pay"><button id="pay">Pay</button></form>' +
    '<a id="spa" href="/pricing">Pricing</a><form id="g"><button id="save">Save</button></form><a id="js" href="javascript:void(0)">More</a>';
  // happy-dom commits a navigation at once; a browser keeps the old document (and URL) until
  // the response arrives. Stand in for a response that takes over a second:
  const nav = (window as any).happyDOM.settings.navigation;
  nav.disableMainFrameNavigation = nav.disableFallbackToSetURL = true;
  // An SPA router that handles (and prevents) the link, and a form handler, that then do nothing.
  $('#spa').addEventListener('click', (e) => e.preventDefault());
  $('#g').addEventListener('submit', (e) => e.preventDefault());
  fakeTimers();
  try {
    for (const [i, id] of ['go', 'pay', 'spa', 'save', 'js'].entries()) {
      click($('#' + id), 0, 0, i * 5000);
      await wait(1500);
    }
  } finally {
    nav.disableMainFrameNavigation = nav.disableFallbackToSetURL = false;
  }
  vi.useRealTimers();
  expect(await props()).toEqual([
    ['Dead Click', { selector: '#spa', text: 'Pricing' }],
    ['Dead Click', { selector: '#save', text: 'Save' }],
    ['Dead Click', { selector: '#js', text: 'More' }],
  ]);
});

test('a rage burst on a dead button ends in one Dead Click', async () => {
  const { c, t } = await start();
  document.body.innerHTML = '<button id="x">X</button>';
  fakeTimers();
  for (const ms of [0, 100, 200, 300]) click($('#x'), 5, 5, ms);
  await wait(1000);
  vi.useRealTimers();
  await t.flush();
  expect(c.names()).toEqual(['Rage Click', 'Dead Click']);
});

test('shutdown while a click is pending: no Dead Click, observer disconnected, listener removed', async () => {
  const removed: string[] = [];
  const remove = document.removeEventListener;
  vi.spyOn(document, 'removeEventListener').mockImplementation(function (this: Document, ...a: any[]) {
    removed.push(a[0]);
    return remove.apply(this, a as any);
  });
  const track = vi.fn();
  const teardown = frustration().setup!({ track } as unknown as PluginContext) as () => void;
  document.body.innerHTML = '<button id="x">X</button>';
  const off = vi.spyOn(MutationObserver.prototype, 'disconnect');
  fakeTimers();
  click($('#x'));
  teardown();
  expect(off).toHaveBeenCalled();
  expect(removed.sort()).toEqual(['click', 'submit', 'toggle']);
  await wait(2000);
  for (const ms of [0, 1, 2]) click($('#x'), 0, 0, ms);
  await wait(2000);
  expect(track).not.toHaveBeenCalled();
  expect(vi.getTimerCount()).toBe(0);
});

// Edges: a script click made in answer to the user, a rage burst that selects text, timers.

test('an upload button that works by calling input.click() (a script click inside the user click) is not a Dead Click', async () => {
  const { props } = await start();
  fakeTimers();
  document.body.innerHTML = '<button id="up">Upload</button><input type="file" id="file" hidden>';
  // The standard idiom: a styled button opens the hidden file input (the browser's file chooser; no DOM change, no focus change).
  $('#up').addEventListener('click', () => $('#file').click());
  click($('#up'), 10, 10, 0);
  await wait(1100);
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});

test('a rage burst on a dead custom button whose text the triple click selected is still a Rage Click', async () => {
  const { props } = await start();
  document.body.innerHTML = '<p><span role="button" id="retry">Retry payment</span></p>';
  const b = $('#retry');
  click(b, 50, 50, 0);
  click(b, 50, 50, 100);
  // What a triple click does to selectable text: the paragraph is selected.
  getSelection()!.selectAllChildren(b.parentElement!);
  click(b, 50, 50, 200);
  getSelection()!.removeAllRanges();
  expect((await props()).map(([n]) => n)).toContain('Rage Click');
});

describe('script clicks elsewhere on the page', () => {
  // A periodic script click elsewhere on the page does not hide Dead Clicks.
  const ENDPOINT = 'https://c.test/v1/batch';
  let trackers: Tracker[] = [];

  async function deadClickWith(scriptClicks: boolean) {
    const { names } = await start();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    // A dead button, and a widget elsewhere on the page whose script clicks a (hidden) control
    // every 800 ms without changing the DOM: an autoplay/heartbeat/"keep session alive" button.
    document.body.innerHTML = '<button id="dead">Pay</button><button id="tick" hidden></button>';
    if (scriptClicks) setInterval(() => $('#tick').click(), 800);
    for (let i = 0; i < 3; i++) {
      click($('#dead'), 10, 10 + 100 * i, i * 5000);
      await Promise.resolve();
      await vi.advanceTimersByTimeAsync(1100);
    }
    vi.useRealTimers();
    return (await names()).filter((n) => n == 'Dead Click').length;
  }

  test('control: three clicks on a dead button are three Dead Clicks', async () => {
    expect(await deadClickWith(false)).toBe(3);
  });

  test('an unrelated periodic script click elsewhere on the page does not hide Dead Clicks', async () => {
    expect(await deadClickWith(true)).toBe(3);
  });
});

describe('timers', () => {
  test('teardown right after a user click leaves no timer behind', () => {
    document.body.innerHTML = '<p id="p">text</p>';
    const teardown = frustration().setup!({ track: vi.fn() } as unknown as PluginContext) as () => void;
    fakeTimers();
    click($('#p')); // not actionable: no Dead Click candidate
    teardown();
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });
});

test("in an app that is one component (Lit), a button whose effect renders in a sibling component's shadow root is not a Dead Click", async () => {
  const { props } = await start();
  document.body.innerHTML = '<my-app id="app"></my-app>';
  const app = $('#app').attachShadow({ mode: 'open' });
  app.innerHTML = '<add-item></add-item><cart-list></cart-list>';
  const add = app.querySelector('add-item')!.attachShadow({ mode: 'open' });
  add.innerHTML = '<button class="add">Add to cart</button>';
  const list = app.querySelector('cart-list')!.attachShadow({ mode: 'open' });
  list.innerHTML = '<ul></ul><p class="count">0 items</p>';
  // What Lit does: my-app's state changes, it passes `.items` to <cart-list> (a property: no
  // DOM change in my-app's shadow root), and <cart-list> re-renders its own shadow root.
  add.querySelector('button')!.addEventListener('click', () => {
    list.querySelector('ul')!.append(document.createElement('li'));
    list.querySelector('.count')!.textContent = '1 item';
  });
  fakeTimers();
  click(add.querySelector('button')!, 0, 0, 0, { composed: true });
  expect(list.querySelector('.count')!.textContent).toBe('1 item'); // the user saw the cart change
  await wait(2000);
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});

test("not judged, and never described: a click in an editor on a component the editor holds (a mention chip: <x-mention>@Jane Doe</x-mention>, its role=button in its shadow root)", async () => {
  const { props } = await start();
  document.body.innerHTML = '<div id="ed" contenteditable="true">Dear team, <x-mention id="m">@Jane Doe</x-mention> will call.</div>';
  const link = $('#m').attachShadow({ mode: 'open' });
  link.innerHTML = '<span role="button" part="chip"><slot></slot></span>';
  fakeTimers();
  // Chromium's path for a click on the chip's text: the <slot>, the chip, the shadow root, <x-mention>, the editor...
  click(link.querySelector('slot')!, 0, 0, 0, { composed: true });
  await wait(2000);
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});

test('a rage click on a mention chip in an editor (a non-editable island, role=link) carries its selector only, never the text the user wrote', async () => {
  const { props } = await start();
  document.body.innerHTML = '<div contenteditable="true">Dear team, <span contenteditable="false" role="link" id="m">@Jane Doe</span> will call.</div>';
  fakeTimers();
  for (const at of [0, 100, 200]) click($('#m'), 5, 5, at);
  await wait(2000);
  vi.useRealTimers();
  expect(await props()).toEqual([['Rage Click', { selector: '#m' }]]);
});

test('not dead: a design-system button wrapped in a link (<a href><x-button>) that loads another document slowly', async () => {
  const { props } = await start();
  document.body.innerHTML = '<main><a id="go" href="/pricing"><x-button id="see">See pricing</x-button></a></main>';
  const root = $('#see').attachShadow({ mode: 'open' });
  root.innerHTML = '<button part="base"><slot></slot></button>';
  // As in the slow-link test above: the browser keeps the old document (and URL) until the response arrives.
  const nav = (window as any).happyDOM.settings.navigation;
  nav.disableMainFrameNavigation = nav.disableFallbackToSetURL = true;
  fakeTimers();
  try {
    click(root.querySelector('slot')!, 0, 0, 0, { composed: true });
    await wait(1500);
  } finally {
    nav.disableMainFrameNavigation = nav.disableFallbackToSetURL = false;
  }
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});

test('a rage click in a data-waymark-mask subtree (an account switcher naming people) carries its selector only', async () => {
  const { props } = await start();
  document.body.innerHTML = '<div role="menu" data-waymark-mask><div role="menuitemradio" id="a1">Jane Doe</div></div>';
  fakeTimers();
  for (const at of [0, 100, 200]) click($('#a1'), 5, 5, at);
  await wait(2000);
  vi.useRealTimers();
  expect((await props()).filter(([name]) => name == 'Rage Click')).toEqual([['Rage Click', { selector: '#a1' }]]);
});

// A button that goes to another page by script (location.href = …): the page is hidden, kept in the
// back/forward cache with the Dead Click's timer frozen inside the second it waits; Back shows it
// again, the timer fires, and nothing changed on a page that was not even shown meanwhile. (Real
// Chromium resumes a cached page's timers; the test site's no-store keeps its pages out of the
// cache, so this is shown here.)
test('a click after which the page was left (kept in the back/forward cache) is no Dead Click when the page is shown again', async () => {
  const { props } = await start();
  document.body.innerHTML = '<button id="continue" type="button">Continue</button>';
  fakeTimers();
  click($('#continue'), 0, 0, 0); // its handler sets location.href: the next page loads within the second
  await wait(300);
  window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
  window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })); // Back
  await wait(2000);
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});
