/**
 * The element's own text: its child text nodes only, never descendants' (which may be
 * user content such as a name in an avatar menu). Whitespace is collapsed, emails and
 * runs of 6+ digits (cards, phones, ids; spaces and dashes between digits allowed) are
 * masked BEFORE truncating to 80 characters, so a cut can never leave half an email behind.
 */
export function directText(el: Element): string {
  let s = '';
  for (const n of el.childNodes) if (n.nodeType == 3) s += n.nodeValue;
  return s
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\w.+-]+@[\w-]+\.[\w.-]+/g, '***')
    .replace(/\d(?:[ -]?\d){5,}/g, '***')
    .slice(0, 80);
}
