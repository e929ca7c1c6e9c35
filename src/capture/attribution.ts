import { landing as loaded } from '../lib/landing';
import type { Campaign, Plugin, WaymarkEvent } from '../types';

/** Click ids in channel order: 0-3 paid search, 4 display, 5-7 paid social, 8 social (Facebook adds fbclid to organic shares too). */
const IDS = 'gclid msclkid wbraid gbraid dclid ttclid li_fat_id twclid fbclid'.split(' ');
const SEARCH = /google|bing|yahoo|duckduckgo|baidu|yandex|ecosia|search/i;
/** Where a visitor goes to pay or sign in and comes back from: the return is no new touch (it would take the last touch from the campaign that brought them). */
const ROUND_TRIP = /(^|\.)(stripe|paypal|klarna|adyen|mollie|braintreegateway|afterpay|affirm|accounts\.google|appleid\.apple|login\.microsoftonline|login\.live)\.com$/;
const SOCIAL = /facebook|instagram|linkedin|lnkd|twitter|reddit|pinterest|tiktok|youtube|threads|bsky|^(t\.co|x\.com|fb|ig|x)$/i;

interface Touches {
  f: Campaign;
  l: Campaign;
}

/**
 * Attribution: UTM parameters, click ids and the referrer of the landing page, classified
 * into a channel (see the README table), and carried on every event as
 * `context.campaign`: the last touch (`channel`, `source`, `medium`, `name`, `term`,
 * `content`, the click id under its own name such as `gclid`, the `referrer` host) with the visitor's first touch in
 * `context.campaign.first`. A landing with UTM parameters, a click id or an external
 * referrer is a new touch; anything else keeps the current one. Both touches are kept
 * with the visitor (persisted only after consent) and forgotten on `reset()`.
 */
export function attribution(): Plugin {
  let t: { save(key: string, value: unknown): void };
  let landing: Campaign | undefined;
  let cur: Campaign;
  // The saved touches are restored after the visitor is read from storage (after consent),
  // but the landing page view is made before that. Events made until then are kept (at
  // most 200: memory is bounded even if nothing is ever restored) and get the restored
  // touches: they are still in the tracker's memory, not yet serialised.
  let early: WaymarkEvent[] | undefined = [];
  /** The events made before a reset() that came before the read, and this page's landing: the forgotten visitor's. */
  let old: WaymarkEvent[] | undefined;
  let was: Campaign | undefined;

  // One touch is both the first and the last (a new visitor).
  const apply = (f: Campaign, l = f) => {
    cur = { ...l, first: f };
    t.save('c', { f, l } satisfies Touches);
    // Also covers events made before setup, when a module listed earlier tracked in its setup.
    early?.forEach((e) => (e.context.campaign = { ...cur }));
  };

  const me: Plugin = {
    name: 'attribution',
    // Made again for each tracker. A copy with the site's own hooks ({ ...attribution(), beforeSend }) is
    // its own plugin, used as it is.
    _f: (p) => p == me && attribution(),
    setup(ctx) {
      t = ctx;
      // The landing's URL (document.referrer is its referrer), redacted: a UTM value that carries
      // an email address is masked like everywhere else.
      const q = new URL(ctx.redact(loaded())).searchParams;
      const c: Campaign = {};
      'source medium campaign term content'.split(' ').forEach((k) => {
        const v = q.get('utm_' + k);
        if (v) c[k == 'campaign' ? 'name' : k] = v;
      });
      const i = IDS.findIndex((k) => q.get(k));
      // Under its own name (`gclid: '…'`): the name says which ad platform can resolve it.
      if (i >= 0) c[IDS[i]] = q.get(IDS[i]);
      const ref = /^\w+:\/\/([^/:?#]+)/.exec(document.referrer)?.[1];
      const tagged = Object.keys(c).length;
      // The site's own domain is no referral: its host, subdomains and parent domains, with
      // `www.` dropped so that www.shop.com, shop.com and blog.shop.com are one site. (A
      // leading dot makes endsWith match whole labels only: notshop.com is another site.)
      const site = (h: string) => '.' + h.replace(/^www\./, '');
      const h = site(location.hostname);
      const r = ref && site(ref);
      if (r && !h.endsWith(r) && !r.endsWith(h) && !ROUND_TRIP.test(ref!)) c.referrer = ref;
      if (tagged || c.referrer) {
        const m = c.medium || '';
        const s = c.source || c.referrer || '';
        const social = i > 4 || /social/i.test(m) || SOCIAL.test(s);
        const paid = /cpc|ppc|paid/i.test(m);
        // A search click id (gclid…) is paid search even from a social referrer (a Google video
        // ad on YouTube): only a social click id, or a paid medium with a social source, is paid social.
        c.channel =
          i == 4 || /display|banner|cpm/i.test(m) ? 'display'
          : (i > 4 && i < 8) || (paid && social) ? 'paid social'
          : (i >= 0 && i < 8) || paid ? 'paid search'
          : /mail|newsletter/i.test(m + ' ' + s) ? 'email'
          : social ? 'social'
          : /organic/i.test(m) || SEARCH.test(s) ? 'organic search'
          : /referral/i.test(m) || !tagged ? 'referral'
          : 'other';
        landing = c;
      }
      apply(landing || { channel: 'direct' });
    },
    restore(saved) {
      const c = saved.c as Touches | undefined;
      if (c && c.f) apply(c.f, landing || c.l || c.f);
      // After a reset() before the read, the core gives the forgotten visitor (`_`): the events made
      // for it get its touches, as they would have without the reset (nothing is saved for it).
      const g = (saved._ as any)?.c as Touches | undefined;
      g?.f && old?.forEach((e) => (e.context.campaign = { ...(was || g.l || g.f), first: g.f }));
      // Called again when the back/forward cache shows the page: this page's landing is saved
      // by then, and a later one (another page's) is the last touch.
      early = landing = old = undefined;
    },
    reset() {
      // A new visitor has no touches yet; this page's landing belongs to the one who left.
      old ||= early;
      was ||= landing;
      landing = early = undefined;
      apply({ channel: 'direct' });
    },
    beforeSend(e) {
      // A copy per event, so that a beforeSend changing one event cannot change the others.
      e.context.campaign = { ...cur };
      if (early && early.length < 200) early.push(e);
    },
  };
  return me;
}
