import type { Plugin } from '../types';
import { listen } from '../lib/listen';

export interface PageViewOptions {
  /** Count fragment changes (`#/route`) as navigation, for hash routers. Default false. */
  hash?: boolean;
}

type HistoryMethod = 'pushState' | 'replaceState';

/**
 * Page views: one on load, one per SPA navigation, and one when the back/forward cache shows the page again. `pushState` and `popstate` count when
 * the path or query changes; `replaceState` only when the path does (routers call it to
 * tidy a query string, which is not a new page). The history patch is removed on teardown.
 */
export function pageViews(options: PageViewOptions = {}): Plugin {
  return {
    name: 'pageViews',
    setup(t) {
      const H = history;
      let live = true;
      // Only a hash-router route (#/cart, #!/cart, up to its query) is a page: an in-page anchor
      // (#faq) is not, and the core sends both as they are redacted, without the anchor.
      const route = () => location.pathname + ((options.hash && /^#!?\/[^?&=]*/.exec(location.hash)?.[0]) || '');
      let lastRoute = route();
      // Route and query apart: /a?y#x and /a#x?y are different pages, and a URL's fragment
      // cannot hold a space (the parser encodes it).
      let lastUrl = lastRoute + ' ' + location.search;
      // Given what called it: replaceState counts only a new route; pushState, popstate and
      // hashchange (an event) count a new query too. Passed straight, so no wrapper per listener.
      const view = (by: unknown) => {
        const r = route();
        const u = r + ' ' + location.search;
        if (live && (by == 'replaceState' ? r != lastRoute : u != lastUrl)) t.page();
        lastRoute = r;
        lastUrl = u;
      };
      const patch = (name: HistoryMethod) => {
        const orig: any = H[name];
        const wrapped: any = function (this: History, ...args: Parameters<History[HistoryMethod]>) {
          const r = orig.apply(this, args);
          try {
            view(name);
          } catch {}
          return r;
        };
        // What to put back: the method we wrapped, skipping wrappers of trackers shut down since.
        wrapped.o = () => (orig.o && !orig.l() ? orig.o() : orig);
        wrapped.l = () => live;
        H[name] = wrapped;
        return () => {
          // If another script wrapped ours since, removing ours would remove theirs: `live`
          // makes ours inert instead, and the tracker below us unwraps it later.
          if (H[name] != wrapped) return;
          const prev = wrapped.o();
          prev == History.prototype[name] ? delete (H as any)[name] : (H[name] = prev);
        };
      };
      const undo = [
        patch('pushState'),
        patch('replaceState'),
        listen(window, 'popstate', view),
        // Back or forward to a page kept in the back/forward cache: the browser shows it again
        // without loading it, and the visitor sees it again (a journey may go back to /pricing).
        listen(window, 'pageshow', (e) => (e as PageTransitionEvent).persisted && t.page()),
        ...(options.hash ? [listen(window, 'hashchange', view)] : []),
      ];
      t.page();
      return () => {
        live = false;
        undo.forEach((f) => f());
      };
    },
  };
}
