import type { Plugin } from '../types';
import { mask } from '../lib/mask';
import { actionable } from '../lib/actionable';
import { directText } from '../lib/directText';
import { safeListen } from '../lib/safeListen';
import { classes, cssPath, usableId } from '../lib/cssPath';

/**
 * Clicks: an `Element Clicked` event for each click on an actionable element (a link, a
 * button, `[role=button]`, a submit or button input, a label, a summary, or anything
 * marked `data-waymark-event`), found as the nearest such ancestor of what was clicked.
 * Properties: `tag`, `id` (only one the selector may use: no email, no long digit run),
 * `classes` (at most 5, those cssPath would use), `role`, `label` (aria-label or name),
 * `text` (direct text only, 80 chars), `href` (redacted), `selector`, and each
 * `data-waymark-NAME` attribute as `NAME`. Emails and long digit runs in label, text and
 * the data-waymark-* values are masked. Form fields and editors (contenteditable) are
 * never described, and a `data-waymark-ignore` subtree is invisible.
 */
export function clicks(): Plugin {
  return {
    name: 'clicks',
    // One passive capture listener: it sees clicks that the page stops from bubbling,
    // and it never delays scrolling or the page's own handlers.
    setup: (t) =>
      safeListen(
        document,
        'click',
        (e: MouseEvent) => {
          const path = e.composedPath() as any[];
          // data-waymark-ignore anywhere on the way, a component's shadow root included (closest()
          // would stop at its boundary): the site's own component may mark a part of itself.
          if (path.some((n) => n.hasAttribute?.('data-waymark-ignore'))) return;
          // What was clicked: the nearest clickable around the first element of each tree the click
          // went through, innermost first. closest() stops at a shadow root's edge, so each tree is
          // asked in turn: an icon's own shadow root, then the <slot> of the button it sits in, then
          // the page. (Browsers retarget e.target to the host for this listener; the path is whole.)
          // A field or an editor ends it: the forms module's business (a label forwards its click
          // to its field, a field may be slotted into a component's <label>).
          let el: Element | null | false | undefined;
          let tree: Node | undefined;
          for (const n of path)
            if (n.closest && n.getRootNode() != tree) {
              tree = n.getRootNode();
              if ((el = actionable(n)) != null) break;
            }
          if (!el) return;
          // Described as the site wrote it: the outermost of the clickable and the components
          // around it that names itself. A design system's <x-button>Buy</x-button> is the click
          // (its inner <button> holds only a <slot>); in an app whose whole page is one component
          // (<my-app>, which names nothing), the button in its template is.
          const around = [el];
          for (let h: any = el; (h = (h.getRootNode() as ShadowRoot).host); ) around.unshift(h);
          el = around.find((h) => directText(h) || h.getAttribute('aria-label') || h.getAttribute('name')) || around[0];
          let p: Record<string, unknown> = {};
          // Undefined on most elements, an object on SVG links: neither matches below, so no href.
          const href = (el as HTMLAnchorElement).href;
          const cls = classes(el).slice(0, 5);
          // `!indexOf` is a prefix test (startsWith compresses worse); `a.name` twice, not a
          // destructured { name, value }, is 3 B smaller after brotli here.
          for (const a of el.attributes) if (!a.name.indexOf('data-waymark-')) p[a.name.slice(13)] = mask(a.value);
          // The data-waymark-* properties first, as before: a built-in property of the same name
          // (data-waymark-tag) takes its place, even when empty.
          p = {
            ...p,
            tag: el.localName,
            // Only an id the selector could use: not an email (id="jane@example.com") nor one
            // with a long digit run, grouped or not (an account, order or card number).
            id: usableId(el.getAttribute('id')),
            // A class is never empty, so cls[0] is falsy only for no classes.
            classes: cls[0] && cls,
            role: el.getAttribute('role'),
            label: mask(el.getAttribute('aria-label') || el.getAttribute('name') || ''),
            text: directText(el),
            // Web URLs are redacted; for mailto:, tel: and the like the scheme alone is
            // enough, as the address is nobody's business.
            href: /^https?:/.test(href) ? t.redact(href) : /^[\w+.-]+:/.exec(href)?.[0],
            selector: cssPath(el),
          };
          // Empty values (false, 0, '', null) become undefined, which drops them from the JSON.
          for (const k in p) p[k] ||= undefined;
          t.track('Element Clicked', p, el);
        },
      ),
  };
}
