// #/supervisors: every supervisor with its state, tasks, lag, ingest rate and recent errors,
// refreshed every 2 s, with the actions.
import { api, enc, overlord } from '../api.js';
import { h, badge, fmtNum, errorBox } from '../dom.js';
import { poll } from './poll.js';
import { actionButtons, rowsPerSecond, configuredTasks } from './actions.js';

export async function render(main) {
  const message = h('p', { class: 'error', id: 'action-error', hidden: true });
  const body = h('tbody');
  main.replaceChildren(
    h('h1', {}, 'Supervisors', h('a', { href: '#/submit' }, h('button', { type: 'button', class: 'primary' }, 'Submit a spec'))),
    message,
    h('table', { id: 'supervisors' },
      h('thead', {}, h('tr', {},
        h('th', {}, 'Id'), h('th', {}, 'Datasource'), h('th', {}, 'Topic'), h('th', {}, 'State'), h('th', {}, 'Detailed state'),
        h('th', {}, 'Healthy'), h('th', { class: 'num' }, 'Tasks'), h('th', { class: 'num' }, 'Lag'), h('th', { class: 'num' }, 'Rows/s (1m)'),
        h('th', {}, 'Recent errors'), h('th', {}, 'Actions'))),
      body));
  const report = (msg) => { message.textContent = msg; message.hidden = false; };
  const load = async () => {
    let list;
    try {
      list = await api(`${overlord}/supervisor?full`);
    } catch (err) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 11 }, errorBox(err))));
      return;
    }
    const rows = await Promise.all(list.map(async (sup) => {
      const [status, stats] = await Promise.all([
        api(`${overlord}/supervisor/${enc(sup.id)}/status`).then((r) => r.payload).catch(() => null),
        api(`${overlord}/supervisor/${enc(sup.id)}/stats`).catch(() => null),
      ]);
      return update(sup, status, stats);
    }));
    body.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 11, class: 'muted' }, 'No supervisors yet. ', h('a', { href: '#/submit' }, 'Submit a spec'), '.'))]));
  };
  // Rows are kept across polls and only their cells change, so a button is never replaced
  // under the pointer between a press and its release.
  const rowsById = new Map();
  const update = (sup, status, stats) => {
    let r = rowsById.get(sup.id);
    if (!r) {
      r = { actions: h('td', {}), key: null, status: null };
      r.tr = h('tr', { 'data-id': sup.id }, r.actions);
      rowsById.set(sup.id, r);
    }
    const p = status || {};
    const suspended = sup.suspended ?? p.suspended;
    r.status = p;
    while (r.tr.firstChild !== r.actions) r.tr.firstChild.remove();
    r.actions.before(...cells(sup, p, stats));
    if (r.key !== String(suspended)) {
      r.key = String(suspended);
      r.actions.replaceChildren(actionButtons(sup.id, { suspended, status: () => r.status }, () => stop.refresh(), report));
    }
    return r.tr;
  };
  const stop = { cancel: poll(load, 2000), refresh: () => { message.hidden = true; load(); } };
  return () => stop.cancel();
}

function cells(sup, p, stats) {
  const running = (p.activeTasks || []).length;
  const publishing = (p.publishingTasks || []).length;
  const errors = p.recentErrors || [];
  const last = errors[errors.length - 1];
  return [
    h('td', {}, h('a', { href: `#/supervisors/${enc(sup.id)}` }, sup.id)),
    h('td', {}, p.dataSource ? h('a', { href: `#/datasources/${enc(p.dataSource)}` }, p.dataSource) : '–'),
    h('td', {}, p.stream || '–'),
    h('td', { class: 'state' }, badge(sup.state)),
    h('td', { class: 'detailed-state' }, badge(sup.detailedState)),
    h('td', { class: sup.healthy ? 'good' : 'error' }, sup.healthy ? 'yes' : 'no'),
    h('td', { class: 'num tasks', title: 'active (+ publishing) / taskCount × replicas' },
      `${running}${publishing ? ` (+${publishing})` : ''} / ${configuredTasks(sup.spec)}`),
    h('td', { class: 'num lag' }, fmtNum(p.aggregateLag)),
    h('td', { class: 'num rate' }, fmtNum(rowsPerSecond(stats), 1)),
    h('td', { class: 'wrap errors' }, errors.length ? h('span', { class: 'error', title: last.timestamp }, `${errors.length}: ${last.message}`) : h('span', { class: 'muted' }, 'none')),
  ];
}
