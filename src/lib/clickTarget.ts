import { actionable, FIELDS } from './actionable';
import { elementPath } from './elementPath';

/** The component whose shadow root holds `n`, if any. (`instanceof`: a page element named "host" is document.host, by named access.) */
const hostOf = (n: Node): Element | undefined => {
  const r = n.getRootNode();
  return r instanceof ShadowRoot ? r.host : undefined;
};

/**
 * What a click was on: `[clickable, described]`, the element that acts and the one that stands
 * for it as the site wrote it (its href is the first's); else null for a click on nothing
 * clickable, false for one in a field or an editor (the forms module's business, and the
 * user's own text), undefined for one that must not be seen (see elementPath).
 *
 * Web components: closest() stops at a shadow root's edge, so the first element of each tree
 * the click went through is asked in turn, innermost first (an icon's own shadow root, the
 * <slot> of the button it sits in, the page). A link around the component then wins: it says
 * where the click goes (a router's <a> around a design system's button). Otherwise the
 * component stands for the clickable in its shadow root when that shows the site's content
 * (it holds a <slot>: <x-button>Buy</x-button>) or the site annotated the component
 * (data-waymark-*), and never when the component holds a form field (<x-password>, an
 * <sl-input>'s clear button): form fields are never described. So in an app that is one
 * component, the links of its <site-nav> stay apart.
 */
export const clickTarget = (e: Event): Element[] | null | false | undefined => {
  const path = elementPath(e);
  if (!path) return;
  const firsts: Element[] = [];
  let tree: Node | undefined;
  for (const n of path) if (n.getRootNode() != tree) firsts.push(n), (tree = n.getRootNode());
  // An editor anywhere on the way (a mention chip in a message being written) holds the user's text,
  // a component that is a non-editable island in one too (a node view's <x-mention contenteditable=false>). The selector
  // is actionable()'s, written out again: a shared constant cost frustration 23 B, the repeat costs nothing.
  if (firsts.some((n) => n.closest('[contenteditable]:not([contenteditable=false])'))) return false;
  let el: Element | null | false = null;
  for (const n of firsts) if ((el = actionable(n)) != null) break;
  if (!el) return el;
  const h = hostOf(el);
  // The outermost link around the components around it.
  let link: Element | null | undefined;
  for (let c = h; c; c = hostOf(c)) link = c.closest('a[href]') || link;
  if (link) return [link, link];
  // Two querySelector calls, in the component's own small tree, and only for a click in one.
  // A button at the top of the shadow root with no text and no label (an icon button's
  // `<button part="base"><svg>`) describes nothing: the component does, if that is the only button
  // or link in it (an app that is one component has more). (A link says where it goes.)
  return [
    el,
    h &&
    !h.shadowRoot?.querySelector(FIELDS) &&
    (el.querySelector('slot') ||
      (el.parentNode == h.shadowRoot &&
        el.localName == 'button' &&
        !el.textContent!.trim() &&
        !el.getAttribute('aria-label') &&
        h.shadowRoot!.querySelectorAll('a,button').length < 2) ||
      [...h.attributes].some((a) => !a.name.indexOf('data-waymark-')))
      ? h
      : el,
  ];
};
