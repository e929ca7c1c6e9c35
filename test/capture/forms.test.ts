import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { forms } from '../../src/capture/forms';
import { pageViews } from '../../src/capture/pageViews';
import type { Plugin, PluginContext, Tracker, WaymarkEvent } from '../../src/types';
import { fakeCollector, freshIndexedDB } from '../helpers';

const ENDPOINT = 'https://c.test/v1/batch';
let trackers: Tracker[] = [];
let now = 1.7e12;

beforeEach(() => {
  freshIndexedDB();
  document.body.innerHTML = '';
  history.replaceState(null, '', '/');
  // A clock the test moves, so durations are exact.
  now = 1.7e12;
  vi.spyOn(Date, 'now').mockImplementation(() => now);
});
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((t) => t.shutdown()));
  Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

function start(capture: Plugin[] = [forms()]) {
  const c = fakeCollector();
  const t = createTracker({ endpoint: ENDPOINT, consent: 'granted', capture });
  trackers.push(t);
  const seen: WaymarkEvent[] = [];
  t.on('event', (e) => seen.push(e));
  const sent = async () => (await t.flush(), c.events().filter((e) => e.type == 'track'));
  const props = async () => (await sent()).map((e) => [e.event, e.properties]);
  return { c, t, seen, sent, props };
}

const $ = <T extends HTMLElement = HTMLInputElement>(sel: string) => document.querySelector(sel) as T;
const fire = (el: Element, type: string) => el.dispatchEvent(new Event(type, { bubbles: true, cancelable: true }));
const focus = (el: Element) => el.dispatchEvent(new FocusEvent('focusin', { bubbles: true }));
/** What a user does: focus, type (the value is set, never read by Waymark), leave. */
const fill = (el: HTMLInputElement, value: string) => {
  focus(el);
  el.value = value;
  fire(el, 'input');
  fire(el, 'change');
};
const hide = () => {
  Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
};

const CHECKOUT =
  '<form id="checkout"><fieldset name="shipping"><input name="email" type="email" required><input name="street"></fieldset>' +
  '<fieldset id="pay"><input name="coupon"><input type="password" name="pw"><input name="cardnumber" autocomplete="cc-number"></fieldset>' +
  '<button>Pay</button></form>';

test('started, step completed, submitted: exact payloads, the form element attached', async () => {
  const { props, seen } = start();
  document.body.innerHTML = CHECKOUT;
  focus($('[name=email]')); // focus alone is not a start (autofocus is not intent)
  now += 1000;
  fill($('[name=email]'), 'a@b.co');
  fill($('[name=street]'), 'Main St 1');
  fill($('[name=street]'), 'Main St 2'); // the same field twice counts once
  now += 4000;
  fill($('[name=coupon]'), 'X');
  fire($('#checkout'), 'submit');
  expect(await props()).toEqual([
    ['Form Started', { form: 'checkout', field: 'email' }],
    ['Form Step Completed', { form: 'checkout', step: 'shipping' }],
    ['Form Submitted', { form: 'checkout', fields: 3, duration: 4000 }],
  ]);
  expect(seen.every((e) => e.element === $('#checkout'))).toBe(true);
});

test('a form or field named with a long digit run (an account number) is described by its selector instead', async () => {
  const { props } = start();
  document.body.innerHTML = '<main><form id="acct-4111111111111111"><input name="iban-12345678"><input name="note"></form></main>';
  fill($('[name=note]'), 'x');
  const sent = JSON.stringify(await props());
  expect(sent).not.toMatch(/41111|12345678/);
  expect(await props()).toEqual([['Form Started', { form: 'main>form', field: 'note' }]]);
});

test('a form or field named with a grouped number (acct-1234-5678-9012) or an email is described by its selector instead', async () => {
  const { props } = start();
  document.body.innerHTML = '<main><form id="acct-1234-5678-9012"><input name="contact[jane.doe@example.com]"></form></main>';
  fill($('input'), 'x');
  expect(JSON.stringify(await props())).not.toMatch(/5678|jane/);
  expect(await props()).toEqual([['Form Started', { form: 'main>form', field: 'main>form>input' }]]);
});

test('a field named with a number grouped by dots or slashes (a phone, a date of birth) is described by its selector instead', async () => {
  const { props } = start();
  document.body.innerHTML = '<main><form id="f"><input name="phone.06.12.34.56.78"><input name="dob/12/05/1985"></form></main>';
  fill($('input'), 'x');
  fill($('input + input'), 'y');
  expect(JSON.stringify(await props())).not.toMatch(/56\.78|1985/);
});

test('[data-waymark-step] containers take precedence over fieldsets; each step counts once', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form name="signup"><div data-waymark-step="account"><fieldset><input name="user"></fieldset></div>' +
    '<div data-waymark-step="profile"><input name="bio"></div><div data-waymark-step="plan"><input name="plan"></div></form>';
  fill($('[name=user]'), 'u');
  fill($('[name=bio]'), 'b');
  focus($('[name=user]')); // back to step 1 ...
  focus($('[name=bio]')); // ... and forward again: "account" is not completed twice
  focus($('[name=plan]'));
  expect(await props()).toEqual([
    ['Form Started', { form: 'signup', field: 'user' }],
    ['Form Step Completed', { form: 'signup', step: 'account' }],
    ['Form Step Completed', { form: 'signup', step: 'profile' }],
  ]);
});

test('going back to an earlier step does not complete the step the user left: only moving on does', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="checkout"><fieldset name="shipping"><input name="street"></fieldset><fieldset name="payment"><input name="coupon"></fieldset>' +
    '<fieldset name="review"><input name="note"></fieldset></form>';
  fill($('[name=street]'), 's');
  focus($('[name=coupon]'));
  focus($('[name=street]')); // back, to fix the address: payment is not done
  window.dispatchEvent(new Event('pagehide'));
  expect((await props()).map(([name, p]) => name + ' ' + ((p as any).step || ''))).toEqual([
    'Form Started ',
    'Form Step Completed shipping',
    'Form Abandoned ',
  ]);
});

// A radio group is wrapped in its own <fieldset> and <legend> (the accessible markup), inside
// the step's fieldset.
test('a radio group in its own fieldset inside a fieldset step is part of that step: entering it completes nothing, and leaving it completes the step', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="checkout"><fieldset name="shipping"><input name="street"><fieldset name="speed"><legend>Delivery</legend>' +
    '<input type="radio" name="speed" value="std"><input type="radio" name="speed" value="fast"></fieldset></fieldset>' +
    '<fieldset name="payment"><input name="coupon"></fieldset></form>';
  fill($('[name=street]'), 's');
  fill($('[value=fast]'), 'fast');
  expect((await props()).map(([name]) => name)).toEqual(['Form Started']);
  fill($('[name=coupon]'), 'X');
  expect((await props()).slice(1)).toEqual([['Form Step Completed', { form: 'checkout', step: 'shipping' }]]);
});

