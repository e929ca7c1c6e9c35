/**
 * The element an event is about, or a falsy value when it is not an element (document, window, a
 * text node) or sits in a `data-waymark-ignore` subtree, which Waymark must not see.
 */
export const eventElement = ({ target: el }: Event & { target: any }): Element | false | undefined =>
  // `&& el` rather than `? el : null`: both callers only test the answer for truthiness.
  el.closest && !el.closest('[data-waymark-ignore]') && el;
