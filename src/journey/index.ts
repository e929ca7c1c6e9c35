import { listen } from '../lib/listen';
import { memo } from '../lib/memo';
import type { JourneyContext, Plugin, PluginContext, StageChange, WaymarkEvent } from '../types';
import { glob, own, step, validate, type Rules } from './rules';

export type { Condition, Rule, Rules, ValueTest } from './rules';

const ENTERED = 'Journey Stage Entered';

/**
 * The journey-stage engine: `createTracker({ stages: journey(rules) })`.
 * `source` is a rules object, the URL of a rules JSON file, or `#id` of an inline
 * `<script type="application/json">` (before or after the Waymark script). While a file loads,
 * events wait (up to 5 s, and a later file still counts from then on) so they get their stage. Invalid or unreachable rules never break
 * the page: tracking goes on without stages and the problem is reported as a `rules` error
 * naming the JSON path.
 */
export function journey(source: Rules | string): Plugin {
  let rules: Rules | undefined;
  let ctx: PluginContext;
  let saved: any;
  let st: JourneyContext;
  let counts: Record<string, number>;
  let timer: any;
  /** Each rule's fingerprint, in rule order: counts are stored by position, and restored by fingerprint. */
  let ids: string[];
  let off = () => {};
  /** The other tabs of this site, which share the visitor's journey. */
  let tabs: BroadcastChannel | undefined;
  /** Another tab's last message, kept until the rules are loaded and the saved visitor read. */
  let later: any;
  /** The timer of the next message to the other tabs. */
  let post: any;
  /** This page's events judged before the saved visitor was read, with their selector answers. */
  let early: [WaymarkEvent, (selector: string) => boolean][];
  /** The stage entries announced meanwhile that the core holds; and those the saved journey made void, for restore to return. */
  let guesses: WaymarkEvent[];
  /** The stages the site's hook heard meanwhile (a Set: under `latest`, stages change without end). */
  let told: Set<unknown>;
  let voided: WaymarkEvent[] = [];
  /** Those guessed for a visitor a reset() forgot before the saved journey was read, and the events judged for it. */
  let stale: WaymarkEvent[] = [];
  /**
   * The touchpoints of this engine's own entries: the core copies an event's properties, not the
   * objects in them, so an entry is known by its touchpoint, and carries nothing more. (Not by
   * track()'s element, which sites read as an Element.)
   */
  const mine = new WeakSet<object>();
  /** The last stage entered when this page's events are judged again. */
  let missed: StageChange | 0;
  /** An event was judged while denied: its effect on the journey counts for nothing after a grant. */
  let lost: 0 | 1;
  /**
   * The events the core holds before the saved visitor is read, this engine's entries among them,
   * counted as it emits them (after every beforeSend: a site's may drop one); and the event being
   * judged, kept to be judged again if the core holds it.
   */
  let seen = 0;
  let last: [WaymarkEvent, ((selector: string) => boolean)?];
  // Only from a granted tab: a pending or denied tab's journey leaves nothing anywhere.
  const share = () => {
    post = clearTimeout(post);
    if (ctx.consentState == 'granted') tabs?.postMessage({ j: st, c: counts, k: ids });
  };
  /** The saved visitor has been read (after consent): counts now hold what it saved. */
  let restored = false;
  const save = () => ctx.save('j', { ...st, c: counts, k: ids });
  // Each path glob compiled once, not for every event.
  const re = memo(glob);

  /**
   * Takes in journey `j`, with the counts (`c`) and rule fingerprints (`k`) that came with it:
   * a stored one (its own fields are the journey, so `j` defaults to them: earlier visits',
   * taken into a blank journey, see merge(), or read again at a back/forward-cache return),
   * or another tab's message (`{ j, c, k }`). Another tab's counts include what the visitor saved, so each rule keeps the
   * higher count (a sum would count what the tabs share twice). The further stage wins;
   * under `latest`, a different one (it is the latest). Without sharing, the last tab to
   * save would write its own journey over the other's (a tab still at awareness over a
   * purchase).
   */
  const take = ({ c, k, ...stored }: any, j: any = stored) => {
    // A rules file edited since: each count follows its rule by fingerprint (a rule that
    // changed starts again from 0), not whichever rule now sits at its old position.
    for (const i in c) {
      const at = k ? ids.indexOf(k[i]) : +i;
      if (at >= 0) counts[at] = Math.max(counts[at] || 0, c[i]);
    }
    // A stage the rules file no longer has (renamed since) is not taken, under `latest` either.
    const at = rules!.stages.indexOf(j.stage);
    if (at >= 0 && (rules!.progression == 'latest' ? j.stage != st.stage : at > rules!.stages.indexOf(st.stage!))) st = j;
    ctx.setStage(st.stage);
    save();
  };

  // Run when the rules load, the saved visitor is read, or another tab's message comes (kept in
  // `later`): what is stored and what is sent both wait for the rules and the saved visitor.
  // Another tab's counts include what the visitor saved: taken before this tab's own restore,
  // they would be added to it a second time.
  const merge = () => {
    if (rules && restored) {
      if (saved || lost) {
        // This page's journey so far was a guess made before consent, without the saved one,
        // or from events a denial dropped. It starts again from the saved journey (or none),
        // and this page's events that the core kept are judged again, now that the core has
        // moved them onto the saved visitor and session. The entries guessed are not stored
        // (see restore): a returning customer is not sent back through awareness, and what a
        // denied page did counts for nothing.
        // The hook heard this page's guesses: judged again, it hears only a stage they never reached.
        missed = 0;
        voided = guesses;
        blank();
        // take() hands the tracker the stage and saves, with no saved journey too ({}).
        take(saved || {});
        early.forEach(([e, m]) => judge(e, m, 1));
        // (Set by judge(): the type checker does not see the call change it.)
        const m = missed as StageChange | 0;
        if (m && !told.has(m.stage)) ctx.emit('stage', m);
      }
      saved = lost = 0;
      early = [];
      guesses = [];
      // A message handler's throw would be the page's error.
      try {
        if (later) take(later, later.j);
      } catch {}
      later = 0;
    }
  };

  const load = (r: any, err?: unknown) => {
    let errors;
    // A selector this browser cannot parse (a typo, or :has() in an older browser) matches
    // nothing: said once, naming it, while the rest of the rules go on working.
    const unread: string[] = [];
    try {
      errors = err
        ? [source + ': ' + err]
        : validate(r, (s, p) => {
            // matches() parses the selector as querySelector() does, and throws the same
            // SyntaxError: <html> is there whenever a script runs.
            try {
              document.documentElement.matches(s);
            } catch {
              unread.push(`${p}: "${s}" is not a selector this browser reads; it matches nothing`);
            }
          });
    } catch (e) {
      errors = [source + ': ' + e];
    }
    if (errors[0]) return ctx.report({ code: 'rules', message: errors.join('; ') });
    rules = r;
    unread.forEach((message) => ctx.report({ code: 'rules', message }));
    // A 32-bit string hash of the rule, in base 36.
    ids = r.rules.map((u: unknown) => {
      let h = 0;
      for (const ch of JSON.stringify(u)) h = (h * 31 + ch.charCodeAt(0)) | 0;
      return h.toString(36);
    });
    merge();
  };

  const stamp = (e: WaymarkEvent, j: any) => (e.context.journey = { stage: j.stage, previousStage: j.previousStage, enteredAt: j.enteredAt });
  const blank = () => {
    st = { stage: null, previousStage: null, enteredAt: null };
    counts = {};
  };
  const reset = () => {
    blank();
    // Another tab's message kept for later, and this page's events kept to be judged again,
    // belong to the visitor just forgotten.
    saved = later = lost = 0;
    early = [];
    guesses = [];
    told = new Set();
  };
  reset();

  /** Judges event `e` (its selectors through `m`): steps the journey, announces a new stage, and stamps the event. */
  const judge = (e: WaymarkEvent, m: (selector: string) => boolean, again?: 1) => {
    const before = st.stage;
    // The stage it was given in: feedback made while the rules loaded was made at stage null.
    if (e.event == 'Feedback Submitted') e.properties!.stage = before;
    // A site's own event under the engine's name is sent as it is, but never judged: a replay
    // of the collector's events (the CLI) cannot tell it from the engine's, and skips both.
    const i = e.event == ENTERED ? -1 : step(rules!, st, counts, e, m, re);
    if (st.stage != before) {
      const change = { ...st, rule: i };
      ctx.setStage(st.stage);
      // The engine's own entry is known by its touchpoint (see `mine`).
      const touchpoint = { type: e.type, event: e.event || e.name, path: e.context.page?.path, messageId: e.messageId };
      mine.add(touchpoint);
      ctx.track(ENTERED, { ...change, ruleName: rules!.rules[i].name, touchpoint });
      // `ask` tells the site's on('stage') hook that this stage wants a feedback prompt. Judged
      // again, the hook has heard it already. A cast, not a copy of `stage` for its type: it
      // has just been entered, so it is not null.
      const heard = { ...change, event: e, ask: own(rules!.feedback, st.stage!) } as StageChange;
      again ? (missed = heard) : (ctx.emit('stage', heard), told.add(st.stage));
    }
    save();
    // A new stage goes to the other tabs at once; counts at most once a second (a message
    // costs more than the rest of a click). No channel (after teardown, when a late read judges
    // again; a page in the back/forward cache): no timer, and no post on a closed channel, which throws.
    if (tabs && i >= 0) st.stage != before ? share() : (post ||= setTimeout(share, 1e3));
    stamp(e, st);
  };

  const me: Plugin = {
    name: 'journey',
    // Made again for each tracker. A copy with the site's own hooks ({ ...journey(rules), beforeSend }) is
    // its own plugin, used as it is.
    _f: (p) => p == me && journey(source),
    setup(c) {
      ctx = c;
      // The core holds the earliest maxPending events. What it holds is judged again, and stamped:
      // a site's beforeSend may have returned a copy (its own context, structuredClone), with the messageId.
      // Its own entries too: those it holds are voided if the saved journey makes them void.
      c.on('event', (x) => restored || c.consentState == 'denied' || (seen++ < c.options.maxPending! && x.messageId == last?.[0].messageId && (last[1] ? early.push([x, last[1]]) : guesses.push(last[0]))));
      // A denied tab takes nothing: a message another tab posted before the revoke reached it
      // would give the visitor that a new grant starts the forgotten one's journey.
      const open = () => {
        if (typeof BroadcastChannel == 'function')
          (tabs = new BroadcastChannel('waymark:journey:' + c.options.storageName)).onmessage = (m) => c.consentState != 'denied' && ((later = m.data), merge());
      };
      open();
      // A count change still waiting to be shared goes before the tab does (teardown, page hide).
      const flush = () => post && share();
      // A page kept in the back/forward cache listens to nothing (a message would evict it): the
      // core gives it the saved journey again when it is shown (restore).
      const offHide = listen(window, 'pagehide', (e) => (flush(), (e as PageTransitionEvent).persisted && (tabs?.close(), (tabs = undefined))));
      // Size: only a page shown from the cache has no channel (or a browser without one, where
      // open() does nothing), so `persisted` need not be read.
      const offShow = listen(window, 'pageshow', () => tabs || open());
      if (typeof source != 'string') load(source);
      else {
        const release = c.hold();
        // `timer` doubles as "still wanted": whichever of load, failure or teardown comes first
        // wins. The hold is released whatever happens, or the page's events would wait forever:
        // at 5 s too, and then a file that comes later still gives the events after it their stage.
        const done = (r: unknown, err?: unknown) => {
          if (timer)
            try {
              timer = clearTimeout(timer);
              load(r, err);
            } finally {
              release();
            }
        };
        timer = setTimeout(() => (load(0, 'timed out'), release()), 5e3);
        const el = () => document.getElementById(source.slice(1));
        // An async script can run before the parser reaches an inline block placed after its
        // tag, or while the block is still arriving (its text cut short): then the block is
        // read once the document is parsed. Once something follows it, it is complete. A file
        // is fetched as the page fetches its own files: a staging site behind a login (HTTP
        // auth, a preview deployment's protection cookie) answers 401 to a request without them.
        new Promise((r) => (source[0] != '#' || el()?.nextSibling || document.readyState != 'loading' ? r(0) : (off = listen(document, 'DOMContentLoaded', r))))
          .then(() => (source[0] == '#' ? (el() ? JSON.parse(el()!.textContent!) : Promise.reject('not found')) : fetch(source).then((r) => (r.ok ? r.json() : Promise.reject('HTTP ' + r.status)))))
          .then(done, (e) => done(0, e));
      }
      // One teardown for rules of every kind: for a rules object, `off` is still the no-op and
      // `timer` was never set.
      return () => (off(), offHide(), offShow(), flush(), tabs?.close(), (tabs = undefined), (timer = clearTimeout(timer)));
    },
    beforeSend(e) {
      // Journey Stage Entered is queued behind the events already waiting: it carries the
      // journey it announces, not whatever the visitor reached by the time it is processed.
      // (Only the engine's own: a site's event of that name is not a guess, nor the journey.)
      // Kept to be voided at the saved visitor's read if the core holds it (see `seen`): no more
      // (under `latest`, a page that stays pending or denied enters stages without end).
      if (mine.has(e.properties?.touchpoint as any)) return void ((last = [e]), stamp(e, e.properties));
      if (!rules) return void stamp(e, st);
      // The DOM is read once per event however many rules test selectors: the ancestor
      // chain is collected here, and each distinct selector is tested once against it (and
      // the answers kept, should the event be judged again once the saved journey is read).
      const chain: Element[] = [];
      // Out of a shadow root through its host: a click in a component's template is also a
      // click in the component, and in the page around it ([data-plan] on a <my-app> matches).
      // (`instanceof`: a page element named "host" is document.host, by named access.)
      for (let n: any = e.element; n; n = n.parentElement || (n.parentNode instanceof ShadowRoot && n.parentNode.host)) chain.push(n);
      const m = memo((s) =>
        chain.some((n) => {
          try {
            return n.matches(s);
          } catch {
            // A selector the browser cannot parse matches nothing.
          }
        }),
      );
      // Kept to be judged again at the saved visitor's read if the core holds it (see `seen`: an
      // event it dropped must make no entry); a denied page's events are dropped, and count for nothing.
      if (ctx.consentState == 'denied') lost = 1;
      else last = [e, m];
      judge(e, m);
    },
    restore(v) {
      // Read again (the back/forward cache shows the page again): what is saved is the other
      // pages' news, taken as another tab's message is, over what this page reached itself.
      if (restored && rules && v.j) return void take(v.j);
      saved = v.j;
      restored = true;
      merge();
      const f = v._ as any;
      const j = f?.j;
      const at = (x: any) => rules!.stages.indexOf(x);
      // Only the forgotten visitor's own (the core has moved them onto its id, or, when a beforeSend
      // returned a copy, moved the copy and left ours with the ids they had, `l`): not those of a
      // visitor between two resets.
      // A saved stage the rules file no longer lists (renamed) is not taken back: nothing is judged at it.
      const old = (g: WaymarkEvent, x: any) => j && ~at(j.stage) && (g.anonymousId == f.a || g.anonymousId == v.l) && (rules!.progression == 'latest' ? x == j.stage : at(x) <= at(j.stage));
      // The core does not store these: the entries guessed before the saved journey was known,
      // and those guessed before a reset() that the forgotten visitor's saved journey (`_`, the
      // core's) had reached, or under `latest` was in: a returning customer's landing page view
      // enters no awareness, and carries their stage.
      return [...voided.splice(0), ...stale.splice(0).filter((g) => (mine.has(g.properties?.touchpoint as any) ? old(g, g.properties!.stage) : void (old(g, g.context.journey!.stage) && stamp(g, j))))];
    },
    reset() {
      restored || stale.push(...guesses, ...early.map(([e]) => e));
      reset();
    },
  };
  return me;
}
