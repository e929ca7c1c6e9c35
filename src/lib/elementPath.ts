/**
 * The elements an event went through, innermost first, or a falsy value when a
 * `data-waymark-ignore` subtree holds any of them, which Waymark must not see: anywhere on
 * the path, so a component's ignored part too (closest() stops at a shadow root's edge).
 * Elements only, tested with `instanceof`: window and document are on every path, and a page
 * element can stand in for their properties by named access (id="closest", id="hasAttribute").
 */
export const elementPath = (e: Event): Element[] | false => {
  const path = e.composedPath().filter((n): n is Element => n instanceof Element);
  return !path.some((n) => n.hasAttribute('data-waymark-ignore')) && path;
};