// A <fieldset disabled={busy}> around the whole form disables every control while it is sent
// (Remix's and Bootstrap's pattern): it is the form, not its one step, and the sections in it
// are still its steps.
test('a fieldset around the whole form (its button included, to disable it while sending) is no step: the fieldsets in it are', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="checkout"><fieldset><fieldset name="shipping"><input name="street"></fieldset>' +
    '<fieldset name="payment"><input name="coupon"></fieldset><button>Pay</button></fieldset></form>';
  fill($('[name=street]'), 's');
  fill($('[name=coupon]'), 'X');
  expect((await props()).slice(1)).toEqual([['Form Step Completed', { form: 'checkout', step: 'shipping' }]]);
});

// A wizard whose steps are routes in one form the layout keeps (or a React wizard rendering
// {step == 1 && <fieldset>}): each step's fieldset is rendered anew when the visitor comes to it,
// Back included. Going back completes nothing, and each step counts once (README).
test('a wizard that renders each step anew (routes in one form, Back then Next): going back completes nothing, and each step counts once', async () => {
  const { props } = start();
  document.body.innerHTML = '<form id="signup"><div id="step"></div><button type="button">Next</button></form>';
  const account = () => ($('#step').innerHTML = '<fieldset name="account"><input name="email"></fieldset>');
  const profile = () => ($('#step').innerHTML = '<fieldset name="profile"><input name="nick"></fieldset>');
  account();
  fill($('[name=email]'), 'a@b.co');
  profile(); // Next
  fill($('[name=nick]'), 'zz');
  account(); // Back, to fix the email
  focus($('[name=email]'));
  profile(); // Next again
  focus($('[name=nick]'));
  expect((await props()).slice(1)).toEqual([['Form Step Completed', { form: 'signup', step: 'account' }]]);
});

// For nodes in different trees (a step the wizard took off the page, and the next one) the DOM
// leaves the order to the browser (DOCUMENT_POSITION_IMPLEMENTATION_SPECIFIC): Blink compares
// memory addresses, so either order is a browser's answer. Moving on must not depend on it.
test('a wizard that renders each step anew completes the step left whatever order the browser gives a removed step and the next', async () => {
  const real = Node.prototype.compareDocumentPosition;
  vi.spyOn(Node.prototype, 'compareDocumentPosition').mockImplementation(function (this: Node, other: Node) {
    const r = real.call(this, other);
    return r & 1 ? 1 | 32 | 2 : r; // disconnected: PRECEDING, as Blink says when the removed node's address is lower
  });
  const { props } = start();
  document.body.innerHTML = '<form id="signup"><div id="step"></div><button type="button">Next</button></form>';
  $('#step').innerHTML = '<fieldset name="account"><input name="email"></fieldset>';
  fill($('[name=email]'), 'a@b.co');
  $('#step').innerHTML = '<fieldset name="profile"><input name="nick"></fieldset>'; // Next
  fill($('[name=nick]'), 'zz');
  expect((await props()).slice(1)).toEqual([['Form Step Completed', { form: 'signup', step: 'account' }]]);
});

// A wizard that renders one step at a time, its Next button in the step: the step holds every
// control of the form, and is still a step (only one around other fieldsets is the whole form's).
test('a wizard that renders one step at a time, its buttons inside the step fieldset, completes each step', async () => {
  const { props } = start();
  document.body.innerHTML = '<form id="signup"></form>';
  $('#signup').innerHTML = '<fieldset name="account"><input name="email"><button type="button">Next</button></fieldset>';
  fill($('[name=email]'), 'a@b.co');
  $('#signup').innerHTML = '<fieldset name="profile"><input name="nick"><button>Create account</button></fieldset>';
  fill($('[name=nick]'), 'zz');
  expect((await props()).slice(1)).toEqual([['Form Step Completed', { form: 'signup', step: 'account' }]]);
});

// Rails (form_with) and Django ({% csrf_token %}) put a hidden token first in the form, outside the
// fieldset the page wraps the rest in.
test('a fieldset around the whole form but its hidden CSRF token is no step either: the fieldsets in it are', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="checkout"><input type="hidden" name="authenticity_token" value="t"><fieldset><fieldset name="shipping"><input name="street"></fieldset>' +
    '<fieldset name="payment"><input name="coupon"></fieldset><button>Pay</button></fieldset></form>';
  fill($('[name=street]'), 's');
  fill($('[name=coupon]'), 'X');
  expect((await props()).slice(1)).toEqual([['Form Step Completed', { form: 'checkout', step: 'shipping' }]]);
});

test('custom wizards report steps with a waymark:step CustomEvent', async () => {
  const { props, seen } = start();
  document.body.innerHTML = '<form class="wizard"><div id="s1"><button type="button" id="next">Next</button></div></form>';
  $('#next').dispatchEvent(new CustomEvent('waymark:step', { bubbles: true, detail: { step: 'details' } }));
  expect(await props()).toEqual([
    ['Form Started', { form: 'form.wizard' }],
    ['Form Step Completed', { form: 'form.wizard', step: 'details' }],
  ]);
  expect(seen[1].element).toBe(document.querySelector('form'));
});

test('waymark:step from a Next button outside the form (form="id", a sticky footer) counts for that form, unless it is ignored', async () => {
  const { props, seen } = start();
  document.body.innerHTML =
    '<form id="wiz"><input name="a"></form><footer><button type="button" form="wiz" id="next">Next</button></footer>' +
    '<div data-waymark-ignore><form id="secret"></form></div><button type="button" form="secret" id="next2">Next</button>';
  const step = (el: Element, name: string) => el.dispatchEvent(new CustomEvent('waymark:step', { bubbles: true, detail: { step: name } }));
  step($('#next'), 'details');
  step($('#next2'), 'hidden');
  expect(await props()).toEqual([
    ['Form Started', { form: 'wiz' }],
    ['Form Step Completed', { form: 'wiz', step: 'details' }],
  ]);
  expect(seen.map((e) => e.element)).toEqual([$('#wiz'), $('#wiz')]);
});

test('field invalid: the failed check, once per field and check per page view; sensitive fields never', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="f"><input name="email" type="email" required><input name="zip" pattern="\\d{5}">' +
    '<input type="password" name="password" required><input name="cvv" required></form>';
  const form = $<HTMLFormElement>('#f');
  $('[name=zip]').value = 'abc';
  form.checkValidity();
  form.checkValidity(); // frameworks call this on every keystroke
  expect(await props()).toEqual([
    ['Form Field Invalid', { form: 'f', field: 'email', check: 'valueMissing' }],
    ['Form Field Invalid', { form: 'f', field: 'zip', check: 'patternMismatch' }],
  ]);
});

