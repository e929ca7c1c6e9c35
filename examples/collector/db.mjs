// The collector's storage: SQLite through better-sqlite3, with the schema and every query
// in plain SQL files (./sql) so that they can be read, and ported to a warehouse, alone.
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { toRow } from './normalize.mjs';

const sql = (name) => readFileSync(new URL(`./sql/${name}.sql`, import.meta.url), 'utf8');

/** Bump when sql/schema.sql changes: a demo database from an older schema is rebuilt. */
const SCHEMA_VERSION = 4;

/** The report's sections, each one query file run over the period [from, to). */
const REPORTS = [
  'summary',
  'deliveries',
  'funnel',
  'dropoff_pages',
  'time_to_stage',
  'channels',
  'touchpoints',
  'forms',
  'form_fields',
  'frustration',
  'web_vitals',
  'feedback',
  'feedback_comments',
];
const SINGLE = new Set(['summary', 'deliveries']);

/** Without a rules file the stage order is learned from the data, up to this many stages. */
const LEARNED_STAGES = 20;

/**
 * Opens (or creates) the event store.
 * @param {{ file: string, stages?: string[] }} options `file` may be ':memory:'; `stages`
 *   is the stage order from the rules file.
 */
export function openStore({ file, stages = [], log = () => {} }) {
  if (file != ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL: the dashboard's reads do not wait for ingest's writes, nor the other way round.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // user_version is SQLite's own schema counter; a warehouse would use migrations instead.
  const version = db.pragma('user_version', { simple: true });
  const hasEvents = db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'events'").pluck().get();
  // Schema 3 had no browser_ts: its ts was the browser's timestamp (not yet moved by a skew), so
  // the column is added from it and the events are kept.
  if (hasEvents && version == 3) db.exec('DROP VIEW IF EXISTS stage_entries; ALTER TABLE events ADD COLUMN browser_ts BIGINT; UPDATE events SET browser_ts = ts;');
  else if (hasEvents && version != SCHEMA_VERSION) {
    log(`${file} has an older schema; its demo events were cleared.`);
    db.exec('DROP VIEW IF EXISTS stage_entries; DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS stages; DROP TABLE IF EXISTS deliveries;');
  }
  // A view holds no data: recreate it, so that an edited view applies to existing events.
  db.exec('DROP VIEW IF EXISTS stage_entries;' + sql('schema'));
  db.pragma(`user_version = ${SCHEMA_VERSION}`);

  const insert = db.prepare(sql('insert_event'));
  const knownStages = new Set(db.prepare('SELECT stage FROM stages').pluck().all());
  // `WHERE 1 = 1` keeps SQLite from reading ON CONFLICT as part of the SELECT (its documented parsing ambiguity).
  const addStage = db.prepare(
    'INSERT INTO stages (stage, position) SELECT ?, COALESCE(MAX(position), 0) + 1 FROM stages WHERE 1 = 1 ON CONFLICT (stage) DO NOTHING',
  );
  const setStage = db.prepare(
    'INSERT INTO stages (stage, position) VALUES (?, ?) ON CONFLICT (stage) DO UPDATE SET position = excluded.position',
  );
  const logDelivery = db.prepare(
    'INSERT INTO deliveries (received_at, events, duplicates, dropped, content_type) VALUES (?, ?, ?, ?, ?)',
  );
  const queries = Object.fromEntries(REPORTS.map((name) => [name, db.prepare(sql(name))]));

  // With a rules file, its stages are the funnel: a stage only seen in data (a typo, an old
  // rules file, a hostile sender) is stored on its event but never ranked, or a visitor in it
  // would count as having reached every stage before it. Without one, the order is learned
  // from the data in the order seen, up to LEARNED_STAGES, so that memory and the funnel stay bounded.
  let configured = false;
  let warned = false;
  const configure = db.transaction((order) => {
    configured = order.length > 0;
    if (configured) {
      db.prepare('DELETE FROM stages').run();
      knownStages.clear();
    }
    // Configured stages come first, in their order; without any, the learned ones keep theirs.
    const rest = db.prepare('SELECT stage FROM stages ORDER BY position').pluck().all().filter((s) => !order.includes(s));
    [...order, ...rest].forEach((s, i) => setStage.run(s, i + 1));
    order.forEach((s) => knownStages.add(s));
  });
  configure(stages);
  const learn = (s) => {
    if (!s || configured || knownStages.has(s)) return;
    if (knownStages.size >= LEARNED_STAGES) {
      if (!warned) log(`more than ${LEARNED_STAGES} stages seen without a rules file: the others are stored on their events but left out of the funnel`);
      warned = true;
      return;
    }
    addStage.run(s);
    knownStages.add(s);
  };

  const insertBatch = db.transaction((events, meta) => {
    let stored = 0;
    for (const e of events) {
      const row = toRow(e, meta);
      [row.stage, row.previous_stage, row.stage_entered, row.feedback_stage].forEach(learn);
      stored += insert.run(row).changes;
    }
    logDelivery.run(meta.receivedAt, stored, events.length - stored, meta.dropped || 0, meta.contentType || null);
    return { stored, duplicates: events.length - stored };
  });

  return {
    db,
    /**
     * Stores a validated batch in one transaction.
     * @returns {{ stored: number, duplicates: number }}
     */
    insertBatch: (events, meta) => insertBatch(events, meta),
    /** Replaces the stage order, e.g. after the rules file changed. */
    configureStages: (order) => configure(order),
    /** Every dashboard section for events in [from, to), epoch ms. */
    report(from, to) {
      const out = { from, to, stages: db.prepare('SELECT stage FROM stages ORDER BY position').pluck().all() };
      for (const name of REPORTS) {
        out[name] = SINGLE.has(name) ? queries[name].get({ from, to }) : queries[name].all({ from, to });
      }
      return out;
    },
    close: () => db.close(),
  };
}
