import type { Plugin, PluginContext, Properties, WaymarkEvent } from '../types';
import { cssPath, personal } from '../lib/cssPath';
import { eventElement } from '../lib/eventElement';
import { isSensitive } from '../lib/isSensitive';
import { safeListen } from '../lib/safeListen';

/** ValidityState flags in the order they are reported (the first one that is true wins). */
const CHECKS = 'valueMissing typeMismatch patternMismatch tooShort tooLong rangeUnderflow rangeOverflow stepMismatch badInput customError'.split(' ');

/** One-letter keys: the state never leaves this module, and `_name` keys are only renamed by the script-tag build. */
interface FormState {
  /** the form's name as it started: a form removed from the page before it is abandoned (a
   * router that updates the URL after rendering the next route) has a shorter selector */
  f: string;
  /** the form's selector as it started, an unnamed step's name's start: a validation library changes
   * the form's classes as the visitor goes (Bootstrap's was-validated, Angular's ng-dirty) */
  c: string;
  /** started at (ms) */
  t: number;
  /** last field touched, unless it was sensitive; and its element */
  l?: string;
  e?: Element;
  /** fields the user changed (a `change` event: a value was committed; the value itself is never read) */
  n: Set<Element | string>;
  /** the step container the user is in, its name (as it was there: it may be off the page now), and the steps completed */
  s?: Element | null;
  m?: string | null;
  d: Set<string>;
  /** submitted or abandoned: no Form Abandoned any more */
  x?: 1;
  /** its Form Started has come through beforeSend: a page view after that is one it started before */
  p?: 1;
  /** the look, a second after a route change, whether the form is still on the page; and that look, to run it sooner */
  w?: ReturnType<typeof setTimeout>;
  g?: (() => unknown) | 0;
}

/**
 * Forms: `Form Started` on the first input or change in a form (per page view),
 * `Form Step Completed` when the user moves on from a step (`[data-waymark-step]`
 * containers, else fieldsets; custom wizards dispatch `waymark:step`, see below),
 * `Form Field Invalid` with the failed validity check, `Form Submitted`, and
 * `Form Abandoned` when a started form is left unsubmitted (`pagehide`, `freeze` or an SPA
 * route change; a tab switch is not leaving) with the last field touched, the number of
 * fields changed and the time spent.
 * Values are never read; password, hidden and payment fields are never named.
 *
 * A wizard that is not made of fieldsets reports its steps with a DOM event, from any
 * element in the form: `el.dispatchEvent(new CustomEvent('waymark:step', { bubbles: true, detail: { step: 'shipping' } }))`.
 */
