// The journey dashboard. Plain DOM: every value from the data is set with textContent,
// never parsed as HTML, so a hostile page path or comment stays text. It runs under a CSP
// with no inline code and Trusted Types enforced.
'use strict';

(() => {
  const POLL_MS = 4000;
  const DAY = 864e5;
  const STAGE_COLORS = ['#4f46e5', '#7c3aed', '#db2777', '#ea580c', '#059669', '#0284c7', '#64748b', '#a16207'];
  // The attribution module's channel names, in legend order.
  const CHANNEL_COLORS = {
    'organic search': '#2563eb',
    'paid search': '#dc2626',
    social: '#db2777',
    'paid social': '#9333ea',
    display: '#f97316',
    email: '#d97706',
    referral: '#059669',
    other: '#0891b2',
    direct: '#475569',
    unknown: '#cbd5e1',
  };
  // web.dev thresholds: good up to the first, poor above the second.
  const VITALS = {
    LCP: [2500, 4000, 'ms'],
    INP: [200, 500, 'ms'],
    CLS: [0.1, 0.25, ''],
    FCP: [1800, 3000, 'ms'],
    TTFB: [800, 1800, 'ms'],
  };

  const $ = (id) => document.getElementById(id);
  const nf = new Intl.NumberFormat();
  const pct = (x) => (x == null || !Number.isFinite(x) ? '–' : Math.round(x * 100) + ' %');

  /** Builds an element; strings become text nodes. */
  function el(tag, props, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k == 'class') n.className = v;
      else if (k == 'text') n.textContent = v;
      else n.setAttribute(k, v);
    }
    for (const c of children.flat()) if (c != null) n.append(c);
    return n;
  }

  const stageColor = (stages, s) => {
    const i = stages.indexOf(s);
    return STAGE_COLORS[(i < 0 ? stages.length : i) % STAGE_COLORS.length];
  };
  const label = (s) => String(s).replace(/_/g, ' ');

  function duration(ms) {
    if (ms == null || !Number.isFinite(ms)) return '–';
    const s = ms / 1000;
    if (s < 1) return '< 1 s';
    if (s < 60) return Math.round(s) + ' s';
    if (s < 3600) return (s < 600 ? (s / 60).toFixed(1) : Math.round(s / 60)) + ' min';
    if (s < 86400) return (s / 3600).toFixed(1) + ' h';
    return (s / 86400).toFixed(1) + ' d';
  }

  /** A table with a header row, or an empty-state line saying how to fill it. */
  function table(node, head, rows, empty) {
    if (!rows.length) {
      node.replaceChildren(el('caption', { class: 'empty', text: empty }));
      return;
    }
    node.replaceChildren(
      el('thead', null, el('tr', null, head.map((h) => el('th', { scope: 'col', class: h.num ? 'num' : null, text: h.label })))),
      el('tbody', null, rows.map((r) => el('tr', null, r))),
    );
  }
  const td = (text, cls) => el('td', { class: cls, text: text == null ? '–' : String(text) });
  const num = (x) => td(x == null ? '–' : nf.format(x), 'num');

  /** A number with a bar behind it, scaled to the column's largest value. */
  function meter(value, max, cls) {
    const bar = el('span', { class: 'bar ' + (cls || '') });
    // CSSOM writes are allowed under style-src 'self'; style attributes in markup are not.
    bar.style.width = (max ? Math.max(2, (100 * value) / max) : 0) + '%';
    return el('td', { class: 'num meter' }, bar, el('span', { class: 'meter-value', text: nf.format(value) }));
  }

  // ---- date range ----

  const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const parseDay = (v) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v || '');
    return m ? new Date(+m[1], +m[2] - 1, +m[3]) : null;
  };

  let preset = 7;
  function setPreset(days) {
    preset = days;
    const today = startOfDay(new Date());
    $('to').value = days ? iso(today) : '';
    $('from').value = days ? iso(new Date(today.getFullYear(), today.getMonth(), today.getDate() - days + 1)) : '';
    for (const b of document.querySelectorAll('.presets button')) b.setAttribute('aria-pressed', String(+b.dataset.days == days));
  }
  function range() {
    const from = parseDay($('from').value);
    const to = parseDay($('to').value);
    return {
      from: from ? from.getTime() : 0,
      // The end date is inclusive: up to the start of the next day, by the calendar (a day
      // is 23 or 25 hours long when the clocks change; setDate returns the time).
      to: to ? to.setDate(to.getDate() + 1) : Date.now() + DAY,
    };
  }

  // ---- charts ----

  const charts = {};
  /** Draws each bar's value at its end, so the chart reads without hovering. */
  const valueLabels = {
    id: 'valueLabels',
    afterDatasetsDraw(chart, _args, opts) {
      if (!opts || !opts.format) return;
      const { ctx } = chart;
      ctx.save();
      ctx.font = '600 12px system-ui, sans-serif';
      ctx.fillStyle = '#0f172a';
      ctx.textBaseline = 'middle';
      chart.getDatasetMeta(0).data.forEach((bar, i) => {
        const v = chart.data.datasets[0].data[i];
        if (v == null) return;
        ctx.fillText(opts.format(v, i), bar.x + 6, bar.y);
      });
      ctx.restore();
    },
  };

  /** Draws or updates a chart; with no data, a line saying how to get some instead. */
  function chart(id, config, empty) {
    const canvas = $(id);
    let note = canvas.parentElement.querySelector('.chart-empty');
    if (empty && !note) {
      note = el('p', { class: 'chart-empty empty' });
      canvas.parentElement.append(note);
    }
    if (note) {
      note.textContent = empty || '';
      note.hidden = !empty;
    }
    canvas.hidden = !!empty;
    if (empty) return;
    if (charts[id]) {
      const c = charts[id];
      c.data.labels = config.data.labels;
      c.data.datasets = config.data.datasets;
      c.options = config.options;
      c.update('none');
      return;
    }
    charts[id] = new Chart($(id), config);
  }

  function baseOptions(extra) {
    return {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 300 },
      layout: { padding: { right: 48 } },
      plugins: { legend: { display: false }, valueLabels: {} },
      ...extra,
    };
  }

  function drawFunnel(r) {
    const rows = r.funnel;
    const stages = r.stages;
    const top = Math.max(1, ...rows.map((x) => x.visitors));
    // Shares are of the funnel's widest stage, normally the first.
    const base = Math.max(0, ...rows.map((x) => x.visitors));
    chart('funnel-chart', {
      type: 'bar',
      data: {
        labels: rows.map((x) => label(x.stage)),
        datasets: [{
          data: rows.map((x) => x.visitors),
          backgroundColor: rows.map((x) => stageColor(stages, x.stage)),
          borderRadius: 4,
          barPercentage: 0.8,
          categoryPercentage: 0.9,
        }],
      },
      options: baseOptions({
        scales: { x: { beginAtZero: true, suggestedMax: top * 1.1, ticks: { precision: 0 } }, y: { grid: { display: false } } },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (c) => `${nf.format(c.raw)} visitors` } },
          valueLabels: { format: (v) => (v && base && v != base ? `${nf.format(v)} · ${pct(v / base)}` : nf.format(v)) },
        },
      }),
      plugins: [valueLabels],
    }, rows.length ? '' : 'No stages yet.');

    const exits = {};
    for (const d of r.dropoff_pages) (exits[d.stage] ||= []).push(d);
    const last = rows.length - 1;
    table(
      $('funnel-table'),
      [{ label: 'Stage' }, { label: 'Visitors', num: true }, { label: 'Went on', num: true }, { label: 'Dropped off', num: true }, { label: 'Most left from' }],
      rows.map((x, i) => {
        const dot = el('span', { class: 'swatch' });
        dot.style.background = stageColor(stages, x.stage);
        const top3 = (exits[x.stage] || []).map((e) => `${e.page_path} (${e.visitors})`).join(', ');
        return [
          el('th', { scope: 'row' }, dot, label(x.stage)),
          num(x.visitors),
          td(i == last ? '—' : x.visitors ? pct(x.continued / x.visitors) : '–', 'num strong'),
          td(i == last || !x.visitors ? '–' : nf.format(x.dropped_off), 'num'),
          td(i == last ? 'final stage' : top3 || '–', 'muted path'),
        ];
      }),
      'No stages yet.',
    );
  }

  // Log scale: stages are seconds apart early in a journey and days apart late.
  const NICE = [1e3, 1e4, 6e4, 6e5, 36e5, 216e5, 864e5, 6048e5, 2592e6];
  function drawTime(r) {
    const rows = r.time_to_stage.filter((x) => x.median_ms != null);
    const stages = r.stages;
    chart('time-chart', {
      type: 'bar',
      data: {
        labels: rows.map((x) => label(x.stage)),
        datasets: [{
          data: rows.map((x) => Math.max(1000, x.median_ms)),
          backgroundColor: rows.map((x) => stageColor(stages, x.stage)),
          borderRadius: 4,
        }],
      },
      options: baseOptions({
        layout: { padding: { right: 64 } },
        scales: {
          x: {
            type: 'logarithmic',
            min: 1000,
            afterBuildTicks: (axis) => {
              axis.ticks = NICE.filter((v) => v >= axis.min && v <= axis.max * 1.01).map((value) => ({ value }));
            },
            ticks: { callback: (v) => duration(v) },
          },
          y: { grid: { display: false } },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (c) => `median ${duration(rows[c.dataIndex].median_ms)} (${rows[c.dataIndex].visitors} visitors)` } },
          valueLabels: { format: (_v, i) => duration(rows[i].median_ms) },
        },
      }),
      plugins: [valueLabels],
    }, rows.length ? '' : 'No stage entries in this period yet.');
  }

  function drawChannels(r) {
    const stages = r.funnel.filter((x) => x.visitors).map((x) => x.stage);
    const channels = [...new Set(r.channels.map((x) => x.channel))].sort(
      (a, b) => Object.keys(CHANNEL_COLORS).indexOf(a) - Object.keys(CHANNEL_COLORS).indexOf(b),
    );
    const count = {};
    for (const x of r.channels) count[x.stage + '\u0000' + x.channel] = x.visitors;
    chart('channel-chart', {
      type: 'bar',
      data: {
        labels: stages.map(label),
        datasets: channels.map((ch) => ({
          label: ch,
          data: stages.map((s) => count[s + '\u0000' + ch] || 0),
          backgroundColor: CHANNEL_COLORS[ch] || '#94a3b8',
          borderRadius: 2,
        })),
      },
      options: baseOptions({
        layout: { padding: { right: 8 } },
        scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true, grid: { display: false } } },
        plugins: {
          legend: { display: true, position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } },
          valueLabels: {},
        },
      }),
    }, stages.length ? '' : 'No visitors with a stage in this period yet.');
  }

  function drawTouchpoints(r) {
    const by = {};
    for (const t of r.touchpoints) (by[t.stage] ||= []).push(t);
    const node = $('touchpoints');
    const stages = r.stages.filter((s) => by[s]);
    if (!stages.length) {
      node.replaceChildren(el('p', { class: 'empty', text: 'No stage entries yet. They appear once visitors move through the shop.' }));
      return;
    }
    node.replaceChildren(
      ...stages.map((s) => {
        const dot = el('span', { class: 'swatch' });
        dot.style.background = stageColor(r.stages, s);
        const max = Math.max(...by[s].map((t) => t.visitors));
        return el(
          'div',
          { class: 'tp-stage' },
          el('h3', null, dot, label(s)),
          el('table', { class: 'tp' }, el('tbody', null, by[s].map((t) => el('tr', null, td(t.touchpoint, 'path'), meter(t.visitors, max))))),
        );
      }),
    );
  }

  function drawFeedback(r) {
    table(
      $('feedback-table'),
      [{ label: 'Stage' }, { label: 'Scale' }, { label: 'Answers', num: true }, { label: 'Average', num: true }, { label: 'Score', num: true }],
      r.feedback.map((f) => {
        const score = f.scale == 'nps' ? f.nps : f.scale == 'csat' ? f.csat : null;
        const cls = score == null ? '' : f.scale == 'nps' ? (score >= 30 ? 'good' : score >= 0 ? 'ni' : 'poor') : score >= 80 ? 'good' : score >= 60 ? 'ni' : 'poor';
        return [
          el('th', { scope: 'row', text: f.stage == '(no stage)' ? 'no stage' : label(f.stage) }),
          td(f.scale.toUpperCase()),
          num(f.responses),
          td(f.average == null ? '–' : f.average.toFixed(1), 'num'),
          td(score == null ? '–' : f.scale == 'nps' ? (score > 0 ? '+' : '') + Math.round(score) : Math.round(score) + ' %', 'num pill ' + cls),
        ];
      }),
      'No feedback yet. Buy something in the shop and rate it on the confirmation page.',
    );
    $('comments').replaceChildren(
      ...r.feedback_comments.map((c) =>
        el('li', null, el('q', { text: c.comment }), el('span', { class: 'muted', text: ` ${c.scale.toUpperCase()} ${c.score} · ${label(c.stage)}` })),
      ),
    );
  }

  function drawForms(r) {
    table(
      $('forms-table'),
      [{ label: 'Form' }, { label: 'Started', num: true }, { label: 'Invalid', num: true }, { label: 'Submitted', num: true }, { label: 'Abandoned', num: true }, { label: 'Abandon rate', num: true }],
      r.forms.map((f) => [
        el('th', { scope: 'row', class: 'path', text: f.form }),
        num(f.started),
        num(f.invalid),
        num(f.submitted),
        num(f.abandoned),
        td(f.started ? pct(f.abandoned / f.started) : '–', 'num strong'),
      ]),
      'No form activity yet. Start the checkout in the shop.',
    );
    const max = Math.max(1, ...r.form_fields.map((f) => Math.max(f.abandoned, f.invalid)));
    table(
      $('fields-table'),
      [{ label: 'Last field' }, { label: 'Abandoned here', num: true }, { label: 'Failed validation', num: true }],
      r.form_fields.map((f) => [
        el('th', { scope: 'row', class: 'path' }, el('span', { class: 'muted', text: f.form + ' › ' }), f.field),
        meter(f.abandoned, max, 'warn'),
        meter(f.invalid, max, 'bad'),
      ]),
      'No abandoned forms or validation errors yet.',
    );
  }

  function drawFrustration(r) {
    const max = Math.max(1, ...r.frustration.map((f) => Math.max(f.rage, f.dead)));
    table(
      $('frustration-table'),
      [{ label: 'Page' }, { label: 'Element' }, { label: 'Rage', num: true }, { label: 'Dead', num: true }, { label: 'Visitors', num: true }],
      r.frustration.map((f) => [
        td(f.page, 'path'),
        td(f.element, 'path element'),
        meter(f.rage, max, 'bad'),
        meter(f.dead, max, 'warn'),
        num(f.visitors),
      ]),
      'No rage or dead clicks yet. Try clicking the “Save 20 %” badge on the pricing page many times.',
    );
  }

  function drawVitals(r) {
    const pages = {};
    for (const v of r.web_vitals) (pages[v.page] ||= {})[v.metric] = v;
    const metrics = Object.keys(VITALS);
    table(
      $('vitals-table'),
      [{ label: 'Page' }, ...metrics.map((m) => ({ label: m, num: true })), { label: 'Samples', num: true }],
      Object.keys(pages).map((p) => {
        const row = pages[p];
        return [
          el('th', { scope: 'row', class: 'path', text: p }),
          ...metrics.map((m) => {
            const v = row[m];
            if (!v || v.p75 == null) return td('–', 'num muted');
            const [good, poor, unit] = VITALS[m];
            const cls = v.p75 <= good ? 'good' : v.p75 <= poor ? 'ni' : 'poor';
            const text = unit ? (v.p75 >= 1000 ? (v.p75 / 1000).toFixed(2) + ' s' : Math.round(v.p75) + ' ms') : v.p75.toFixed(3);
            return td(text, 'num pill ' + cls);
          }),
          num(Math.max(...Object.values(row).map((v) => v.samples))),
        ];
      }),
      'No Web Vitals yet. They are reported when a page is hidden or left.',
    );
  }

  function drawKpis(r) {
    const s = r.summary;
    $('k-visitors').textContent = nf.format(s.visitors);
    $('k-sessions').textContent = nf.format(s.sessions);
    $('k-pages').textContent = nf.format(s.page_views);
    $('k-orders').textContent = nf.format(s.orders);
    $('k-events').textContent = nf.format(s.events);
    $('k-duplicates').textContent = nf.format(r.deliveries.duplicates);
    const purchase = r.funnel.find((x) => x.stage == 'purchase');
    $('k-conversion').textContent = purchase && s.visitors ? pct(purchase.visitors / s.visitors) : '–';
  }

  // ---- refresh ----

  let timer;
  let inflight = false;
  let lastJson = '';
  function status(text, ok) {
    $('status').className = 'status ' + (ok ? 'ok' : 'down');
    $('status').querySelector('.text').textContent = text;
  }

  async function refresh() {
    clearTimeout(timer);
    if (inflight) return;
    // Polling a hidden tab wastes the collector's time; visibilitychange catches up.
    if (document.hidden) return void (timer = setTimeout(refresh, POLL_MS));
    inflight = true;
    try {
      // A preset is relative to today: a dashboard left open past midnight moves on with it.
      if (preset && $('to').value != iso(new Date())) setPreset(preset);
      const { from, to } = range();
      const res = await fetch(`/api/report?from=${from}&to=${to}`, { cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const text = await res.text();
      if (text != lastJson) {
        lastJson = text;
        render(JSON.parse(text));
      }
      const last = JSON.parse(text).summary.last_event;
      status(`Live · updated ${new Date().toLocaleTimeString()}` + (last ? ` · last event ${new Date(last).toLocaleString()}` : ' · no events in this period'), true);
    } catch (err) {
      status('Collector unreachable (' + (err && err.message) + '), retrying…', false);
    } finally {
      inflight = false;
      timer = setTimeout(refresh, POLL_MS);
    }
  }

  function render(r) {
    // One section failing on unexpected data must not blank the rest.
    for (const draw of [drawKpis, drawFunnel, drawTime, drawChannels, drawTouchpoints, drawFeedback, drawForms, drawFrustration, drawVitals]) {
      try {
        draw(r);
      } catch (err) {
        console.warn('dashboard: ' + draw.name + ' failed', err);
      }
    }
    document.body.dataset.loaded = 'true';
  }

  function start() {
    Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    Chart.defaults.color = '#475569';
    Chart.defaults.borderColor = '#e2e8f0';
    setPreset(preset);
    for (const b of document.querySelectorAll('.presets button')) {
      b.addEventListener('click', () => {
        setPreset(+b.dataset.days);
        refresh();
      });
    }
    for (const id of ['from', 'to']) {
      $(id).addEventListener('change', () => {
        preset = 0;
        for (const b of document.querySelectorAll('.presets button')) b.setAttribute('aria-pressed', 'false');
        refresh();
      });
    }
    $('range').addEventListener('submit', (e) => e.preventDefault());
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) refresh();
    });
    refresh();
  }

  start();
})();
