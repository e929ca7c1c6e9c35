// The demo shop as a single-page app with history routing, using the npm build of Waymark.
// An app would write `from 'waymark'`; the example imports the build in this repository.
import { attribution, clicks, createTracker, forms, frustration, journey, pageViews, webVitals } from '../../../dist/waymark.mjs';
import { routes } from './routes.js';

const CONSENT_KEY = 'nb_spa_consent';
const endpoint = document.querySelector('meta[name="waymark-endpoint"]').content;

// The site, not Waymark, remembers the visitor's choice (here in localStorage).
let saved = null;
try {
  saved = localStorage.getItem(CONSENT_KEY);
} catch {}

const tracker = createTracker({
  endpoint,
  consent: saved == 'granted' || saved == 'denied' ? saved : 'pending',
  capture: [attribution(), pageViews(), clicks(), forms(), frustration(), webVitals()],
  stages: journey('/journey.json'),
});

tracker.on('stage', ({ stage }) => {
  document.getElementById('journey-stage').textContent = stage.replace('_', ' ');
});

function consentBanner() {
  if (document.getElementById('consent')) return;
  const box = Object.assign(document.createElement('div'), { id: 'consent', className: 'consent' });
  box.append(Object.assign(document.createElement('p'), { textContent: 'Analytics (Waymark) help us improve the shop. Nothing is stored or sent unless you accept.' }));
  for (const [text, choice, cls] of [['Accept', 'granted', 'btn'], ['Decline', 'denied', 'btn secondary']]) {
    const b = Object.assign(document.createElement('button'), { type: 'button', className: cls, textContent: text });
    b.dataset.consent = choice;
    b.addEventListener('click', () => {
      try {
        localStorage.setItem(CONSENT_KEY, choice);
      } catch {}
      tracker.consent(choice);
      box.remove();
    });
    box.append(b);
  }
  document.body.append(box);
}
if (!saved) consentBanner();

const app = document.getElementById('app');

function render() {
  const view = routes[location.pathname] || routes['/404'];
  document.title = view.title + ' · Northbound Coffee (SPA)';
  app.replaceChildren(view.render({ tracker, navigate }));
  for (const a of document.querySelectorAll('.site-nav a')) {
    if (a.getAttribute('href') == location.pathname) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  window.scrollTo(0, 0);
}

/** Client-side navigation: pushState, which Waymark's pageViews() counts as a page view. */
function navigate(url) {
  history.pushState(null, '', url);
  render();
}

document.addEventListener('click', (e) => {
  if (e.target.closest('[data-cookie-settings]')) return consentBanner();
  const a = e.target.closest('a[href]');
  if (!a || a.origin != location.origin || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
});
window.addEventListener('popstate', render);
render();
