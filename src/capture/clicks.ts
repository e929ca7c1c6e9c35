import type { Plugin } from '../types';
import { mask } from '../lib/mask';
import { actionable, FIELDS } from '../lib/actionable';
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
          // A click in a web component's open shadow root (a design system's <x-button>) has
          // its target inside it, where closest() stops: the host, in the page's own tree, is
          // what the site wrote, and it stands for the click when what was clicked in it is
          // actionable. (Browsers retarget e.target to the host for this listener; happy-dom does not.)
          // For each node on the path: true for an element in the page's own tree, false for one in
          // a shadow root, undefined for the rest (text nodes, the document, window: no closest()).
          // One map read by indexOf, instead of two walks that each test the root.
          const inPage = path.map((n) => n.closest && n.getRootNode() == document);
          // The first element that is in the page's own tree.
          const host = path[inPage.indexOf(true)];
          // The first element the click went through in a shadow root: what was clicked there, or
          // the <slot> showing what the site put in the component (<x-button><b>Buy</b></x-button>,
          // an icon), whose click is the component's too.
          const i = inPage.indexOf(false);
          // When what was clicked there is actionable, the click is the component's: the first
          // page-tree element after path[i] (its host), looked up in place (a helper for the two
          // indexOf(true) reads compresses worse).
          // Null too for a click inside a field (or the click a label forwards to its field),
          // which is the forms module's business, and for a click in an editor: a field the
          // site slotted into a component's <label> included.
          // data-waymark-ignore anywhere on the way, a component's shadow root included (closest()
          // would stop at its boundary): the site's own component may mark a part of itself.
          const el = !path.some((n) => n.hasAttribute?.('data-waymark-ignore')) && host && (actionable(host) || (!host.matches(FIELDS) && actionable(path[i]) && path[inPage.indexOf(true, i)]));
          if (!el) return;
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
