/**
 * An id or name that may carry personal data, never reported: an email (`@`), or a run of
 * 5+ digits (an account, order or card number), with whitespace, dots, slashes or dashes
 * between them, as mask() takes them: `acct-1234-5678-9012` is a number too, and a field's
 * name (not an id: usableId() refuses dots and slashes) can hold `phone.06.12.34.56.78`.
 */
export const personal = (s: string | null): boolean => /@|\d([\s./\u2010-\u2015-]*\d){4}/.test(s!);

/**
 * Whether an id may be reported, in a selector or as itself: it must be a plain CSS
 * identifier (no escaping needed), and not personal(). Returns it, or a falsy value.
 */
export const usableId = (id: string | null): string | false | null | '' =>
  // The id itself when usable, so that a caller needs no copy of its own.
  id && /^[a-z][\w-]*$/i.test(id) && !personal(id) && id;

/**
 * The element's classes that are safe and stable to report: letters, `-` and `_` only.
 * Classes with digits or odd characters are left out: CSS-in-JS hashes (`css-1x2y3z`)
 * change on every deploy, Tailwind's (`w-1/2`, `md:flex`) would need escaping, and a
 * class like `acct-4111111111111111` can carry a number that is nobody's business.
 */
export const classes = (el: Element): string[] => [...el.classList].filter((c) => /^[a-z_-]+$/i.test(c));

/**
 * A short CSS selector for `el`: at most three levels below body, stopping at the first
 * usable id (`usableId()`), with up to two `classes()` per level. The id is read with
 * getAttribute because a form's `id` property can be clobbered by a field named "id".
 */
export const cssPath = (el: Element): string => {
  let out = '';
  for (let i = 3; i-- && el && el.localName != 'body'; el = el.parentElement!) {
    const id = el.getAttribute('id');
    if (usableId(id)) return '#' + id + out;
    out = '>' + [el.localName, ...classes(el).slice(0, 2)].join('.') + out;
  }
  return out.slice(1);
};
