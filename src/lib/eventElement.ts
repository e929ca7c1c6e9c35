import { elementPath } from './elementPath';

/**
 * The element an event is about, as a listener on the document sees it in a browser: the first
 * element of the page's own tree on its path (a browser retargets what happened inside a
 * component's shadow root to its host; happy-dom does not, so it is done here). A falsy value
 * when there is none or it must not be seen (see elementPath).
 */
export const eventElement = (e: Event): Element | false | undefined => {
  const path = elementPath(e);
  return path && path.find((n) => n.getRootNode() == document);
};
