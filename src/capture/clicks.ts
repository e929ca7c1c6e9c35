import type { Plugin } from '../types';
import { mask } from '../lib/mask';
import { clickTarget } from '../lib/clickTarget';
import { elementPath } from '../lib/elementPath';
import { directText } from '../lib/directText';
import { safeListen } from '../lib/safeListen';
import { classes, cssPath, usableId } from '../lib/cssPath';

/**
 * Clicks: an `Element Clicked` event for each click on an actionable element (a link, a
 * button, `[role=button]`, `[role=link]`, a tab or menu item (`[role=tab]`, `[role^=menuitem]`),
 * a submit or button input, a label, a summary, or anything
 * marked `data-waymark-event`), found as the nearest such ancestor of what was clicked.
 * Properties: `tag`, `id` (only one the selector may use: no email, no long digit run),
 * `classes` (at most 5, those cssPath would use), `role`, `label` (aria-label or name, 80 chars),
 * `text` (direct text only, 80 chars), `href` (redacted), `selector`, and each
 * `data-waymark-NAME` attribute as `NAME`. Emails and long digit runs in label, text and
 * the data-waymark-* values are masked; in a `data-waymark-mask` subtree (people's names) there
 * is no label nor text. Form fields and editors (contenteditable) are
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
          // What acts (its href is the click's) and what stands for it (a web component: see clickTarget).
          const [a, el] = clickTarget(e) || [];
          if (!el) return;
          let p: Record<string, unknown> = {};
          // In a data-waymark-mask subtree, out of shadow roots too (a component rendering names): no label, no text.
          const m = (elementPath(e) as Element[]).some((n) => n.hasAttribute('data-waymark-mask'));
          // Undefined on most elements, an object on SVG links: neither matches below, so no href.
          const href = (a as HTMLAnchorElement).href;
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
            label: !m && mask(el.getAttribute('aria-label') || el.getAttribute('name') || '').slice(0, 80),
            text: !m && directText(el),
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
