import { actionable } from './actionable';
import { directText } from './directText';

/**
 * The element a click stands for, as the site wrote it; else null for a click on nothing
 * clickable, false for one in a field or an editor (the forms module's business, and the
 * user's own text), undefined for one in a `data-waymark-ignore` subtree anywhere on its path
 * (a component's shadow root included, where closest() cannot see).
 *
 * Web components: closest() stops at a shadow root's edge, so the first element of each tree
 * the click went through is asked in turn, innermost first (an icon's own shadow root, the
 * <slot> of the button it sits in, the page). A clickable around the component then wins, as
 * its handler runs and it says where the click goes (a router link around a design system's
 * button). The component stands for a clickable in its shadow root when that names nothing
 * (its text is the site's, slotted: <x-button>Buy</x-button>) or the site annotated the
 * component (data-waymark-*); not otherwise, so that in an app that is one component the
 * links of its <site-nav> stay apart; and never a component with a name, a form field's
 * (<x-password name="password">), which is never described.
 */
export const clickTarget = (e: Event): Element | null | false | undefined => {
  const path = e.composedPath() as any[];
  if (path.some((n) => n.hasAttribute?.('data-waymark-ignore'))) return;
  const firsts: Element[] = [];
  let tree: Node | undefined;
  for (const n of path) if (n.closest && n.getRootNode() != tree) firsts.push(n), (tree = n.getRootNode());
  // An editor anywhere on the way (a mention chip in a message being written) holds the user's text.
  if (firsts.some((n) => (n as HTMLElement).isContentEditable)) return false;
  let el: Element | null | false = null;
  for (const n of firsts) if ((el = actionable(n)) != null) break;
  if (!el) return el;
  // The components around it, outermost first: a clickable around one of them wins, as it is.
  const hosts: Element[] = [];
  for (let h: any = el; (h = (h.getRootNode() as ShadowRoot).host); ) hosts.unshift(h);
  for (const h of hosts) {
    const around = actionable(h);
    if (around) return around;
  }
  const h = hosts.pop();
  const named = directText(el) || el.getAttribute('aria-label') || el.getAttribute('name');
  return h && !h.hasAttribute('name') && (!named || [...h.attributes].some((a) => !a.name.indexOf('data-waymark-'))) ? h : el;
};