// A form-associated custom element keeps its validity in its ElementInternals: unless it adds
// a `validity` getter, the element has none, yet the browser fires `invalid` at it when its
// form is checked (internals.setValidity({ valueMissing: true }, …)).
test('field invalid: a form-associated custom element without a validity of its own is reported, without a check', async () => {
  class XStars extends HTMLElement {
    static formAssociated = true;
  }
  if (!customElements.get('x-stars')) customElements.define('x-stars', XStars);
  const { props } = start();
  document.body.innerHTML = '<form id="review"><x-stars name="stars"></x-stars></form>';
  $('x-stars').dispatchEvent(new Event('invalid', { cancelable: true }));
  expect(await props()).toEqual([['Form Field Invalid', { form: 'review', field: 'stars' }]]);
});

test('field invalid: two forms whose names and fields run together (f + email, fe + mail) are reported apart', async () => {
  const { props } = start();
  document.body.innerHTML = '<form id="f"><input name="email" required></form><form id="fe"><input name="mail" required></form>';
  $<HTMLFormElement>('#f').checkValidity();
  $<HTMLFormElement>('#fe').checkValidity();
  expect(await props()).toEqual([
    ['Form Field Invalid', { form: 'f', field: 'email', check: 'valueMissing' }],
    ['Form Field Invalid', { form: 'fe', field: 'mail', check: 'valueMissing' }],
  ]);
});

test('a tab switch is not an abandonment: the form submitted after it is counted once, as submitted', async () => {
  const { c, t } = start();
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  hide(); // the user switches tab to fetch a 2FA code ...
  Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
  document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  fire($('#checkout'), 'submit'); // ... and comes back to pay
  await t.flush();
  expect(c.names()).toEqual(['Form Started', 'Form Submitted']);
});

test('abandoned when the page goes (hidden, then pagehide): sent in the page-hide beacon itself, once', async () => {
  const { t, c } = start();
  await t.flush(); // the tracker is ready, so the beacon can go
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  now += 2500;
  fill($('[name=coupon]'), 'X');
  focus($('[name=cardnumber]')); // the last field is sensitive: not named
  hide();
  expect(c.names()).not.toContain('Form Abandoned');
  window.dispatchEvent(new Event('pagehide'));
  const beacon = c.requests.filter((r) => r.init.keepalive).at(-1);
  expect(beacon && beacon.body.batch.map((e) => [e.event, e.properties])).toEqual([
    ['Form Abandoned', { form: 'checkout', fields: 2, duration: 2500 }],
  ]);
  // A second pagehide (the page came back from the back/forward cache and left again) does not abandon it twice.
  window.dispatchEvent(new Event('pagehide'));
  await t.flush();
  expect(c.names().filter((n) => n == 'Form Abandoned')).toHaveLength(1);
});

test('left, then shown again from the back/forward cache and submitted: a new page view, a new form session', async () => {
  const { t, c } = start([pageViews(), forms()]);
  await t.flush();
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  window.dispatchEvent(new Event('pagehide'));
  window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
  fire($('#checkout'), 'submit');
  await t.flush();
  expect(c.names()).toEqual(['page', 'Form Started', 'Form Abandoned', 'page', 'Form Started', 'Form Submitted']);
});

test('abandoned when the hidden tab is frozen (it may be discarded without a pagehide)', async () => {
  const { props } = start();
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  now += 900;
  document.dispatchEvent(new Event('freeze'));
  const abandoned = [
    ['Form Started', { form: 'checkout', field: 'email' }],
    ['Form Abandoned', { form: 'checkout', lastField: 'email', fields: 1, duration: 900 }],
  ];
  expect(await props()).toEqual(abandoned);
  // A discarded tab gets no pagehide; one that was resumed may still leave later: once is enough.
  window.dispatchEvent(new Event('pagehide'));
  expect(await props()).toEqual(abandoned);
});

test('abandoned on pagehide too, with the last field', async () => {
  const { props } = start();
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  focus($('[name=street]'));
  now += 700;
  window.dispatchEvent(new Event('pagehide'));
  expect((await props()).at(-1)).toEqual(['Form Abandoned', { form: 'checkout', lastField: 'street', fields: 1, duration: 700 }]);
});

test('abandoned when the SPA route changes; forms start afresh on the new page', async () => {
  const { c, t } = start([pageViews(), forms()]);
  // A granted tracker holds events until the saved visitor is read; let it, so that the
  // route change reaches forms() between the two fills, as it would a moment after load.
  await t.flush();
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  // The next route, with a form of its own, rendered before the URL changes (Next.js).
  document.body.innerHTML = CHECKOUT;
  history.pushState(null, '', '/next');
  fill($('[name=email]'), 'a@b.co');
  await t.flush();
  expect(c.names()).toEqual(['page', 'Form Started', 'page', 'Form Abandoned', 'Form Started']);
  const abandoned = c.events()[3];
  expect(abandoned.properties).toEqual({ form: 'checkout', lastField: 'email', fields: 1, duration: 0 });
  // Made after the route change, but about the page the form was on.
  expect(abandoned.context.page).toEqual(c.events()[1].context.page);
  expect(abandoned.context.page.path).toBe('/');
});

// A signup wizard whose steps are routes (/signup/account, then /signup/profile) rendered in one
// <form> that the layout keeps: the router swaps the step's fields a moment after the URL
// changed (React Router and Vue Router render after pushState), the form stays on the page.
test('a wizard whose steps are routes inside one form the layout keeps is one form session: started once, submitted, not abandoned at each step', async () => {
  const { c, t } = start([pageViews(), forms()]);
  await t.flush();
  history.pushState(null, '', '/signup/account');
  document.body.innerHTML = '<form id="signup"><div id="step"><input name="email"></div><button>Next</button></form>';
  fill($('[name=email]'), 'a@b.co');
  now += 1000;
  history.pushState(null, '', '/signup/profile');
  await Promise.resolve();
  $('#step').innerHTML = '<input name="nick">';
  await new Promise((r) => setTimeout(r, 1100)); // the visitor reads the new step
  now += 1000;
  fill($('[name=nick]'), 'ab');
  fire($('#signup'), 'submit');
  await t.flush();
  expect(c.names()).toEqual(['page', 'page', 'Form Started', 'page', 'Form Submitted']);
  expect(c.events().at(-1)!.properties).toEqual({ form: 'signup', fields: 2, duration: 2000 });
});

