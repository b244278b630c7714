// #/tasks, #/tasks/state/{state} and #/tasks/{id}: the Overlord's task lists (running,
// pending, waiting, complete) and one task's status and reports.
import { api, enc, overlord } from '../api.js';
import { h, badge, fmtTime, fmtDuration, fmtNum, errorBox, pretty } from '../dom.js';
import { poll } from './poll.js';

const states = [['all', 'tasks'], ['running', 'runningTasks'], ['pending', 'pendingTasks'], ['waiting', 'waitingTasks'], ['complete', 'completeTasks']];

export async function render(main, params) {
  if (params.id) return renderTask(main, params.id);
  const state = params.state || 'all';
  const [, path] = states.find(([s]) => s === state) || states[0];
  const body = h('tbody');
  main.replaceChildren(
    h('h1', {}, 'Tasks'),
    h('nav', { class: 'tabs' }, states.map(([s]) => h('a', { href: s === 'all' ? '#/tasks' : `#/tasks/state/${s}`, class: s === state ? 'active' : null }, s))),
    h('table', { id: 'tasks' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Id'), h('th', {}, 'Datasource'), h('th', {}, 'Type'), h('th', {}, 'Status'),
        h('th', {}, 'Runner'), h('th', {}, 'Location'), h('th', {}, 'Created'), h('th', { class: 'num' }, 'Duration'), h('th', {}, 'Error'))),
      body));
  return poll(async () => {
    let list;
    try {
      list = await api(`${overlord}/${path}`);
    } catch (err) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 9 }, errorBox(err))));
      return;
    }
    body.replaceChildren(...(list.length ? list.map(taskRow) : [h('tr', {}, h('td', { colspan: 9, class: 'muted' }, `No ${state === 'all' ? '' : `${state} `}tasks.`))]));
  }, 3000);
}

function taskLocation(l) {
  if (!l || !l.host) return '–';
  return `${l.host}:${l.tlsPort > 0 ? l.tlsPort : l.port}`;
}

function taskRow(t) {
  const status = t.statusCode || t.status;
  return h('tr', { 'data-id': t.id },
    h('td', { class: 'wrap' }, h('a', { href: `#/tasks/${enc(t.id)}` }, t.id)),
    h('td', {}, t.dataSource ? h('a', { href: `#/datasources/${enc(t.dataSource)}` }, t.dataSource) : '–'),
    h('td', {}, t.type || '–'),
    h('td', {}, badge(status)),
    h('td', {}, t.runnerStatusCode ? badge(t.runnerStatusCode) : '–'),
    h('td', {}, taskLocation(t.location)),
    h('td', {}, fmtTime(t.createdTime)),
    h('td', { class: 'num' }, fmtDuration(t.duration)),
    h('td', { class: 'wrap error' }, t.errorMsg || ''));
}

async function renderTask(main, id) {
  const statusBox = h('div', { class: 'panel' });
  const statsBox = h('div');
  const reportPre = h('pre', { id: 'task-report' });
  main.replaceChildren(
    h('h1', {}, 'Task ', h('code', {}, id)),
    statusBox,
    h('h2', {}, 'Row stats'), statsBox,
    h('h2', {}, 'Reports (GET /druid/indexer/v1/task/{id}/reports)'), reportPre,
    h('p', {}, h('a', { href: `${overlord}/task/${enc(id)}/log`, target: '_blank' }, 'Task log')));
  return poll(async () => {
    try {
      const st = await api(`${overlord}/task/${enc(id)}/status`);
      const s = st.status;
      if (!s) {
        statusBox.replaceChildren(h('p', { class: 'muted' }, 'The Overlord does not know this task.'));
      } else {
        statusBox.replaceChildren(h('dl', { class: 'kv' },
          kv('Status', badge(s.statusCode || s.status)), kv('Runner', s.runnerStatusCode ? badge(s.runnerStatusCode) : '–'),
          kv('Datasource', s.dataSource), kv('Type', s.type), kv('Location', taskLocation(s.location)),
          kv('Created', fmtTime(s.createdTime)), kv('Duration', fmtDuration(s.duration)),
          kv('Error', s.errorMsg ? h('span', { class: 'error' }, s.errorMsg) : 'none')));
      }
    } catch (err) {
      statusBox.replaceChildren(errorBox(err));
    }
    try {
      const r = await api(`${overlord}/task/${enc(id)}/reports`);
      reportPre.textContent = typeof r === 'string' ? r : pretty(r);
      statsBox.replaceChildren(rowStats(r));
    } catch (err) {
      reportPre.textContent = err.message;
      statsBox.replaceChildren(h('p', { class: 'muted' }, 'No report yet.'));
    }
  }, 3000);
}

function kv(k, v) {
  return [h('dt', {}, k), h('dd', {}, v ?? '–')];
}

/** rowStats tabulates the totals of an ingestionStatsAndErrors report, per phase. */
function rowStats(report) {
  const p = report?.ingestionStatsAndErrors?.payload;
  const totals = p?.rowStats?.totals;
  if (!totals) return h('p', { class: 'muted' }, 'The report has no row stats.');
  const cols = ['processed', 'processedBytes', 'processedWithError', 'thrownAway', 'unparseable'];
  return h('table', {},
    h('thead', {}, h('tr', {}, h('th', {}, 'Phase'), cols.map((c) => h('th', { class: 'num' }, c)))),
    h('tbody', {}, Object.entries(totals).map(([phase, t]) => h('tr', {}, h('td', {}, phase), cols.map((c) => h('td', { class: 'num' }, fmtNum(t[c])))))),
    h('caption', { class: 'muted' }, `ingestion state ${p.ingestionState || '–'}${p.errorMsg ? `; error: ${p.errorMsg}` : ''}`));
}
