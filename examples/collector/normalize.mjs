// Turns one validated event into a row of the `events` table. The well-known fields the
// journey queries need are copied into plain columns here, at ingest, so that the SQL needs
// no JSON functions (they differ in every database). Capture modules may leave some of
// these out; every column is nullable and the queries cope.

const obj = (x) => (x !== null && typeof x == 'object' && !Array.isArray(x) ? x : {});
const str = (x, max = 500) => (typeof x == 'string' && x ? x.slice(0, max) : typeof x == 'number' ? String(x) : null);
const num = (x) => (typeof x == 'number' && Number.isFinite(x) ? x : typeof x == 'string' && x.trim() && Number.isFinite(+x) ? +x : null);
const first = (...xs) => xs.find((x) => x != null) ?? null;

const SEARCH = /(^|\.)(google|bing|duckduckgo|yahoo|ecosia|baidu|yandex|qwant|naver|seznam)\./;
const SOCIAL = /(^|\.)(facebook|instagram|t\.co|twitter|x|linkedin|reddit|pinterest|tiktok|youtube|mastodon|threads|bsky)\./;

/**
 * The channel when the SDK's attribution() module sent none: the same names and, roughly,
 * the same rules, applied to the UTM values and referrer every event carries. Internal
 * navigation says nothing about how the visitor arrived, so it gets no channel.
 */
export function classifyChannel(page) {
  let q;
  let url;
  try {
    url = new URL(page.url);
    q = url.searchParams;
  } catch {
    return null;
  }
  const medium = (q.get('utm_medium') || '').toLowerCase();
  const source = (q.get('utm_source') || '').toLowerCase();
  const social = /social/.test(medium) || SOCIAL.test(source + '.');
  const paid = /cpc|ppc|paid/.test(medium);
  // Click ids as attribution() reads them: fbclid is on organic Facebook shares too.
  const id = (ks) => ks.split(' ').some((k) => q.has(k));
  if (/display|banner|cpm/.test(medium) || id('dclid')) return 'display';
  if (id('ttclid li_fat_id twclid') || (paid && social)) return 'paid social';
  if (id('gclid msclkid wbraid gbraid') || paid) return 'paid search';
  if (/mail|newsletter/.test(medium + ' ' + source)) return 'email';
  if (social || id('fbclid')) return 'social';
  if (medium == 'organic') return 'organic search';
  if (medium || source) return medium == 'referral' ? 'referral' : 'other';
  let ref;
  try {
    ref = page.referrer ? new URL(page.referrer) : null;
  } catch {
    ref = null;
  }
  if (!ref) return 'direct';
  if (ref.host == url.host) return null;
  if (/mail|newsletter/.test(ref.hostname)) return 'email';
  if (SEARCH.test(ref.hostname)) return 'organic search';
  // A dot after the host, as after the source: the pattern ends each name with one, and t.co has none after it.
  if (SOCIAL.test(ref.hostname + '.')) return 'social';
  return 'referral';
}

/** A readable name for the element of a click event: its selector (else tag and id) and its text. */
function element(p) {
  const text = str(p.text, 60);
  const tag = str(p.tag || p.tagName);
  const id = str(p.id);
  const where = str(p.selector, 400) || [tag && tag.toLowerCase(), id && '#' + id].filter(Boolean).join('');
  const label = [where, text && `"${text}"`].filter(Boolean).join(' ');
  return label || null;
}

/**
 * What moved the visitor into a stage, as one readable line: "Element Clicked on /pricing",
 * "page view of /products". The engine sends the triggering event's type, name and path.
 */
function touchpoint(t) {
  if (typeof t == 'string') return t.slice(0, 300) || null;
  if (!t || typeof t != 'object') return null;
  const path = str(t.path, 200);
  const what = t.type == 'page' ? 'page view' : str(t.event, 100) || str(t.type, 20);
  if (!what && !path) return null;
  return [what, path && (t.type == 'page' ? 'of ' : 'on ') + path].filter(Boolean).join(' ');
}