// React Router and Vue Router change the URL, then render the next route: the form is still on
// the page when the page view is made, and gone a moment later.
test('a form that the router removes just after the URL changed is abandoned a moment later, with its own page; one the page keeps, when the page goes', async () => {
  const { c, t } = start([pageViews(), forms()]);
  await t.flush();
  document.body.innerHTML = CHECKOUT + '<form id="search"><input name="q"></form>';
  fill($('[name=email]'), 'a@b.co');
  fill($('[name=q]'), 'tents'); // the header's search box, on every route
  history.pushState(null, '', '/help');
  await Promise.resolve();
  $('#checkout').remove();
  await new Promise((r) => setTimeout(r, 1100));
  await t.flush();
  expect(c.names()).toEqual(['page', 'Form Started', 'Form Started', 'page', 'Form Abandoned']);
  expect(c.events()[4].properties).toMatchObject({ form: 'checkout', lastField: 'email' });
  expect(c.events()[4].context.page.path).toBe('/');
  window.dispatchEvent(new Event('pagehide'));
  await t.flush();
  expect(c.events().slice(5).map((e) => [e.event, e.properties])).toEqual([['Form Abandoned', expect.objectContaining({ form: 'search', lastField: 'q' })]]);
});

// React Router 7 changes the URL, then renders the next route in a transition: a lazy route
// (React.lazy) keeps the old one on the page until its code has loaded, over a second on a slow
// phone. The form the next route takes off the page is left all the same, soon after.
test('a form that a lazy route takes off the page 1.5 s after the URL changed is abandoned soon after, not at the next route change', async () => {
  const { c, t } = start([pageViews(), forms()]);
  await t.flush();
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  history.pushState(null, '', '/help');
  await new Promise((r) => setTimeout(r, 1500)); // the route's code loading
  now += 1500;
  $('#checkout').remove();
  await new Promise((r) => setTimeout(r, 2600));
  now += 2600;
  await t.flush();
  expect(c.names()).toEqual(['page', 'Form Started', 'page', 'Form Abandoned']);
  expect(c.events()[3].properties).toMatchObject({ form: 'checkout', lastField: 'email' });
  expect(c.events()[3].context.page.path).toBe('/');
}, 10_000);

// The landing page view waits, in order, behind a hold: the saved visitor being read after a
// grant, or a rules file loading (up to 5 s). A form the visitor starts meanwhile is no form
// of a page left behind: the page view was made before it started.
test('a form started while the landing page view waits (the saved visitor being read) is not abandoned by that page view', async () => {
  const { c, t } = start([pageViews(), forms()]);
  document.body.innerHTML = CHECKOUT;
  now += 1000;
  fill($('[name=email]'), 'a@b.co');
  await t.flush(); // the read is over: the page view and Form Started go
  now += 1000;
  fill($('[name=street]'), 'Main St 1');
  fire($('#checkout'), 'submit');
  await t.flush();
  expect(c.names()).toEqual(['page', 'Form Started', 'Form Submitted']);
  expect(c.events()[2].properties).toEqual({ form: 'checkout', fields: 2, duration: 1000 });
});

// The same, started within the page view's millisecond (a task that makes both: a field that a
// script fills at load, firing change) or after the wall clock was set back (an NTP correction
// during the read): the page view was still made before the form started.
test.each([
  ['in the same millisecond', 0],
  ['after the clock was set back', -2000],
])('a form started while the landing page view waits, %s, is not abandoned by that page view', async (_, dt) => {
  const { c, t } = start([pageViews(), forms()]);
  document.body.innerHTML = CHECKOUT;
  now += dt;
  fill($('[name=email]'), 'a@b.co');
  await t.flush();
  fill($('[name=street]'), 'Main St 1');
  fire($('#checkout'), 'submit');
  await t.flush();
  expect(c.names()).toEqual(['page', 'Form Started', 'Form Submitted']);
});

test('a form without name or id, removed before the route changes (Next.js updates the URL after rendering), is abandoned under the name it started with', async () => {
  const { props, t } = start([pageViews(), forms()]);
  await t.flush();
  document.body.innerHTML = '<main class="shop"><section class="cart"><form class="coupon"><input name="code"></form></section></main>';
  fill($('[name=code]'), 'X');
  $('form').remove(); // the component that rendered it is gone
  history.pushState(null, '', '/next');
  const forms_ = (await props()).filter(([name]) => name != 'page');
  expect(forms_).toEqual([
    ['Form Started', { form: 'main.shop>section.cart>form.coupon', field: 'code' }],
    ['Form Abandoned', { form: 'main.shop>section.cart>form.coupon', lastField: 'code', fields: 1, duration: 0 }],
  ]);
});

test("SPA route change: Form Abandoned carries the form's page (path, url, title), not the new route's", async () => {
  const { c, t } = start([pageViews(), forms()]);
  await t.flush();
  history.pushState(null, '', '/checkout?step=1');
  document.title = 'Checkout';
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  document.body.innerHTML = '<h1>Help</h1>'; // rendered before the URL changes (Next.js)
  document.title = 'Help';
  history.pushState(null, '', '/help');
  await t.flush();
  document.title = '';
  const page = (name: string) => c.events().find((e) => (e.event || e.type) == name)!.context.page;
  expect(page('Form Abandoned')).toMatchObject({ path: '/checkout', url: location.origin + '/checkout?step=1', title: 'Checkout', search: '?step=1' });
  expect(c.events().filter((e) => e.type == 'page').at(-1)!.context.page.path).toBe('/help');
});

test('not abandoned once submitted; not started by focus alone', async () => {
  const { c, t } = start();
  document.body.innerHTML = CHECKOUT + '<form id="other"><input name="q"></form>';
  fill($('[name=email]'), 'a@b.co');
  fire($('#checkout'), 'submit');
  focus($('[name=q]'));
  hide();
  await t.flush();
  expect(c.names()).toEqual(['Form Started', 'Form Submitted']);
});

test('a submit without typing still starts the form, so funnels add up', async () => {
  const { props } = start();
  document.body.innerHTML = '<form action="/subscribe"><button>Subscribe</button></form>';
  fire($('form'), 'submit');
  expect(await props()).toEqual([
    ['Form Started', { form: 'form' }],
    ['Form Submitted', { form: 'form', fields: 0, duration: 0 }],
  ]);
});

test('ignored forms and fields outside forms are invisible; buttons are not fields', async () => {
  const { c, t } = start();
  document.body.innerHTML =
    '<div data-waymark-ignore><form id="secret"><input name="a"></form></div><input name="loose">' +
    '<form id="f"><input type="submit" name="go"><button name="b">B</button></form>';
  fill($('[name=a]'), 'x');
  fire($('#secret'), 'submit');
  fill($('[name=loose]'), 'x');
  focus($('[name=go]'));
  fire($('[name=b]'), 'input');
  await t.flush();
  expect(c.names()).toEqual([]);
});

test('a radio group is one field, however many of its options were picked; a select and a checkbox count too', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="plan"><input type="radio" name="tier" id="a"><input type="radio" name="tier" id="b"><input type="radio" name="tier" id="c">' +
    '<select name="seats"><option>1</option><option>2</option></select><input type="checkbox" name="terms"></form>';
  for (const id of ['a', 'b', 'c', 'b']) {
    focus($('#' + id));
    $('#' + id).checked = true;
    fire($('#' + id), 'input');
    fire($('#' + id), 'change');
  }
  fire($('[name=seats]'), 'change');
  fire($('[name=terms]'), 'change');
  fire($('#plan'), 'submit');
  expect((await props()).at(-1)).toEqual(['Form Submitted', { form: 'plan', fields: 3, duration: 0 }]);
});

