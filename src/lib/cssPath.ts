/**
 * A short CSS selector for `el`: at most three levels below body, stopping at the first
 * id, with up to two classes per level. Classes with digits or odd characters are left
 * out: CSS-in-JS hashes (`css-1x2y3z`) change on every deploy, and Tailwind's (`w-1/2`,
 * `md:flex`) would need escaping. The id is read with getAttribute because a form's `id`
 * property can be clobbered by a field named "id".
 */
export function cssPath(el: Element): string {
  let out = '';
  for (let i = 0; i++ < 3 && el && el.localName != 'body'; el = el.parentElement!) {
    const id = el.getAttribute('id');
    if (id && /^[a-z][\w-]*$/i.test(id)) return '#' + id + out;
    out = '>' + el.localName + [...el.classList].filter((c) => /^[a-z_-]+$/i.test(c)).slice(0, 2).map((c) => '.' + c).join('') + out;
  }
  return out.slice(1);
}
