// @vitest-environment node
// The example rule sets in examples/stages/: each is valid, maps to all six default stages,
// and its sample journey (NAME.events.json, the input `waymark explain --events` takes)
// walks a visitor through all six, in order.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { step, validate, type Rules } from '../../src/journey/rules';
import type { JourneyContext } from '../../src/types';

const STAGES = ['awareness', 'consideration', 'decision', 'purchase', 'post_purchase', 'loyalty'];
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe.each(['shop', 'saas-trial', 'b2b-lead-gen', 'content-subscription'])('examples/stages/%s.json', (name) => {
  const rules: Rules = json(`examples/stages/${name}.json`);
  const events: any[] = json(`examples/stages/${name}.events.json`);

  test('is valid and points editors at the schema', () => {
    expect(validate(rules)).toEqual([]);
    expect(rules.$schema).toBe('../../schema/stages.schema.json');
  });

  test('covers the six default stages, and asks for feedback after the purchase', () => {
    expect(rules.stages).toEqual(STAGES);
    expect(new Set(rules.rules.map((r) => r.stage))).toEqual(new Set(STAGES));
    expect(rules.feedback?.post_purchase).toMatch(/^(csat|nps|ces)$/);
  });

  test('its sample journey enters every stage, in order', () => {
    const st: JourneyContext = { stage: null, previousStage: null, enteredAt: null };
    const counts = {};
    const entered: string[] = [];
    for (const e of events) {
      const before = st.stage;
      // As in the CLI: an event lists the selectors its element matches.
      step(rules, st, counts, e, (s) => [e.selector].flat().includes(s));
      if (st.stage != before) entered.push(st.stage!);
    }
    expect(entered).toEqual(STAGES);
  });

  test('a rule on a feedback scale can fire: that scale is asked in an earlier stage', () => {
    // Sites show a prompt when a stage asks for one; a rule on an answer that is never asked never matches.
    for (const r of rules.rules) {
      const scale = r.when.properties?.scale;
      if (r.when.event != 'Feedback Submitted' || !scale) continue;
      const asked = STAGES.slice(0, STAGES.indexOf(r.stage)).filter((s) => rules.feedback?.[s] == scale);
      expect(asked, `${r.name} needs ${scale}`).not.toEqual([]);
    }
  });

  test('its sample journey answers the scale its stage asked for', () => {
    const st: JourneyContext = { stage: null, previousStage: null, enteredAt: null };
    const counts = {};
    for (const e of events) {
      if (e.event == 'Feedback Submitted') {
        expect(e.properties).toMatchObject({ stage: st.stage, scale: rules.feedback?.[st.stage!] });
      }
      step(rules, st, counts, e, (s) => [e.selector].flat().includes(s));
    }
  });
});

/** Replays events as the CLI does; returns the stage after each one. */
function replay(rules: Rules, events: any[]) {
  const st: JourneyContext = { stage: null, previousStage: null, enteredAt: null };
  const counts = {};
  return events.map((e) => (step(rules, st, counts, e, (s) => [e.selector].flat().includes(s)), st.stage));
}

describe('examples/stages/content-subscription.json: a subscriber never moves back', () => {
  const rules: Rules = json('examples/stages/content-subscription.json');
  const at = (path: string, session = 1) => ({ context: { page: { path }, session: { number: session } } });
  const read = (path: string, session?: number) => ({ type: 'page', ...at(path, session) });
  const subscribed = { type: 'track', event: 'Subscription Started', properties: { term: 'yearly' }, ...at('/subscribe/yearly') };

  test('reading a third article after subscribing', () => {
    const events = [
      read('/articles/2026/a'),
      { type: 'track', event: 'Paywall Shown', ...at('/articles/2026/b') },
      subscribed,
      { type: 'track', event: 'App Installed', ...at('/welcome') },
      read('/articles/2026/b', 2),
      read('/articles/2026/c', 2),
    ];
    expect(replay(rules, events)).toEqual(['awareness', 'decision', 'purchase', 'post_purchase', 'post_purchase', 'post_purchase']);
  });

  test('subscribing straight from an email, then reading a first article and opening the offers again', () => {
    const events = [read('/subscribe/yearly'), subscribed, read('/articles/2026/first'), read('/subscribe/gift', 3), read('/subscribe')];
    expect(replay(rules, events)).toEqual(['decision', 'purchase', 'purchase', 'purchase', 'purchase']);
  });
});