test('an ignored form stays invisible through a field outside it (form="id")', async () => {
  const { c, t } = start();
  document.body.innerHTML =
    '<div data-waymark-ignore><form id="secret"><input name="a"></form></div><input name="outside" form="secret" required>';
  fill($('[name=outside]'), 'x');
  $<HTMLInputElement>('[name=outside]').value = '';
  $<HTMLFormElement>('#secret').checkValidity();
  window.dispatchEvent(new Event('pagehide'));
  await t.flush();
  expect(c.names()).toEqual([]);
});

test('sensitive fields are never named: started on a password field, invalid card field', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="login"><input type="password" name="password" id="password"><input name="iban" required>' +
    '<input type="hidden" name="csrf" value="t0k3n"></form>';
  fill($('#password'), 'hunter2');
  $<HTMLFormElement>('#login').checkValidity();
  fire($('#login'), 'submit');
  const all = JSON.stringify(await props());
  expect(all).toBe(
    JSON.stringify([
      ['Form Started', { form: 'login' }],
      ['Form Submitted', { form: 'login', fields: 1, duration: 0 }],
    ]),
  );
});

test('a field shaped like a card number (numeric keypad, room for 16-19 digits) is never named, whatever its name', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="pay"><input name="numero" inputmode="numeric" maxlength="19" required><input name="kaart" type="tel" maxlength="23">' +
    '<input name="zip" inputmode="numeric" maxlength="5"><input name="phone" type="tel"></form>';
  for (const sel of ['[name=numero]', '[name=kaart]']) fill($(sel), '4111');
  $('[name=numero]').value = '';
  $<HTMLFormElement>('#pay').checkValidity(); // numero is invalid (required), and not described
  for (const sel of ['[name=zip]', '[name=phone]']) fill($(sel), '1');
  fill($('[name=kaart]'), '4111');
  window.dispatchEvent(new Event('pagehide'));
  expect(await props()).toEqual([
    ['Form Started', { form: 'pay' }],
    ['Form Abandoned', { form: 'pay', fields: 4, duration: 0 }],
  ]);
});

test('a password field turned into text by a "show password" toggle is still never named', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="login"><input type="password" name="password" autocomplete="current-password">' +
    '<input name="secret" autocomplete="new-password"><input name="code" autocomplete="one-time-code"><input id="user-pwd"><input name="user"></form>';
  const pw = $('[name=password]');
  pw.type = 'text'; // the eye icon
  fill(pw, 'hunter2');
  for (const sel of ['[name=secret]', '[name=code]', '#user-pwd']) fill($(sel), 'x');
  now += 100;
  window.dispatchEvent(new Event('pagehide'));
  expect(await props()).toEqual([
    ['Form Started', { form: 'login' }],
    ['Form Abandoned', { form: 'login', fields: 4, duration: 100 }],
  ]);
});

test('PII: sentinel values typed into email, password and card fields are in no request', async () => {
  const { c, t } = start([pageViews(), forms()]);
  document.body.innerHTML =
    '<form id="pay"><fieldset><input type="email" name="email" required pattern="x+"></fieldset>' +
    '<fieldset><input type="password" name="pw" required minlength="50"><input name="card" autocomplete="cc-number" pattern="\\d+"></fieldset></form>';
  const sentinels = ['sentinel.person@example.com', 'SENTINEL-PASSWORD-xyz', '4111 1111 1111 1111'];
  const [email, pw, card] = ['[name=email]', '[name=pw]', '[name=card]'].map((s) => $(s));
  fill(email, sentinels[0]);
  fill(pw, sentinels[1]);
  fill(card, sentinels[2]);
  for (const el of [email, pw, card]) el.checkValidity();
  fire($('#pay'), 'submit');
  hide();
  history.pushState(null, '', '/done');
  await t.flush();
  expect(c.names()).toContain('Form Submitted');
  expect(c.names()).toContain('Form Field Invalid');
  const all = JSON.stringify(c.requests);
  for (const s of sentinels) expect(all).not.toContain(s);
  expect(all).not.toMatch(/"(pw|card)"/);
});

test('teardown removes every listener it added', async () => {
  const live = new Map<string, unknown>();
  const key = (target: EventTarget, a: any[]) => (target === window ? 'w' : 'd') + a[0] + (typeof a[2] == 'object' ? a[2].capture : a[2]);
  const ids = new WeakMap<object, number>();
  let n = 0;
  const id = (fn: object) => (ids.has(fn) || ids.set(fn, ++n), ids.get(fn));
  for (const target of [window, document] as EventTarget[]) {
    const add = target.addEventListener;
    const remove = target.removeEventListener;
    vi.spyOn(target, 'addEventListener').mockImplementation(function (this: EventTarget, ...a: any[]) {
      live.set(key(target, a) + id(a[1]), a[0]);
      return add.apply(this, a as any);
    });
    vi.spyOn(target, 'removeEventListener').mockImplementation(function (this: EventTarget, ...a: any[]) {
      live.delete(key(target, a) + id(a[1]));
      return remove.apply(this, a as any);
    });
  }
  const { t } = start();
  expect([...live.values()].sort()).toEqual(
    // The tracker's own six (visibilitychange, pagehide twice, pageshow, freeze, online) and the module's eight.
    ['change', 'focusin', 'input', 'invalid', 'online', 'pagehide', 'pagehide', 'pagehide', 'pageshow', 'submit', 'visibilitychange', 'freeze', 'freeze', 'waymark:step'].sort(),
  );
  await t.shutdown();
  expect([...live.values()]).toEqual([]);
});

test('teardown: nothing is tracked after it', () => {
  const track = vi.fn();
  const off = forms().setup!({ track } as unknown as PluginContext) as () => void;
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'x');
  expect(track).toHaveBeenCalledTimes(1);
  off();
  fill($('[name=street]'), 'x');
  fire($('#checkout'), 'submit');
  hide();
  document.dispatchEvent(new Event('freeze'));
  window.dispatchEvent(new Event('pagehide'));
  $<HTMLFormElement>('#checkout').checkValidity();
  expect(track).toHaveBeenCalledTimes(1);
});

