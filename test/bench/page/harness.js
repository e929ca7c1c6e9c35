// In-page side of the benchmark. Loaded by the page before any SDK, so its listeners run
// first, as a site's own code would. Plain script: it is served as is, never bundled.
(function () {
  var longtasks = [];
  var errors = [];
  try {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) {
        longtasks.push({ start: e.startTime, duration: e.duration });
      });
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) {
    errors.push('no longtask observer: ' + e);
  }
  addEventListener('error', function (e) {
    errors.push(String(e.message || e));
  });
  addEventListener('unhandledrejection', function (e) {
    errors.push('unhandled rejection: ' + (e.reason && (e.reason.stack || e.reason.message) || e.reason));
  });

  // The site's own behaviour: a hash router and a cart. Every click on a link or button
  // changes something on the page.
  document.addEventListener('click', function (e) {
    var t = e.target;
    var a = t.closest && t.closest('a[href^="#"]');
    if (a) {
      e.preventDefault();
      var old = document.querySelector('.nav-link.active');
      if (old) old.classList.remove('active');
      if (a.classList.contains('nav-link')) a.classList.add('active');
      var card = a.closest('.card');
      if (card) card.classList.toggle('open');
      return;
    }
    if (t.matches && t.matches('button.add')) {
      var c = document.getElementById('cart-count');
      c.textContent = String(+c.textContent + 1);
    } else if (t.id == 'cta') {
      document.querySelector('.hero p').textContent = 'Sale: 20% off everything, today only.';
    }
  });
  document.addEventListener('submit', function (e) {
    e.preventDefault();
  });

  // A task boundary without setTimeout's 4 ms clamp: resolves after the current task, its
  // microtasks, and every task queued before it (IndexedDB callbacks, timers that are due).
  var ch = new MessageChannel();
  var waiting = [];
  ch.port1.onmessage = function () {
    waiting.shift()();
  };
  var hop = function () {
    return new Promise(function (r) {
      waiting.push(r);
      ch.port2.postMessage(0);
    });
  };

  var now = function () {
    return performance.now();
  };

  window.__bench = {
    longtasks: longtasks,
    errors: errors,
    now: now,
    hop: hop,

    /**
     * Evaluates the SDK bundle (fetched first, so no network time is counted), runs its
     * init, and waits for its own "ready". Returns the three times in ms.
     */
    loadSdk: function (url, cfg) {
      return fetch(url)
        .then(function (r) {
          return r.text();
        })
        .then(function (code) {
          return hop().then(function () {
            var s = document.createElement('script');
            s.textContent = code;
            var t0 = now();
            document.head.appendChild(s);
            var t1 = now();
            var ready = window.__sdk.init(cfg);
            var t2 = now();
            return Promise.resolve(ready).then(function () {
              var t3 = now();
              return { evalMs: t1 - t0, initMs: t2 - t1, readyMs: t3 - t0 };
            });
          });
        });
    },

    /**
     * Dispatches `n` synthetic clicks (pointerdown, mousedown, pointerup, mouseup, click)
     * over the page's targets in turn, and returns the time of each: from the first
     * dispatch to the end of the next task boundary, so the SDK's listeners, its microtasks
     * and any work it queued as a task before the boundary are counted.
     */
    clicks: function (n) {
      var targets = Array.prototype.slice.call(document.querySelectorAll('[data-bench-target]'));
      var times = [];
      var i = 0;
      var one = function () {
        if (i >= n) return Promise.resolve(times);
        var el = targets[i++ % targets.length];
        var r = el.getBoundingClientRect();
        var init = {
          bubbles: true,
          cancelable: true,
          composed: true,
          view: window,
          clientX: r.left + r.width / 2,
          clientY: r.top + r.height / 2,
          button: 0,
          detail: 1,
        };
        var t0 = now();
        el.dispatchEvent(new PointerEvent('pointerdown', Object.assign({ pointerType: 'mouse', isPrimary: true, buttons: 1 }, init)));
        el.dispatchEvent(new MouseEvent('mousedown', Object.assign({ buttons: 1 }, init)));
        el.dispatchEvent(new PointerEvent('pointerup', Object.assign({ pointerType: 'mouse', isPrimary: true }, init)));
        el.dispatchEvent(new MouseEvent('mouseup', init));
        el.dispatchEvent(new MouseEvent('click', init));
        return hop().then(function () {
          times.push(now() - t0);
          return one();
        });
      };
      return one();
    },

    /**
     * Tracks `n` events named bench-<i>-x, `chunk` per task (a page does not track
     * 10,000 events in one task, and the harness must not be the long task it counts).
     * Stops early after `limitMs`: some SDKs slow down as their queue grows.
     */
    enqueue: function (n, chunk, limitMs) {
      var i = 0;
      var t0 = now();
      var step = function () {
        var end = Math.min(n, i + chunk);
        for (; i < end; i++) window.__sdk.track('bench-' + i + '-x', { seq: i, plan: 'pro', price: 19.99, path: '/checkout' });
        if (i < n && now() - t0 < limitMs) return hop().then(step);
        return hop().then(function () {
          return { t0: t0, t1: now(), count: i };
        });
      };
      return step();
    },

    longtasksBetween: function (t0, t1) {
      return longtasks.filter(function (l) {
        return l.start + l.duration > t0 && l.start < t1;
      });
    },
  };
})();
