/**
 * The element an event is about, or null when it is not an element (document, window, a
 * text node) or sits in a `data-waymark-ignore` subtree, which Waymark must not see.
 */
export const eventElement = (e: Event): Element | null => {
  const el = e.target as Element;
  return el.closest && !el.closest('[data-waymark-ignore]') ? el : null;
};