// A route change leaves a form still on the page to be looked at again a second later; a
// teardown within that second (React unmounting the tracker's component, StrictMode, a hot
// reload) must leave no timer behind to track with the context it was given.
test('teardown within the second after a route change: no timer is left, nothing is tracked after it', async () => {
  const track = vi.fn();
  const me = forms();
  const off = me.setup!({ track } as unknown as PluginContext) as () => void;
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'x');
  // Its Form Started came through, then the route changed: the form is still on the page.
  me.beforeSend!({ type: 'track', event: 'Form Started', element: $('#checkout'), context: { page: {} } } as any);
  me.beforeSend!({ type: 'page', messageId: 'm1', context: { page: {} } } as any);
  off();
  $('#checkout').remove(); // the new route rendered
  await new Promise((r) => setTimeout(r, 1100));
  expect(track.mock.calls.map((c) => c[0])).toEqual(['Form Started']);
});

// On a bare `pagehide` (Safari, or a link navigation in Chromium) the core's page-hide
// listener runs after the modules' (it is added after their setup), so the abandonment
// made in forms' handler rides in the same beacon.
test('abandoned on a bare pagehide rides in the beacon', async () => {
  const { t, c } = start();
  await t.flush();
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  window.dispatchEvent(new Event('pagehide'));
  const beacon = c.requests.find((r) => r.init.keepalive);
  expect(beacon!.body.batch.map((e) => e.event)).toContain('Form Abandoned');
});

test('a design-system field in a page form (Shoelace 2 <sl-input>, Web Awesome: `form` is a string property, the id of its form or "") is seen: Form Started, Form Abandoned', async () => {
  // Like Shoelace 2's FormControl components: `@property({ reflect: true }) form = ''`, a native
  // <input> in the shadow root, whose composed focusin and input events reach the document
  // retargeted to the component.
  class XField extends HTMLElement {
    // As Lit reflects it: the attribute's value, or ''. (A class field would be read before
    // happy-dom sets the attributes of an element made by innerHTML.)
    get form() {
      return this.getAttribute('form') || '';
    }
    constructor() {
      super();
      this.attachShadow({ mode: 'open' }).innerHTML = '<input>';
    }
  }
  if (!customElements.get('x-field')) customElements.define('x-field', XField);
  const { props } = start();
  document.body.innerHTML = '<form id="signup"><x-field name="email"></x-field></form><x-field name="nick" form="signup"></x-field>';
  for (const host of document.querySelectorAll('x-field')) {
    const inner = host.shadowRoot!.querySelector('input')!;
    inner.dispatchEvent(new FocusEvent('focusin', { bubbles: true, composed: true }));
    inner.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    // A native `change` is not composed: it stays in the shadow root, as in a browser.
    inner.dispatchEvent(new Event('change', { bubbles: true }));
  }
  hide();
  window.dispatchEvent(new Event('pagehide'));
  expect(await props()).toEqual([
    ['Form Started', expect.objectContaining({ form: 'signup', field: 'email' })],
    ['Form Abandoned', expect.objectContaining({ form: 'signup', lastField: 'nick' })],
  ]);
});

// Shoelace 2's fields emit `sl-change`, never a `change` of their own: the native input's
// `change` stays in the shadow root. What the document sees of their edits is the composed `input`.
test('fields counts the design-system fields the visitor typed in (their change never leaves the shadow root), and not an editor only focused', async () => {
  class XText extends HTMLElement {
    get form() {
      return this.getAttribute('form') || '';
    }
    constructor() {
      super();
      this.attachShadow({ mode: 'open' }).innerHTML = '<input>';
    }
  }
  if (!customElements.get('x-text')) customElements.define('x-text', XText);
  const { props } = start();
  document.body.innerHTML = '<form id="signup"><x-text name="email"></x-text><x-text name="nick"></x-text><div contenteditable="true" id="bio"></div></form>';
  for (const host of document.querySelectorAll('x-text')) {
    const inner = host.shadowRoot!.querySelector('input')!;
    inner.dispatchEvent(new FocusEvent('focusin', { bubbles: true, composed: true }));
    inner.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    inner.dispatchEvent(new Event('change', { bubbles: true }));
    host.dispatchEvent(new CustomEvent('sl-change', { bubbles: true, composed: true }));
  }
  focus($('#bio'));
  window.dispatchEvent(new Event('pagehide'));
  expect((await props()).at(-1)).toEqual(['Form Abandoned', expect.objectContaining({ form: 'signup', lastField: 'bio', fields: 2 })]);
});

// A hot reload (React Fast Refresh) re-runs the effect that creates the tracker: the old one is
// shut down and a new one created at once, with the same options object and so the same plugins.
test('a tracker created again with the same options (a hot reload) does not abandon the form the visitor is still filling', async () => {
  document.body.innerHTML = CHECKOUT;
  const options = { endpoint: ENDPOINT, consent: 'granted' as const, capture: [pageViews(), forms()] };
  const c = fakeCollector();
  const first = createTracker(options);
  await first.flush();
  fill($('[name=email]'), 'jane@example.com');
  await first.shutdown();
  const t = createTracker(options);
  trackers.push(t);
  await t.flush();
  fill($('[name=street]'), '1 Main St');
  await t.flush();
  // (Sorted: this file's clock stands still, so the queue's order is each tracker's own sequence.)
  expect(c.names().sort()).toEqual(['Form Started', 'Form Started', 'page', 'page']);
});

// A site that changes what a module sends copies it and replaces a hook (here: no form events on
// a page of medical questions), as any plain object: the copy is the plugin it gave, and the
// tracker must run it, not set up a new forms() of its own that sends what the copy drops.
test("a copy of forms() with the site's own beforeSend ({ ...forms(), beforeSend }) is the plugin that runs", async () => {
  const f = forms();
  const mine: Plugin = { ...f, beforeSend: (e) => (e.event?.startsWith('Form ') ? null : f.beforeSend!(e)) };
  const { c, t } = start([pageViews(), mine]);
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'jane@example.com');
  fire($('#checkout'), 'submit');
  await t.flush();
  expect(c.names()).toEqual(['page']);
});

// README (createTracker again with the same options) shows a copy of a module with the site's
// own hooks, `{ ...forms(), beforeSend }`. The copy's beforeSend replaces the module's, which is
// where forms() abandons the forms left by an SPA route change (attribution() stamps the
// campaign, journey() judges every stage): a site that writes what README shows loses them
// with nothing on the console. README must show the module's own hook called from the site's.
test("README's copy of a module with your own beforeSend calls the module's own: replaced, the SPA route change abandons nothing", async () => {
  const { readFileSync } = await import('node:fs');
  const f = forms();
  // The literal shape README gives: the site's hook instead of the module's.
  const { c, t } = start([pageViews(), { ...f, beforeSend: (e: WaymarkEvent) => (location.pathname == '/health' && e.event?.startsWith('Form ') ? null : e) }]);
  await t.flush();
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  history.pushState(null, '', '/next');
  await t.flush();
  history.replaceState(null, '', '/');
  // No Form Abandoned at the route change: the module's beforeSend never ran.
  expect(c.names()).toEqual(['page', 'Form Started', 'page']);
  const readme = readFileSync('README.md', 'utf8');
  const example = readme.match(/copy of a module with your own hooks[\s\S]{0,400}/)![0];
  expect(example).toMatch(/\.beforeSend\(e\)/);
});

