// The SPA's pages, built with DOM calls (no innerHTML).

/** h('p', { className: 'muted' }, 'text', child) */
function h(tag, props, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k.startsWith('data-') || k == 'href' || k == 'name' || k == 'pattern' || k == 'required' || k == 'type' || k == 'id') n.setAttribute(k, v === true ? '' : v);
    else n[k] = v;
  }
  n.append(...children.flat().filter((c) => c != null));
  return n;
}

const PLANS = { taster: ['Taster', 12], regular: ['Regular', 22], roaster: ['Roaster', 38] };
const fragment = (...nodes) => {
  const f = document.createDocumentFragment();
  f.append(...nodes);
  return f;
};

export const routes = {
  '/': {
    title: 'Fresh roasts, delivered',
    render: () =>
      fragment(
        h('h1', null, 'Freshly roasted coffee, every month.'),
        h('p', { className: 'lead' }, 'This version of the shop is a single-page app: every route change below is a history.pushState, not a page load.'),
        h('div', { className: 'actions' }, h('a', { className: 'btn', href: '/pricing' }, 'Compare plans')),
      ),
  },
  '/pricing': {
    title: 'Plans',
    render: () =>
      fragment(
        h('h1', null, 'Pick a plan'),
        h(
          'div',
          { className: 'grid' },
          Object.entries(PLANS).map(([id, [name, price]]) =>
            h('div', { className: 'card' }, h('h3', null, name), h('p', { className: 'price' }, `€${price}`, h('small', null, '/month')), h('a', { className: 'btn', href: `/checkout?plan=${id}`, 'data-plan': id }, `Choose ${name}`)),
          ),
        ),
      ),
  },
  '/checkout': {
    title: 'Checkout',
    render: ({ navigate }) => {
      const plan = PLANS[new URLSearchParams(location.search).get('plan')] ? new URLSearchParams(location.search).get('plan') : 'regular';
      const form = h(
        'form',
        { id: 'checkout', className: 'card', noValidate: true },
        h('section', { 'data-waymark-step': 'contact' }, h('label', null, 'Email', h('input', { type: 'email', name: 'email', required: true }))),
        h('section', { 'data-waymark-step': 'shipping' }, h('label', null, 'Postcode', h('input', { name: 'postcode', required: true, pattern: '[0-9]{4,5}' }))),
        h('div', { className: 'actions' }, h('button', { type: 'submit', className: 'btn' }, 'Place order')),
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        let ok = true;
        for (const f of form.querySelectorAll('input')) if (!f.checkValidity()) ok = false;
        if (!ok) return form.querySelector(':invalid').reportValidity();
        sessionStorage.setItem('nb_spa_order', JSON.stringify({ plan, total: PLANS[plan][1] }));
        navigate('/confirmation');
      });
      return fragment(h('h1', null, `Checkout: ${PLANS[plan][0]}`), form);
    },
  },
  '/confirmation': {
    title: 'Order confirmed',
    render: ({ tracker }) => {
      const order = JSON.parse(sessionStorage.getItem('nb_spa_order') || 'null');
      sessionStorage.removeItem('nb_spa_order');
      if (order) tracker.track('Order Completed', { plan: order.plan, revenue: order.total, currency: 'EUR' });
      const thanks = h('p', { className: 'thanks', hidden: true }, 'Thanks!');
      const scale = h(
        'div',
        { className: 'scale' },
        [1, 2, 3, 4, 5].map((n) =>
          h('button', { type: 'button', 'data-score': n, onclick: () => (tracker.feedback({ score: n, scale: 'csat' }), (scale.hidden = true), (thanks.hidden = false)) }, String(n)),
        ),
      );
      return fragment(h('h1', null, 'Thank you, your order is in.'), h('section', { className: 'card' }, h('h2', null, 'How was checkout?'), scale, thanks));
    },
  },
  '/account': {
    title: 'Account',
    render: () => fragment(h('h1', null, 'Your account'), h('p', { className: 'muted' }, 'Orders placed in the SPA are not kept; see the multi-page shop for the full account area.')),
  },
  '/404': {
    title: 'Not found',
    render: () => fragment(h('h1', null, 'That page is not on the menu.'), h('a', { href: '/' }, 'Back to the shop')),
  },
};
