/**
 * The element an event is about, or null when it is not an element (document, window, a
 * text node) or sits in a `data-waymark-ignore` subtree, which Waymark must not see.
 */
export const eventElement = ({ target: el }: Event & { target: any }): Element | null =>
  el.closest && !el.closest('[data-waymark-ignore]') ? el : null;