// A one-page checkout: the visitor skips an optional section (a gift message), moves on, then
// comes back up to fill it and moves on again into the section after it, which was completed
// already. That is moving on from the gift section, a step still on the page, to a later one.
test('a section skipped, then filled on the way back up, is completed when the visitor moves on to a later section already completed', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="checkout"><fieldset name="shipping"><input name="street"></fieldset><fieldset name="gift"><input name="message"></fieldset>' +
    '<fieldset name="payment"><input name="coupon"></fieldset><fieldset name="review"><input name="note"></fieldset></form>';
  fill($('[name=street]'), 's');
  fill($('[name=coupon]'), 'X'); // the gift section skipped
  fill($('[name=note]'), 'n');
  fill($('[name=message]'), 'Happy birthday'); // back up, to add a gift message
  fill($('[name=coupon]'), 'Y'); // and on again
  expect((await props()).slice(1).map(([, p]) => (p as any).step)).toEqual(['shipping', 'payment', 'gift']);
});

// The visitor left the form when the URL changed (a link to /help); the lazy route takes it off the
// page 1.5 s later, and the look that finds it gone is the one at 3 s. Its duration is the time
// spent on the form, as when the router removes it first (Next.js): not the seconds the look took.
test('a form that a lazy route takes off the page after the URL changed is abandoned with the duration up to the route change, not up to the look that found it gone', async () => {
  const { c, t } = start([pageViews(), forms()]);
  await t.flush();
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  now += 2000;
  history.pushState(null, '', '/help');
  now += 1500; // the route's code loading
  await new Promise((r) => setTimeout(r, 1500));
  $('#checkout').remove();
  now += 1500;
  await new Promise((r) => setTimeout(r, 1600)); // the look at 3 s
  await t.flush();
  expect(c.names()).toEqual(['page', 'Form Started', 'page', 'Form Abandoned']);
  expect(c.events()[3].properties).toEqual({ form: 'checkout', lastField: 'email', fields: 1, duration: 2000 });
}, 10_000);

// The accessible markup for a form in sections: each a <fieldset> with its <legend>, no name nor id.
// Told apart by name since 5e2950c, the sections all had the one selector for a name (#checkout>fieldset),
// so moving from one to the next completed nothing. (The legend is not used: it may greet the visitor by name.)
test('a checkout whose sections are unnamed fieldsets (a legend each) completes each section the visitor leaves for the next, told apart by position', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="checkout"><fieldset><legend>Shipping</legend><input name="street"></fieldset><fieldset><legend>Payment</legend><input name="coupon"></fieldset>' +
    '<fieldset><legend>Jane, anything to add?</legend><input name="note"></fieldset><button>Pay</button></form>';
  fill($('[name=street]'), 's');
  fill($('[name=coupon]'), 'X');
  fill($('[name=street]'), 't'); // back, to fix the address: nothing
  fill($('[name=coupon]'), 'Y');
  fill($('[name=note]'), 'n');
  expect((await props()).slice(1).map(([, p]) => (p as any).step)).toEqual(['#checkout>fieldset:nth-of-type(1)', '#checkout>fieldset:nth-of-type(2)']);
});

// A wizard that shows one step at a time, its step holding a radio group's fieldset and its Next
// button, looks like a fieldset around the whole form (a <fieldset disabled> wrapper): README says
// to mark its steps with data-waymark-step, and then the step is the step, its group part of it.
test('a wizard showing one step at a time, whose step holds a radio group fieldset and Next, completes its steps when they are marked with data-waymark-step (README)', async () => {
  const { props } = start();
  document.body.innerHTML = '<form id="signup"></form>';
  $('#signup').innerHTML =
    '<fieldset data-waymark-step="shipping"><legend>Shipping</legend><input name="street"><fieldset name="speed"><legend>Delivery</legend>' +
    '<input type="radio" name="speed" value="std"><input type="radio" name="speed" value="fast"></fieldset><button type="button">Next</button></fieldset>';
  fill($('[name=street]'), 's');
  fill($('[value=fast]'), 'fast');
  $('#signup').innerHTML = '<fieldset data-waymark-step="payment"><input name="coupon"><button>Pay</button></fieldset>';
  fill($('[name=coupon]'), 'X');
  expect((await props()).slice(1).map(([, p]) => (p as any).step)).toEqual(['shipping']);
});

// React Router renders the next route after the URL changed: a step that is a route rendering its
// own <form id="checkout"> (the one README says to submit, or be abandoned at each step) puts the
// new form on the page as the old one goes. The old one's abandonment waits for the look a second
// later; the visitor may have started and sent the new one by then. With the router that renders
// first (Next.js) the order is Abandoned, Started, Submitted: so it must be with this one.
test("a form that the next route replaces by its own (same id) is abandoned before the new one's Form Started, not after its Form Submitted", async () => {
  const { c, t } = start([pageViews(), forms()]);
  await t.flush();
  document.body.innerHTML = '<form id="checkout"><input name="street"></form>';
  fill($('[name=street]'), 's');
  now += 2000;
  history.pushState(null, '', '/checkout/payment');
  await Promise.resolve();
  document.body.innerHTML = '<form id="checkout"><input name="coupon"></form>';
  now += 500;
  fill($('[name=coupon]'), 'X');
  fire($('#checkout'), 'submit');
  await new Promise((r) => setTimeout(r, 1100));
  await t.flush();
  expect(c.names()).toEqual(['page', 'Form Started', 'page', 'Form Abandoned', 'Form Started', 'Form Submitted']);
  expect(c.events()[3].properties).toEqual({ form: 'checkout', lastField: 'street', fields: 1, duration: 2000 });
});

// The same accessible sections, each in a wrapper of its own (a layout's <div class="section">, a
// component's root element): every fieldset is the first of its kind among its siblings, and the
// selector (three levels up) is the same for all, so the sections were again one step.
test('a checkout whose unnamed fieldset sections are each wrapped in a div completes each section the visitor leaves for the next', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="checkout"><div class="section"><fieldset><legend>Shipping</legend><input name="street"></fieldset></div>' +
    '<div class="section"><fieldset><legend>Payment</legend><input name="coupon"></fieldset></div>' +
    '<div class="section"><fieldset><legend>Review</legend><input name="note"></fieldset></div><button>Pay</button></form>';
  fill($('[name=street]'), 's');
  fill($('[name=coupon]'), 'X');
  fill($('[name=note]'), 'n');
  const steps = (await props()).slice(1).map(([, p]) => (p as any).step);
  expect(steps).toHaveLength(2);
  expect(steps[0]).not.toBe(steps[1]);
});

