// Frustration edges: a script click made in answer to the user, and a rage burst that selects text.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { frustration } from '../../src/capture/frustration';
import type { PluginContext, Tracker } from '../../src/types';
import { fakeCollector, freshIndexedDB } from '../helpers';

const ENDPOINT = 'https://c.test/v1/batch';
let trackers: Tracker[] = [];
beforeEach(() => {
  freshIndexedDB();
  document.body.innerHTML = '';
  history.replaceState(null, '', '/');
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(trackers.splice(0).map((t) => t.shutdown()));
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});
async function start() {
  const c = fakeCollector();
  const t = createTracker({ endpoint: ENDPOINT, consent: 'granted', capture: [frustration()] });
  trackers.push(t);
  await t.flush();
  return { props: async () => (await t.flush(), c.events().map((e) => [e.event, e.properties])), names: async () => (await t.flush(), c.names()) };
}
const $ = (sel: string) => document.querySelector(sel) as HTMLElement;
const click = (el: Element, x = 100, y = 100, time = performance.now()) => {
  const e = new MouseEvent('click', { bubbles: true, cancelable: true, clientX: x, clientY: y });
  Object.defineProperty(e, 'timeStamp', { value: time });
  Object.defineProperty(e, 'isTrusted', { value: true });
  el.dispatchEvent(e);
  return e;
};
const wait = async (ms: number) => {
  await Promise.resolve();
  await vi.advanceTimersByTimeAsync(ms);
};

test('an upload button that works by calling input.click() (a script click inside the user click) is not a Dead Click', async () => {
  const { props } = await start();
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  document.body.innerHTML = '<button id="up">Upload</button><input type="file" id="file" hidden>';
  // The standard idiom: a styled button opens the hidden file input (the browser's file chooser; no DOM change, no focus change).
  $('#up').addEventListener('click', () => $('#file').click());
  click($('#up'), 10, 10, 0);
  await wait(1100);
  vi.useRealTimers();
  expect(await props()).toEqual([]);
});

test('a rage burst on a dead custom button whose text the triple click selected is still a Rage Click', async () => {
  const { props } = await start();
  document.body.innerHTML = '<p><span role="button" id="retry">Retry payment</span></p>';
  const b = $('#retry');
  click(b, 50, 50, 0);
  click(b, 50, 50, 100);
  // What a triple click does to selectable text: the paragraph is selected.
  getSelection()!.selectAllChildren(b.parentElement!);
  click(b, 50, 50, 200);
  getSelection()!.removeAllRanges();
  expect((await props()).map(([n]) => n)).toContain('Rage Click');
});

describe('script clicks elsewhere on the page', () => {
  // A periodic script click elsewhere on the page does not hide Dead Clicks.
  const ENDPOINT = 'https://c.test/v1/batch';
  let trackers: Tracker[] = [];

  async function deadClickWith(scriptClicks: boolean) {
    const { names } = await start();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    // A dead button, and a widget elsewhere on the page whose script clicks a (hidden) control
    // every 800 ms without changing the DOM: an autoplay/heartbeat/"keep session alive" button.
    document.body.innerHTML = '<button id="dead">Pay</button><button id="tick" hidden></button>';
    if (scriptClicks) setInterval(() => $('#tick').click(), 800);
    for (let i = 0; i < 3; i++) {
      click($('#dead'), 10, 10 + 100 * i, i * 5000);
      await Promise.resolve();
      await vi.advanceTimersByTimeAsync(1100);
    }
    vi.useRealTimers();
    return (await names()).filter((n) => n == 'Dead Click').length;
  }

  test('control: three clicks on a dead button are three Dead Clicks', async () => {
    expect(await deadClickWith(false)).toBe(3);
  });

  test('an unrelated periodic script click elsewhere on the page does not hide Dead Clicks', async () => {
    expect(await deadClickWith(true)).toBe(3);
  });
});

describe('timers', () => {
  test('teardown right after a user click leaves no timer behind', () => {
    document.body.innerHTML = '<p id="p">text</p>';
    const teardown = frustration().setup!({ track: vi.fn() } as unknown as PluginContext) as () => void;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    click($('#p')); // not actionable: no Dead Click candidate
    teardown();
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });
});
