import { actionable } from './actionable';
import { directText } from './directText';

/**
 * What a click was on: `[clickable, described]`; else null for a click on nothing clickable,
 * false for one in a field or an editor (the forms module's business: a label forwards its
 * click to its field, a field may be slotted into a component's <label>), and undefined for
 * one in a `data-waymark-ignore` subtree anywhere on its path (a component's shadow root
 * included: closest() would stop at its boundary, and the site's own component may mark a
 * part of itself), which must not be seen at all.
 *
 * `clickable` is the nearest clickable around the first element of each tree the click went
 * through, innermost first: closest() stops at a shadow root's edge, so each tree is asked in
 * turn (an icon's own shadow root, then the <slot> of the button it sits in, then the page).
 * `described` stands for it, as the site wrote it: the outermost of the clickable and the
 * components around it that names itself (own text, aria-label or name), else the outermost.
 * A design system's <x-button>Buy</x-button> is the click (its inner <button> holds only a
 * <slot>); in an app whose whole page is one component (<my-app>, naming nothing), the button
 * in its template is. Browsers retarget e.target to the outermost host for a listener on the
 * document; the path is whole.
 */
export const clickTarget = (e: Event): Element[] | undefined | null | false => {
  const path = e.composedPath() as any[];
  if (path.some((n) => n.hasAttribute?.('data-waymark-ignore'))) return;
  let el: Element | null | false | undefined;
  let tree: Node | undefined;
  for (const n of path)
    if (n.closest && n.getRootNode() != tree) {
      tree = n.getRootNode();
      if ((el = actionable(n)) != null) break;
    }
  if (!el) return el;
  const around = [el];
  for (let h: any = el; (h = (h.getRootNode() as ShadowRoot).host); ) around.unshift(h);
  return [el, around.find((h) => directText(h) || h.getAttribute('aria-label') || h.getAttribute('name')) || around[0]];
};