// A validation library marks each section as the visitor goes (Angular's ng-touched / ng-dirty on a
// form group, a site's .is-valid once a section checks out): the selector an unnamed step was named
// by carries its classes, so the section named anew after the visitor came back to fix it was
// another step, completed a second time.
test('an unnamed fieldset section whose classes change as it is filled (a validation library) is completed once, going back to it and on again', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="checkout"><fieldset class="section"><input name="street"></fieldset><fieldset class="section"><input name="coupon"></fieldset><button>Pay</button></form>';
  fill($('[name=street]'), 's');
  fill($('[name=coupon]'), 'X');
  $('fieldset').classList.add('is-valid'); // the shipping section checks out
  fill($('[name=street]'), 't'); // back, to fix the address: nothing
  fill($('[name=coupon]'), 'Y'); // and on again: shipping was completed already
  expect((await props()).filter(([name]) => name == 'Form Step Completed')).toHaveLength(1);
});

// 9d5acd2 ended the duration of a form a lazy route took off the page at the route change, but only
// when a look finds it gone: the page left (the tab closed) or another route change before that look
// abandons it with the time up to then, so the figure still depends on the router's rendering order.
test.each([
  ['the page is left', () => window.dispatchEvent(new Event('pagehide'))],
  ['the visitor goes on to another route', () => history.pushState(null, '', '/contact')],
])('a form a lazy route took off the page after the URL changed is abandoned with the duration up to the route change when %s before the next look', async (_, leave) => {
  const { c, t } = start([pageViews(), forms()]);
  await t.flush();
  document.body.innerHTML = CHECKOUT;
  fill($('[name=email]'), 'a@b.co');
  now += 2000;
  history.pushState(null, '', '/help');
  await new Promise((r) => setTimeout(r, 1100)); // the look at 1 s: still there, the route's code loading
  now += 1500;
  $('#checkout').remove();
  now += 1000;
  leave();
  await t.flush();
  const abandoned = c.events().filter((e) => e.event == 'Form Abandoned');
  expect(abandoned.map((e) => e.properties)).toEqual([{ form: 'checkout', lastField: 'email', fields: 1, duration: 2000 }]);
});

// Told apart by their place (f84ce72), sections each in a wrapper of their own are counted among the
// wrappers: an error message the form shows at its top in a <div> of its own (a Bootstrap alert)
// moved every section one place down, and a section completed before it was completed again.
test('wrapped unnamed sections keep their names when the form shows an error message above them: a section is completed once', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="checkout"><div class="section"><fieldset><input name="street"></fieldset></div>' +
    '<div class="section"><fieldset><input name="coupon"></fieldset></div><button>Pay</button></form>';
  fill($('[name=street]'), 's');
  fill($('[name=coupon]'), 'X');
  $('#checkout').insertAdjacentHTML('afterbegin', '<div class="alert" role="alert">Check your address</div>');
  fill($('[name=street]'), 't'); // back, to fix the address: nothing
  fill($('[name=coupon]'), 'Y'); // and on again: the address section was completed already
  expect((await props()).filter(([name]) => name == 'Form Step Completed')).toHaveLength(1);
});

// README: a form sent with form.submit() (jQuery's $(form).submit() calls it) fires no submit event:
// it is no Form Submitted, and is abandoned as the page goes; requestSubmit() is seen.
test('a form sent with form.submit() is not seen as submitted, and is abandoned as the page goes; one sent with requestSubmit() is submitted (README)', async () => {
  const { props } = start();
  document.body.innerHTML = '<form id="a" action="javascript:void 0"><input name="q"></form><form id="b" action="javascript:void 0"><input name="r"></form>';
  const nav = (window as any).happyDOM.settings.navigation;
  nav.disableMainFrameNavigation = nav.disableFallbackToSetURL = true;
  try {
    fill($('[name=q]'), 'x');
    fill($('[name=r]'), 'y');
    $<HTMLFormElement>('#a').submit();
    $<HTMLFormElement>('#b').requestSubmit();
  } finally {
    nav.disableMainFrameNavigation = nav.disableFallbackToSetURL = false;
  }
  window.dispatchEvent(new Event('pagehide'));
  expect((await props()).filter(([name]) => name != 'Form Started').map(([name, p]) => [name, (p as any).form])).toEqual([
    ['Form Submitted', 'b'],
    ['Form Abandoned', 'a'],
  ]);
});

// 53b6e9e took the classes out of an unnamed step's path, as a validation library changes them as the
// visitor goes, but the path starts with the form's selector, which carries the form's own classes:
// Bootstrap's validation adds was-validated to a form (needs-validation) at a submit attempt, Angular
// swaps ng-pristine / ng-dirty on it. A section completed before, come back to, was named anew and
// completed again.
test('an unnamed section of a form with no id whose classes change (Bootstrap was-validated) is completed once, going back to it and on again', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<main><form class="needs-validation" novalidate><fieldset><input name="street"></fieldset><fieldset><input name="coupon"></fieldset><button>Pay</button></form></main>';
  fill($('[name=street]'), 's');
  fill($('[name=coupon]'), 'X'); // on: shipping completed
  $('form').classList.add('was-validated'); // a submit attempt the form's script stopped
  fill($('[name=street]'), 't'); // back, to fix the address: nothing
  fill($('[name=coupon]'), 'Y'); // and on again: shipping was completed already
  expect((await props()).filter(([name]) => name == 'Form Step Completed')).toEqual([
    ['Form Step Completed', { form: 'main>form.needs-validation', step: 'main>form.needs-validation>fieldset:nth-of-type(1)' }],
  ]);
});

// Known defect (a06cf87), left open: a level's place counts only the siblings that are or hold steps,
// so a section whose wrapper holds its fieldset only while it is open (an accordion checkout whose
// closed panels are unmounted: Headless UI's Disclosure, MUI's unmountOnExit, a v-if) takes the place
// of the section closed before it: shipping and payment are both div:nth-of-type(1), and moving on
// from shipping to payment completes nothing (f84ce72 named them div 1 and div 2). Telling a closed
// section from an error message shown above the sections needs a decision, not a few bytes.
test.fails('an accordion checkout whose closed sections are unmounted completes the section the visitor moves on from (known defect)', async () => {
  const { props } = start();
  document.body.innerHTML =
    '<form id="checkout"><div class="panel"><fieldset><input name="street"></fieldset></div><div class="panel"></div><button>Pay</button></form>';
  fill($('[name=street]'), 's');
  const [shipping, payment] = document.querySelectorAll('.panel');
  shipping.innerHTML = ''; // Continue: shipping closes, payment opens
  payment.innerHTML = '<fieldset><input name="coupon"></fieldset>';
  fill($('[name=coupon]'), 'X');
  expect((await props()).filter(([name]) => name == 'Form Step Completed')).toEqual([
    ['Form Step Completed', { form: 'checkout', step: '#checkout>div:nth-of-type(1)>fieldset:nth-of-type(1)' }],
  ]);
});
