// The console's entry point: a hash router over the views. Each view is a module whose
// render(main, params) fills the page and may return a cleanup function, called when the user
// navigates away (views that poll stop their timers there).
import { api } from './api.js';
import { h, errorBox } from './dom.js';
import * as supervisors from './views/supervisors.js';
import * as supervisor from './views/supervisor.js';
import * as submit from './views/submit.js';
import * as tasks from './views/tasks.js';
import * as datasources from './views/datasources.js';

// routes: hash pattern → view; ":name" segments become params (URL-decoded).
const routes = [
  ['/supervisors', supervisors, 'supervisors'],
  ['/supervisors/:id', supervisor, 'supervisors'],
  ['/submit', submit, 'submit'],
  ['/submit/:id', submit, 'submit'],
  ['/tasks', tasks, 'tasks'],
  ['/tasks/state/:state', tasks, 'tasks'],
  ['/tasks/:id', tasks, 'tasks'],
  ['/datasources', datasources, 'datasources'],
  ['/datasources/:ds', datasources, 'datasources'],
];

function match(hash) {
  const parts = hash.replace(/^#/, '').split('/').filter(Boolean);
  for (const [pattern, view, nav] of routes) {
    const want = pattern.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(':') ? ((params[w.slice(1)] = decodeURIComponent(parts[i])), true) : w === parts[i]))) {
      return { view, nav, params };
    }
  }
  return null;
}

let cleanup = null;
// seq numbers the navigations: a view that finishes rendering after the user already moved on
// is stopped at once instead of polling behind the current one.
let seq = 0;

async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  const mine = ++seq;
  const main = document.getElementById('view');
  const m = match(location.hash || '#/supervisors');
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', m && a.dataset.nav === m.nav);
  if (!m) {
    main.replaceChildren(h('h1', {}, 'Not found'), h('p', {}, 'No view at ', h('code', {}, location.hash), '. ', h('a', { href: '#/supervisors' }, 'Supervisors')));
    return;
  }
  // Each navigation renders into its own box, so a view that is still loading when the user
  // moves on writes only into its detached box.
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.replaceChildren(box);
  try {
    const stop = (await m.view.render(box, m.params)) || null;
    if (mine === seq) cleanup = stop;
    else if (stop) stop();
  } catch (err) {
    box.replaceChildren(errorBox(err));
  }
}

async function showServer() {
  try {
    const st = await api('/status');
    document.getElementById('server').textContent = `engine ${st.version || ''}`;
  } catch {
    // the header line is decoration; the views report their own errors
  }
}

window.addEventListener('hashchange', route);
route();
showServer();
