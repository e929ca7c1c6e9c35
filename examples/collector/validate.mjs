// Checks a request body against the Segment-style batch that Waymark sends. Returns a list of
// problems, each naming the JSON path of the bad field, so that a 400 says exactly what is wrong.

export const LIMITS = {
  /** Segment's HTTP API caps a batch at 500 KB and an event at 32 KB; the SDK stays well under both. */
  bodyBytes: 512 * 1024,
  eventBytes: 32 * 1024,
  events: 500,
  idLength: 200,
};

const TYPES = new Set(['page', 'track', 'identify']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

const isObject = (x) => x !== null && typeof x == 'object' && !Array.isArray(x);
const isId = (x) => typeof x == 'string' && x.length > 0 && x.length <= LIMITS.idLength;
/** An ISO 8601 time with a zone that Date can read; a bare date or a local time is ambiguous. */
export const isTime = (x) => typeof x == 'string' && ISO.test(x) && !Number.isNaN(Date.parse(x));

/**
 * Checks the envelope: what makes the whole request unusable.
 * @param {unknown} body the parsed JSON
 * @returns {string[]} problems; empty when the events can be looked at one by one
 */
export function validateEnvelope(body) {
  if (!isObject(body)) return ['the body must be a JSON object like {"batch": [...], "sentAt": "..."}'];
  if (!Array.isArray(body.batch)) return ['batch: must be an array of events'];
  if (!body.batch.length) return ['batch: is empty'];
  if (body.batch.length > LIMITS.events) return [`batch: has ${body.batch.length} events; the limit is ${LIMITS.events}`];
  const problems = [];
  if (body.sentAt !== undefined && !isTime(body.sentAt)) problems.push('sentAt: must be an ISO 8601 time such as "2026-01-31T12:00:00.000Z"');
  if (body.dropped !== undefined && !(Number.isInteger(body.dropped) && body.dropped >= 0)) problems.push('dropped: must be a whole number of events');
  return problems;
}

/**
 * Every problem in a batch: the envelope's, then each event's, each naming its JSON path.
 * @param {unknown} body the parsed JSON
 * @returns {string[]} problems; empty when the whole batch can be stored
 */
export function validateBatch(body) {
  const problems = validateEnvelope(body);
  if (problems.length) return problems;
  /** @type {any} */ (body).batch.forEach((e, i) => problems.push(...validateEvent(e, `batch[${i}]`)));
  return problems;
}

/** @returns {string[]} */
export function validateEvent(e, at) {
  if (!isObject(e)) return [`${at}: must be an object`];
  const p = [];
  if (!TYPES.has(e.type)) p.push(`${at}.type: must be "page", "track" or "identify"`);
  if (e.type == 'track' && !(typeof e.event == 'string' && e.event.length > 0 && e.event.length <= 200)) {
    p.push(`${at}.event: a track event needs its name (1 to 200 characters)`);
  }
  if (!isId(e.messageId)) p.push(`${at}.messageId: must be a non-empty string, unique per event, so that retries can be deduplicated`);
  if (!isId(e.anonymousId)) p.push(`${at}.anonymousId: must be a non-empty string`);
  if (e.userId != null && !isId(e.userId)) p.push(`${at}.userId: must be null or a string of 1 to ${LIMITS.idLength} characters`);
  if (!isTime(e.timestamp)) p.push(`${at}.timestamp: must be an ISO 8601 time such as "2026-01-31T12:00:00.000Z"`);
  for (const k of ['properties', 'traits', 'context']) {
    if (e[k] !== undefined && !isObject(e[k])) p.push(`${at}.${k}: must be an object`);
  }
  if (p.length) return p;
  // JSON.parse takes nesting that JSON.stringify cannot give back (RangeError: call stack):
  // refuse that event only, or the whole batch would fail with a 500 and be retried forever.
  let size;
  try {
    size = JSON.stringify(e).length;
  } catch {
    return [`${at}: is nested too deeply to store`];
  }
  if (size > LIMITS.eventBytes) p.push(`${at}: is over ${LIMITS.eventBytes / 1024} KB`);
  return p;
}
