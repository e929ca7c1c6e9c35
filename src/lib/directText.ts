import { mask } from './mask';

/**
 * The element's own text: its child text nodes only, never descendants' (which may be
 * user content such as a name in an avatar menu). Whitespace is collapsed, then the text
 * is masked (emails, 6+ digit runs) before it is truncated to 80 characters.
 */
export const directText = (el: Element): string => {
  let s = '';
  for (const n of el.childNodes) if (n.nodeType == 3) s += n.nodeValue;
  return mask(s.replace(/\s+/g, ' ').trim()).slice(0, 80);
};
