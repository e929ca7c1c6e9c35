import { beforeEach, expect, test } from 'vitest';
import { clickTarget } from '../../src/lib/clickTarget';

beforeEach(() => {
  document.body.innerHTML = '';
});

const $ = (sel: string, root: ParentNode = document) => root.querySelector(sel)!;
/** The answer for a click on `el`, as a listener on the document sees it. */
const on = (el: Element) => {
  let got: ReturnType<typeof clickTarget> | 'unset' = 'unset';
  const listen = (e: Event) => (got = clickTarget(e));
  document.addEventListener('click', listen, true);
  el.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
  document.removeEventListener('click', listen, true);
  return got;
};
const shadow = (host: Element, html: string) => {
  host.attachShadow({ mode: 'open' }).innerHTML = html;
  return host.shadowRoot!;
};

test('the three falsy answers mean different things: nothing clickable (null), a field or an editor (false), an ignored part (undefined)', () => {
  document.body.innerHTML =
    '<p id="plain">Text</p><label>Email <input id="field"></label><div contenteditable="true"><button id="edit">B</button></div>' +
    '<div data-waymark-ignore><button id="hidden">Secret</button></div><button id="ok"><span id="icon">+</span> Add</button>';
  expect(on($('#plain'))).toBe(null);
  expect(on($('#field'))).toBe(false);
  expect(on($('#edit'))).toBe(false);
  expect(on($('#hidden'))).toBe(undefined);
  // A child of a button is the button's click, and the button stands for itself.
  expect(on($('#icon'))).toEqual([$('#ok'), $('#ok')]);
});

test("a design system's button: the clickable is inside, the component that names itself stands for it", () => {
  document.body.innerHTML = '<x-button id="buy">Buy</x-button><x-button id="bare"></x-button>';
  const inner = $('button', shadow($('#buy'), '<button><slot></slot></button>'));
  const bare = $('button', shadow($('#bare'), '<button><slot></slot></button>'));
  expect(on(inner)).toEqual([inner, $('#buy')]);
  // Nothing names itself: the outermost, the component.
  expect(on(bare)).toEqual([bare, $('#bare')]);
});

test('an app that is one component: the button in its template stands for itself; an ignored part of it is undefined', () => {
  document.body.innerHTML = '<my-app></my-app>';
  const root = shadow($('my-app'), '<button class="go">Go</button><div data-waymark-ignore><button class="admin">Admin</button></div>');
  expect(on($('.go', root))).toEqual([$('.go', root), $('.go', root)]);
  expect(on($('.admin', root))).toBe(undefined);
});
