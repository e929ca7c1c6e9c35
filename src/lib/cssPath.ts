/** An id or name with a run of 5+ digits (an account, order or card number): never reported. */
export const numbered = (s: string | null): boolean => /\d{5}/.test(s!);

/**
 * The element's classes that are safe and stable to report: letters, `-` and `_` only.
 * Classes with digits or odd characters are left out: CSS-in-JS hashes (`css-1x2y3z`)
 * change on every deploy, Tailwind's (`w-1/2`, `md:flex`) would need escaping, and a
 * class like `acct-4111111111111111` can carry a number that is nobody's business.
 */
export const classes = (el: Element): string[] => [...el.classList].filter((c) => /^[a-z_-]+$/i.test(c));

/**
 * A short CSS selector for `el`: at most three levels below body, stopping at the first
 * usable id, with up to two `classes()` per level. An id with a run of 5+ digits (an
 * account, order or card number) is never used. The id is read with getAttribute because
 * a form's `id` property can be clobbered by a field named "id".
 */
export const cssPath = (el: Element): string => {
  let out = '';
  for (let i = 3; i-- && el && el.localName != 'body'; el = el.parentElement!) {
    const id = el.getAttribute('id');
    if (id && /^[a-z][\w-]*$/i.test(id) && !numbered(id)) return '#' + id + out;
    out = '>' + [el.localName, ...classes(el).slice(0, 2)].join('.') + out;
  }
  return out.slice(1);
};
