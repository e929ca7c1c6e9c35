import type { Plugin } from '../types';
import { actionable } from '../lib/actionable';
import { cssPath } from '../lib/cssPath';
import { directText } from '../lib/directText';
import { elementPath } from '../lib/elementPath';
import { eventElement } from '../lib/eventElement';
import { isSensitive } from '../lib/isSensitive';
import { safeListen } from '../lib/safeListen';

/**
 * Frustration signals, from the user's own clicks only (not a script's). `Rage Click`: 3
 * clicks within 1 s and 30 px of the first, reported once per burst, unless they selected
 * the text they landed on (a triple click selects a paragraph). `Dead Click`: a click on an actionable element after which, for 1 s,
 * nothing happened: no navigation, no DOM change, no focus change (the page's included), no popover toggled. A link or a form
 * submission that the page did not prevent is not judged (it is loading another document).
 * DOM changes count in the document and in the open shadow roots the click went through. Both carry `selector`
 * and `text` of the element; a Rage Click on anything else (plain content, a field, an
 * editor) carries its `selector` only.
 */
export function frustration(): Plugin {
  return {
    name: 'frustration',
    setup(t) {
      // The burst: its first click (its time and position are all that is read) and the count.
      let first: MouseEvent | undefined;
      let n = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      // The submit event that the click being judged caused, if any.
      let sub: Event | 0 = 0;
      /** The user's latest click: while it is dispatched (eventPhase not 0), a script click answers it. */
      let cur: Event | undefined;
      // `plain`: not actionable, so maybe the user's own content (an editor, a field, a
      // paragraph), or in a data-waymark-mask subtree: its selector only, never its text.
      const report = (event: string, el: Element, plain?: unknown) =>
        t.track(event, { selector: cssPath(el), text: (!plain && directText(el)) || undefined }, el);
      const settle = () => {
        clearTimeout(timer);
        mo.disconnect();
      };
      // One observer, watching only while a candidate is pending.
      const mo = new MutationObserver(settle);
      // Within 30 px on each axis: the squares are below 900 exactly when the distances are below 30.
      // The hot path is arithmetic and one closest() walk; describing waits for a verdict.
      // clientX/Y and timeStamp come with the event, so nothing here forces layout.
      const off = safeListen(document, 'click', (e: MouseEvent) => {
        const target = eventElement(e);
        if (!target) return;
        // A script's clicks (a carousel calling el.click() on a timer) are nobody's frustration;
        // but one made while the user's click is dispatched (an upload button calling
        // input.click()) is the page reacting, so the click being judged is not dead.
        // And a label's click is forwarded to its control: a second trusted click, the same user
        // click (its timeStamp), to count once.
        if (!e.isTrusted || cur?.timeStamp == e.timeStamp) return cur?.eventPhase && settle();
        cur = e;
        const el = actionable(target);
        // Masked: on the click's whole path, as for clicks. The page's element may be slotted into a
        // component that masks it in its shadow root, where closest() does not look.
        const m = (elementPath(e) as Element[]).some((n) => n.hasAttribute('data-waymark-mask'));
        if (first && e.timeStamp - first.timeStamp < 1e3 && (e.clientX - first.clientX) ** 2 < 900 && (e.clientY - first.clientY) ** 2 < 900) {
          // A triple click on plain content that selected the text it landed on is the
          // selection gesture, not rage; on a button or link it is rage whatever it selected.
          // (Written as "actionable, or no selection over the target": 2 B smaller than its negation.)
          const sel = getSelection();
          if (++n == 3 && !isSensitive(el || target) && (el || !sel || sel.isCollapsed || !sel.getRangeAt(0).intersectsNode(target)))
            report('Rage Click', el || target, !el || m);
        } else (first = e), (n = 1);
        // A newer click replaces the candidate, so a rage burst on a dead button ends in one Dead Click.
        settle();
        // Labels toggle checkboxes without a DOM mutation; new-tab and download links and
        // modifier clicks act outside this page. None of them can be judged from here.
        if (!el || el.matches('label,[target],[download]') || e.metaKey || e.ctrlKey || e.shiftKey) return;
        const url = location.href;
        const focus = document.activeElement;
        sub = 0;
        // The document, and the (open) shadow roots of the components the click went through,
        // inside one or slotted into one: what changes in a shadow root is not the document's.
        for (const n of [document, ...e.composedPath().map((n) => (n as Element).shadowRoot)])
          n && mo.observe(n, { childList: true, subtree: true, attributes: true, characterData: true });
        timer = setTimeout(() => {
          settle();
          // A link or a form submission that the page did not prevent is loading another
          // document: the URL stays until its response arrives, which can take over 1 s.
          // A page without focus gave it to what the click opened (window.open: a new tab, a
          // share popup), which changes neither the DOM nor the URL.
          if (
            document.hasFocus() &&
            url == location.href &&
            focus == document.activeElement &&
            (e.defaultPrevented || /^(javascript:|$)/.test((el as HTMLAnchorElement).href || '')) &&
            !(sub && !sub.defaultPrevented)
          )
            report('Dead Click', el, m);
        }, 1e3);
      });
      const offSubmit = safeListen(document, 'submit', (e: Event) => (sub = e));
      // A popover shown or hidden (popovertarget, showPopover()) changes the top layer only:
      // no mutation, no focus change. Its `toggle` does not bubble; capture sees it.
      const offToggle = safeListen(document, 'toggle', settle);
      // A page left while a click is judged (a button that sets location.href) went somewhere: kept in
      // the back/forward cache, its timer would fire when Back shows it again, on nothing changed.
      const offHide = safeListen(window, 'pagehide', settle);
      return () => (settle(), off(), offSubmit(), offToggle(), offHide());
    },
  };
}