/**
 * @param {any} e a validated event
 * @param {{ receivedAt: number, sentAt: number | null }} meta
 */
export function toRow(e, meta) {
  const p = obj(e.properties);
  const c = obj(e.context);
  const page = obj(c.page);
  const camp = obj(c.campaign);
  const journey = obj(c.journey);
  const session = obj(c.session);
  const name = e.type == 'track' ? e.event : e.type;
  const isForm = /^Form /.test(name);
  const isClick = /Click/.test(name);
  const skew = meta.sentAt == null ? 0 : meta.receivedAt - meta.sentAt;
  let path = str(page.path, 2000);
  if (!path && page.url) {
    try {
      path = new URL(page.url).pathname;
    } catch {}
  }
  return {
    message_id: e.messageId,
    type: e.type,
    event: name,
    name: str(e.name, 200),
    anonymous_id: e.anonymousId,
    user_id: str(e.userId, 200),
    // When it happened by the collector's clock, as Segment does: a browser's clock can be
    // hours or years off, and its events would fall outside the period they came in. The
    // batch's sentAt, on the same clock as the timestamp, tells the skew. Under a minute it is
    // the time the request spent on the way (the SDK gives up on one after 30 s), which
    // differs from one request to the next: moved by it, a visitor's events could change order.
    // Over a minute, the skew still holds the time on the way, which differs from one request
    // to the next: one visitor's events are put in order by their own clock, browser_ts.
    ts: Date.parse(e.timestamp) + (Math.abs(skew) > 6e4 ? skew : 0),
    browser_ts: Date.parse(e.timestamp),
    sent_at: meta.sentAt,
    received_at: meta.receivedAt,
    session_id: str(session.id, 200),
    session_number: num(session.number),
    // A Web Vital belongs to the page load it measured, which in an SPA may be an earlier route.
    page_path: name == 'Web Vital' && str(p.path, 2000) ? str(p.path, 2000) : path,
    page_url: str(page.url, 4000),
    referrer: str(page.referrer, 4000),
    channel: str(camp.channel, 50) || (page.url ? classifyChannel(page) : null),
    first_channel: str(obj(camp.first).channel, 50),
    utm_source: str(camp.source, 200),
    utm_medium: str(camp.medium, 200),
    utm_campaign: str(camp.name ?? camp.campaign, 200),
    stage: str(journey.stage, 100),
    previous_stage: str(journey.previousStage, 100),
    stage_entered: name == 'Journey Stage Entered' ? str(p.stage, 100) : null,
    touchpoint: name == 'Journey Stage Entered' ? touchpoint(p.touchpoint) : null,
    form_id: isForm ? str(first(p.form, p.formId, p.formName, p.id), 200) : null,
    field_name: isForm ? str(first(p.lastField, p.field, p.fieldName), 200) : null,
    element: isClick ? element(p) : null,
    metric: name == 'Web Vital' ? str(p.name, 20) : null,
    metric_value: name == 'Web Vital' ? num(p.value) : null,
    rating: name == 'Web Vital' ? str(p.rating, 30) : null,
    // web-vitals reports CLS and INP again as they grow, under one id; the last report counts.
    metric_id: name == 'Web Vital' ? str(p.id, 100) : null,
    score: name == 'Feedback Submitted' ? num(p.score) : null,
    scale: name == 'Feedback Submitted' ? str(p.scale, 10) : null,
    feedback_stage: name == 'Feedback Submitted' ? str(p.stage, 100) || str(journey.stage, 100) : null,
    comment: name == 'Feedback Submitted' ? str(p.comment, 1000) : null,
    properties: e.properties === undefined ? null : JSON.stringify(e.properties),
    traits: e.traits === undefined ? null : JSON.stringify(e.traits),
    context: e.context === undefined ? null : JSON.stringify(e.context),
  };
}