export function forms(): Plugin {
  let t: PluginContext;
  const states = new Map<Element, FormState>();
  /** Invalid fields already reported this page view: checkValidity() fires `invalid` on every call. */
  let seen = new Set<string>();
  /** Each form's page (context.page) as of its last event, for its Form Abandoned. */
  const pages = new WeakMap<Element, WaymarkEvent['context']['page']>();

  // A name or id with an email or a long digit run (an account or order number) is not sent:
  // the selector is, which skips it.
  const nameOf = (el: Element, n = el.getAttribute('name') || el.getAttribute('id')) => (n && !personal(n) ? n : cssPath(el));
  const fieldName = (el: Element) => (isSensitive(el) ? undefined : nameOf(el));
  // With the state `s`: the number of fields changed and the time spent, up to `at` (the route
  // change that left the form, for an abandonment found by a later look). Only the two last
  // events (Submitted, Abandoned) pass it, so this is also where the form is marked done:
  // one `s.x = 1` here instead of one at each caller (the assignment's 1 lets the && go on).
  const send = (event: string, form: Element, p?: Properties, s?: FormState, at = Date.now()) =>
    t.track('Form ' + event, { form: states.get(form)?.f || nameOf(form), ...p, ...(s && (s.x = 1) && { fields: s.n.size, duration: at - s.t }) }, form);

  const start = (form: Element, field?: Element) => {
    let s = states.get(form);
    if (!s) {
      // A form gone since a route change, its look pending, is abandoned first: the new route's own
      // form (the same id) starts after the old one's end, in whichever order the router renders.
      states.forEach((o, f) => f.isConnected || (o.g && o.g()));
      states.set(form, (s = { f: nameOf(form), c: cssPath(form), t: Date.now(), n: new Set(), d: new Set() }));
      send('Started', form, { field: field && fieldName(field) });
    }
    return s;
  };

  // A step container's name. Steps are told apart by it: a wizard renders a step anew (a new
  // element) when the visitor comes back to it. One with no name (a <fieldset> and its <legend>,
  // whose text may greet the visitor by name, so it is not used) is the form's selector and its path
  // from the form, each level's place among its siblings of its kind that are or hold steps (`k`,
  // `sel`): every level, as each section may be in a wrapper of its own (then each is the first of
  // its kind there), but not counting what holds no step (an error message the form shows above
  // them); and no classes, which a validation library changes as the visitor goes (a step named
  // anew is another): the form's selector is the one it started with (`c`).
  const stepName = (step: Element, form: Element, sel: string, c: string, n = step.getAttribute('name') || step.getAttribute('id'), s = '') => {
    for (let e = step, k = 1, p: Element | null; e != form; s = '>' + e.localName + ':nth-of-type(' + k + ')' + s, e = e.parentElement!, k = 1)
      for (p = e; (p = p.previousElementSibling); ) k += +(p.localName == e.localName && !!(p.matches(sel) || p.querySelector(sel)));
    return step.getAttribute('data-waymark-step') || (n && !personal(n) ? n : c + s);
  };
  // Starts the form if needed (a custom wizard's first step can come before any input).
  const stepDone = (form: Element, step: string) => {
    const done = start(form).d;
    done.has(step) || (done.add(step), send('Step Completed', form, { step }));
  };

  // `e`: the page-hide or freeze event, or a page view. A page view leaves only the forms started
  // before it was made: it may have waited behind a hold (the saved visitor being read, a rules
  // file loading) while the visitor started one on it. Those are the forms whose Form Started
  // came through here before it (`p`): events keep their order, the clock may not (a start in
  // the same millisecond, a clock set back). And it leaves only those that the new route took
  // off the page: React Router and Vue Router render it after changing the URL (a lazy route
  // once its code has loaded, seconds later on a slow phone), so a form still there is looked at
  // again 1, 3, 7 and 15 s later (`k`: the wait before the next look); one still there then (a
  // wizard whose steps are routes in one form, a search box in the header) is still being
  // filled. (With a form, the state `s` of that form.) The looks are the latest route change's
  // (`w`, cleared on teardown; `g`, run sooner when another form starts, the page is left or the
  // route changes again), and a form one finds gone was left at that change (`at`): its duration
  // is not the seconds the look took, nor those until the next event.
  const abandon = (e: any, s?: any, form?: any, k = 1e3, at = Date.now()): any =>
    form
      ? (clearTimeout(s.w), (s.g = 0), e.messageId && !s.x && form.isConnected)
        ? k < 9e3 && (s.w = setTimeout((s.g = () => abandon(e, s, form, k * 2, at)), k))
        : (s.x || send('Abandoned', form, { lastField: s.l }, s, at), e.messageId && states.delete(form))
      : states.forEach((s, form) => (!e.messageId || s.p) && (!form.isConnected && s.g ? s.g() : abandon(e, s, form)));

  /**
   * A field's form. A design system's field (Shoelace's <sl-input>, Web Awesome's) is a custom
   * element whose `form` is a string (no built-in one is): its form's id or '', reflected as the
   * `form` attribute. A form-associated custom element may have no `form` at all (it is its
   * ElementInternals'), nor has a rich-text editor (contenteditable). Their form is the one the
   * `form` attribute names, else the one around them. Another element without a form element
   * (a link in a form) has none (a falsy value).
   */
  const formOf = (el: any, f = el.form): Element | null | false =>
    f instanceof HTMLFormElement ? f : (typeof f == 'string' || el.constructor.formAssociated || el.isContentEditable) && ((f = el.getAttribute('form')) ? document.getElementById(f) : el.closest('form'));

  // One handler for every document event: they share the element lookup, and each
  // listener costs bytes.
  const onEvent = (e: Event & { detail?: { step?: unknown } }) => {
    const el = eventElement(e) as HTMLInputElement | null;
    if (!el) return;
    const type = e.type;
    if (type == 'submit') {
      return send('Submitted', el, {}, start(el));
    }
    if (type == 'waymark:step') {
      // A Next button outside its form (form="id", in a sticky footer) has the form as `form`;
      // closest() first, as a form's own `form` would be a field named "form".
      const form = el.closest('form') || formOf(el) || el;
      return form.closest('[data-waymark-ignore]') || stepDone(form, String(e.detail?.step || ''));
    }
    const form = formOf(el);
    // Buttons have a `form` too, and these types. A field outside its form (form="id") is
    // not inside the form's data-waymark-ignore subtree: the form itself is checked.
    if (!form || form.closest('[data-waymark-ignore]') || /^(submit|button|reset|image)$/.test(el.type)) return;
    if (type == 'invalid') {
      // Undefined for a sensitive field, else never empty.
      const field = fieldName(el);
      if (!field) return;
      // A form-associated custom element's validity may be its ElementInternals' only: no check then.
      const check = CHECKS.find((k) => (el.validity as any)?.[k]);
      // A NUL keeps form f + field email apart from form fe + field mail: no attribute holds
      // one. (No check's name ends another's, so field and check need none.)
      const key = nameOf(form) + '\0' + field + check;
      // One statement with the return (its value is ignored), smaller than an if and a bare return.
      return seen.has(key) || (seen.add(key), send('Field Invalid', form, { field, check }));
    }
    const s = type == 'focusin' ? states.get(form) : start(form, el);
    if (!s) return;
    // A radio group is one field: its options share a name (a radio without one is a group of its own).
    // A field that is no built-in one (a design system's, an editor) may fire no `change` the
    // document sees (Shoelace's stays in its shadow root): its input is the change.
    if (type == 'change' || (type == 'input' && !(el.form instanceof HTMLFormElement))) s.n.add((el.type == 'radio' && el.name) || el);
    // Still in the same field (every keystroke lands here): its name and step are known.
    if (el == s.e) return;
    s.e = el;
    s.l = fieldName(el);
    // Steps: [data-waymark-step] containers when the form has any, else fieldsets; the outermost
    // in the form (the first in document order) that holds the field: a fieldset in a step (a
    // radio group's) is part of it; one around others that holds every control of the form, its
    // buttons too (a <fieldset disabled> that disables the form while it is sent; a CSRF token may
    // be outside), is the form, no step. Undefined for a field in none, or outside the form (form="id").
    const sel = form.querySelector('[data-waymark-step]') ? '[data-waymark-step]' : 'fieldset';
    const inForm = [...form.querySelectorAll(sel)].find(
      (x) => x.contains(el) && !(x.querySelector(sel) && [...(form as HTMLFormElement).elements].every((f: any) => x.contains(f) || f.type == 'hidden')),
    );
    // Moving on completes a step; going back to an earlier one (2: DOCUMENT_POSITION_PRECEDING),
    // to fix an address, does not complete the step left. From a step rendered anew, off the page
    // (where the order is the browser's whim), going back is going to one completed; from one still
    // on the page, the order says it (a section skipped, filled on the way back up, then left for
    // a later one completed already, is moving on).
    const n = inForm && stepName(inForm, form, sel, s.c);
    if (s.s && n != s.m && !(n && (s.s.isConnected ? s.s.compareDocumentPosition(inForm!) & 2 : s.d.has(n)))) stepDone(form, s.m!);
    s.s = inForm;
    s.m = n;
  };

  const me: Plugin = {
    name: 'forms',
    // Made again for each tracker. A copy with the site's own hooks ({ ...forms(), beforeSend }) is
    // its own plugin, used as it is.
    _f: (p) => p == me && forms(),
    setup(ctx) {
      t = ctx;
      // `invalid` does not bubble; the capture phase still sees it. The page is left on
      // `pagehide`, or on `freeze` (a hidden tab about to be frozen or discarded); a tab
      // that is only hidden is not left (a switch to fetch a 2FA code comes back to submit).
      // pagehide on window: capture there runs before the tracker's own page-hide handler,
      // so the abandonment rides in the page-hide beacon instead of waiting for the next visit.
      const offs = 'focusin input change invalid submit waymark:step freeze pagehide'
        .split(' ')
        .map((type, i) => safeListen(i > 6 ? window : document, type, i > 5 ? abandon : onEvent));
      return () => (offs.forEach((off) => off()), states.forEach((s) => clearTimeout(s.w)));
    },
    beforeSend(e) {
      const f = e.element;
      // A page view is a new page for forms too: forms left behind are abandoned.
      if (e.type == 'page') abandon(e), (seen = new Set());
      // That abandonment is made after the route changed, so it takes the page of the form's
      // last event (a copy, made before later hooks see it), not the new route's.
      // Only this module's events: not a copy of the page context for every click.
      else if (f && e.event?.startsWith('Form '))
        e.event == 'Form Abandoned' ? (e.context.page = pages.get(f) || e.context.page) : (pages.set(f, { ...e.context.page }), ((states.get(f) || {}) as FormState).p = 1);
    },
  };
  return me;
}
