/**
 * The element an event is about, as a listener on the document sees it in a browser: the first
 * element of the page's own tree on its path (a browser retargets what happened inside a
 * component's shadow root to its host; happy-dom does not, so it is done here). A falsy value
 * when there is none or a `data-waymark-ignore` subtree holds it, which Waymark must not see:
 * anywhere on the path, so a component's ignored part too.
 */
export const eventElement = (e: Event): Element | false | undefined => {
  // Elements only, tested with `instanceof`: window is on every path, and a page element can
  // stand in for its properties by named access (id="hasAttribute").
  const path = e.composedPath().filter((n): n is Element => n instanceof Element);
  const el = path.find((n) => n.getRootNode() == document);
  // `&& el` rather than `? el : null`: both callers only test the answer for truthiness.
  return el && !path.some((n) => n.hasAttribute('data-waymark-ignore')) && el;
};
