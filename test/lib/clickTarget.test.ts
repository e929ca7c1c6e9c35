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

test("a design system's button stands for the button inside it when that shows the site's content (a slot), or the site annotated it; never a sensitive field component", () => {
  document.body.innerHTML =
    '<x-button id="buy">Buy</x-button><x-buy id="pro" data-waymark-plan="pro"></x-buy><x-icon-button id="del"></x-icon-button>' +
    '<x-password id="pw" name="password"></x-password>';
  const slotted = $('button', shadow($('#buy'), '<button><slot></slot></button>'));
  const own = $('button', shadow($('#pro'), '<button>Buy Pro</button>'));
  const labelled = $('button', shadow($('#del'), '<button aria-label="Delete">x</button>'));
  const show = $('button', shadow($('#pw'), '<input type="password"><button>Show</button>'));
  expect(on(slotted)).toEqual([slotted, $('#buy')]);
  expect(on(own)).toEqual([own, $('#pro')]);
  // No slot, and nothing of the site's on the component: the button.
  expect(on(labelled)).toEqual([labelled, labelled]);
  expect(on(show)).toEqual([show, show]);
});

test('an app that is one component: its buttons and links stand for themselves; a link around a component wins; an ignored part is undefined', () => {
  document.body.innerHTML = '<my-app></my-app>';
  const root = shadow(
    $('my-app'),
    '<button class="go">Go</button><site-nav aria-label="Main"></site-nav><a href="/p"><x-card></x-card></a>' +
      '<div data-waymark-ignore><button class="admin">Admin</button></div>',
  );
  const nav = shadow($('site-nav', root), '<a href="/pricing">Pricing</a>');
  const card = shadow($('x-card', root), '<button>More</button>');
  expect(on($('.go', root))).toEqual([$('.go', root), $('.go', root)]);
  expect(on($('a', nav))).toEqual([$('a', nav), $('a', nav)]);
  expect(on($('button', card))).toEqual([$('a', root), $('a', root)]);
  expect(on($('.admin', root))).toBe(undefined);
});

test('a page with <form name="host"> (document.host is that form, by HTML named access) does not send the walk up the components around the click into a loop', () => {
  document.body.innerHTML = '<form name="host"><button id="save">Save</button></form>';
  const form = $('form');
  // happy-dom has no named access on document; browsers do: document.host is the form.
  // Capped at 1,000 reads here, so that the loop it makes in a browser (the tab freezes on every click) ends.
  let reads = 0;
  Object.defineProperty(document, 'host', { configurable: true, get: () => (++reads < 1000 ? form : undefined) });
  try {
    expect(on($('#save'))).toEqual([$('#save'), $('#save')]);
    expect(reads).toBeLessThan(10);
  } finally {
    delete (document as any).host;
  }
});

test("a field component never stands for its buttons, slot or not (an <sl-input>'s clear and show-password buttons hold slots for their icons): form fields are never described", () => {
  document.body.innerHTML = '<x-input id="email" name="email" data-waymark-field="email"></x-input><x-input id="pw" type="password"></x-input>';
  const html = '<input><button class="clear" aria-label="Clear entry"><slot name="clear-icon"></slot></button>';
  const clear = $('button', shadow($('#email'), html));
  const show = $('button', shadow($('#pw'), html));
  expect(on(clear)).toEqual([clear, clear]);
  expect(on(show)).toEqual([show, show]);
});
