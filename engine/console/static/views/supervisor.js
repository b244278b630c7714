// #/supervisors/{id}: one supervisor's status report, partitions, a live chart of lag and
// rows/s, parse errors, and its spec with the version history and a diff between versions.
import { api, enc, overlord } from '../api.js';
import { h, badge, fmtNum, fmtTime, errorBox, pretty } from '../dom.js';
import { lineChart } from '../chart.js';
import { diffLines } from '../diff.js';
import { poll } from './poll.js';
import { actionButtons, rowsPerSecond, rowsProcessed } from './actions.js';

// The chart's points live here, per supervisor, for as long as the page is open, so leaving
// the view and coming back keeps the picture. Ten minutes are kept, five are drawn.
const series = new Map();
const keepMs = 10 * 60 * 1000, windowMs = 5 * 60 * 1000;

function seriesOf(id) {
  if (!series.has(id)) series.set(id, { lag: [], rate: [], last: null });
  return series.get(id);
}

/**
 * record adds one poll's reading. Rows/s is the growth of the rows processed since the last
 * poll, which follows changes at once; when that is unknown (first poll, or the count went down
 * because a task was replaced) the tasks' 1-minute average stands in.
 */
function record(id, now, status, stats) {
  const s = seriesOf(id);
  if (status && typeof status.aggregateLag === 'number') s.lag.push([now, status.aggregateLag]);
  const total = rowsProcessed(stats);
  let rate = null;
  if (s.last && total >= s.last.total && now > s.last.at) rate = ((total - s.last.total) * 1000) / (now - s.last.at);
  else rate = rowsPerSecond(stats);
  if (rate !== null) s.rate.push([now, rate]);
  s.last = { at: now, total };
  for (const k of ['lag', 'rate']) while (s[k].length && s[k][0][0] < now - keepMs) s[k].shift();
}

export async function render(main, { id }) {
  const message = h('p', { class: 'error', hidden: true });
  const states = h('span'), actions = h('span');
  const header = h('h1', {}, id, states, actions);
  const summary = h('div', { class: 'panel' });
  const charts = h('div', { class: 'grid', id: 'charts' });
  const partitions = h('div');
  const tasks = h('div');
  const parseErrors = h('div', { id: 'parse-errors' });
  const raw = h('pre', { id: 'status-json' });
  const specBox = h('div', { id: 'spec' });
  main.replaceChildren(header, message, summary,
    h('h2', {}, 'Lag and ingest rate (last 5 minutes, every 2 s)'), charts,
    h('h2', {}, 'Partitions'), partitions,
    h('h2', {}, 'Tasks'), tasks,
    h('h2', {}, 'Parse errors'), parseErrors,
    h('h2', {}, 'Spec and history'), specBox,
    h('details', {}, h('summary', {}, 'Status report (JSON)'), raw));
  const report = (msg) => { message.textContent = msg; message.hidden = false; };
  let actionsKey = null, latest = null;

  const load = async () => {
    const now = Date.now();
    let status, stats, sup;
    try {
      [status, stats, sup] = await Promise.all([
        api(`${overlord}/supervisor/${enc(id)}/status`),
        api(`${overlord}/supervisor/${enc(id)}/stats`).catch(() => null),
        api(`${overlord}/supervisor?state=true`).then((l) => l.find((x) => x.id === id)),
      ]);
    } catch (err) {
      summary.replaceChildren(errorBox(err));
      return;
    }
    const p = status.payload || {};
    record(id, now, p, stats);
    latest = p;
    const suspended = sup ? sup.suspended : p.suspended;
    if (actionsKey !== String(suspended)) { // rebuilt only when they change, not under the pointer
      actionsKey = String(suspended);
      actions.replaceChildren(actionButtons(id, { suspended, status: () => latest }, () => { message.hidden = true; load(); }, report));
    }
    states.replaceChildren(badge(p.state, { id: 'state' }), ' ', badge(p.detailedState));
    summary.replaceChildren(h('dl', { class: 'kv' },
      kv('Datasource', p.dataSource ? h('a', { href: `#/datasources/${enc(p.dataSource)}` }, p.dataSource) : '–'),
      kv('Topic', p.stream), kv('Partitions', p.partitions), kv('Replicas', p.replicas),
      kv('Task duration', `${p.durationSeconds} s`), kv('Healthy', p.healthy ? 'yes' : 'no'),
      kv('Aggregate lag', fmtNum(p.aggregateLag)), kv('Rows/s (1m)', fmtNum(rowsPerSecond(stats), 1)),
      kv('Offsets updated', fmtTime(p.offsetsLastUpdated)), kv('Report generated', fmtTime(status.generationTime)),
      kv('Recent errors', (p.recentErrors || []).length ? h('ul', {}, p.recentErrors.map((e) => h('li', { class: 'error' }, `${fmtTime(e.timestamp)} ${e.exceptionClass}: ${e.message}`))) : 'none')));
    const s = seriesOf(id);
    charts.replaceChildren(
      lineChart({ title: 'Aggregate lag (messages)', points: s.lag, windowMs, color: '#b45309', now }),
      lineChart({ title: 'Rows/s', points: s.rate, windowMs, color: '#2563eb', now }));
    partitions.replaceChildren(partitionTable(p));
    tasks.replaceChildren(taskTable(p));
    raw.textContent = pretty(status);
  };
  const stop = poll(load, 2000);
  // Parse errors and the spec change rarely; they load once, with a button to refresh.
  loadParseErrors(id, parseErrors);
  loadSpec(id, specBox);
  return stop;
}

function kv(k, v) {
  return [h('dt', {}, k), h('dd', {}, v ?? '–')];
}

function partitionTable(p) {
  const current = {}, task = {};
  for (const t of [...(p.activeTasks || []), ...(p.publishingTasks || [])]) {
    for (const [part, off] of Object.entries(t.currentOffsets || {})) { current[part] = off; task[part] = t.id; }
  }
  const parts = new Set([...Object.keys(p.latestOffsets || {}), ...Object.keys(current)]);
  if (parts.size === 0) return h('p', { class: 'muted' }, 'No partition offsets reported (the supervisor has no running task or has not read the topic yet).');
  return h('table', { id: 'partitions' },
    h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'Partition'), h('th', { class: 'num' }, 'Current offset'),
      h('th', { class: 'num' }, 'Latest offset'), h('th', { class: 'num' }, 'Lag'), h('th', {}, 'Task'))),
    h('tbody', {}, [...parts].sort((a, b) => a - b).map((part) => h('tr', {},
      h('td', { class: 'num' }, part), h('td', { class: 'num' }, fmtNum(current[part])),
      h('td', { class: 'num' }, fmtNum(p.latestOffsets?.[part])), h('td', { class: 'num' }, fmtNum(p.minimumLag?.[part])),
      h('td', {}, task[part] ? h('a', { href: `#/tasks/${enc(task[part])}` }, task[part]) : '–')))));
}

function taskTable(p) {
  const all = [...(p.activeTasks || []), ...(p.publishingTasks || [])];
  if (all.length === 0) return h('p', { class: 'muted' }, 'No active or publishing tasks.');
  return h('table', {},
    h('thead', {}, h('tr', {}, h('th', {}, 'Task'), h('th', {}, 'Type'), h('th', {}, 'Started'), h('th', { class: 'num' }, 'Remaining'),
      h('th', {}, 'Starting offsets'), h('th', {}, 'Current offsets'))),
    h('tbody', {}, all.map((t) => h('tr', {},
      h('td', {}, h('a', { href: `#/tasks/${enc(t.id)}` }, t.id)), h('td', {}, badge(t.type)), h('td', {}, fmtTime(t.startTime)),
      h('td', { class: 'num' }, t.remainingSeconds == null ? '–' : `${t.remainingSeconds} s`),
      h('td', {}, h('code', {}, JSON.stringify(t.startingOffsets || {}))), h('td', {}, h('code', {}, JSON.stringify(t.currentOffsets || {})))))));
}

/**
 * loadParseErrors lists the saved parse exceptions: the supervisor's (GET …/parseErrors) and
 * the unparseable events in each running task's report, without duplicates. Druid keeps them
 * only when tuningConfig.maxSavedParseExceptions > 0.
 */
async function loadParseErrors(id, box) {
  const refresh = h('button', { type: 'button', onclick: () => loadParseErrors(id, box) }, 'Refresh');
  box.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    const [fromSupervisor, status] = await Promise.all([
      api(`${overlord}/supervisor/${enc(id)}/parseErrors`),
      api(`${overlord}/supervisor/${enc(id)}/status`),
    ]);
    const reports = await Promise.all((status.payload.activeTasks || []).map((t) => api(`${overlord}/task/${enc(t.id)}/reports`).catch(() => null)));
    const seen = new Set(), all = [];
    const add = (e) => {
      const key = `${e.timeOfExceptionMillis}|${e.input}|${(e.details || []).join()}`;
      if (!seen.has(key)) { seen.add(key); all.push(e); }
    };
    (fromSupervisor || []).forEach(add);
    for (const r of reports) (r?.ingestionStatsAndErrors?.payload?.unparseableEvents?.buildSegments || []).forEach(add);
    all.sort((a, b) => b.timeOfExceptionMillis - a.timeOfExceptionMillis);
    box.replaceChildren(
      all.length === 0
        ? h('p', { class: 'muted' }, 'No saved parse errors (rows that fail to parse are saved only when tuningConfig.maxSavedParseExceptions > 0).')
        : h('table', {},
          h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Type'), h('th', {}, 'Details'), h('th', {}, 'Input'))),
          h('tbody', {}, all.map((e) => h('tr', {},
            h('td', {}, fmtTime(e.timeOfExceptionMillis)), h('td', {}, e.errorType || '–'),
            h('td', { class: 'wrap error' }, (e.details || []).join('; ')), h('td', { class: 'wrap' }, h('code', {}, e.input)))))),
      refresh);
  } catch (err) {
    box.replaceChildren(errorBox(err), refresh);
  }
}

/** loadSpec shows the spec versions (GET …/history, newest first) and a diff of any two. */
async function loadSpec(id, box) {
  let history;
  try {
    history = await api(`${overlord}/supervisor/${enc(id)}/history`);
  } catch (err) {
    box.replaceChildren(errorBox(err));
    return;
  }
  const label = (v, i) => `${i === 0 ? 'current' : `#${history.length - i}`} — ${fmtTime(v.version)}`;
  const options = (sel) => history.map((v, i) => h('option', { value: i, selected: i === sel }, label(v, i)));
  const text = (i) => pretty(history[i].spec);
  const shown = h('select', { id: 'spec-version' }, options(0));
  const from = h('select', { id: 'diff-from' }, options(Math.min(1, history.length - 1)));
  const to = h('select', { id: 'diff-to' }, options(0));
  const specPre = h('pre', {});
  const diffPre = h('pre', { class: 'diff', id: 'spec-diff' });
  const showSpec = () => { specPre.textContent = text(Number(shown.value)); };
  const showDiff = () => {
    const lines = diffLines(text(Number(from.value)), text(Number(to.value)));
    const changed = lines.filter(([op]) => op !== ' ').length;
    diffPre.replaceChildren(...(changed === 0
      ? [h('div', { class: 'muted' }, 'The two versions are the same.')]
      : lines.map(([op, l]) => h('div', { class: op === '+' ? 'add' : op === '-' ? 'del' : '' }, `${op} ${l}`))));
  };
  shown.addEventListener('change', showSpec);
  from.addEventListener('change', showDiff);
  to.addEventListener('change', showDiff);
  showSpec();
  showDiff();
  box.replaceChildren(
    h('p', {}, `${history.length} version${history.length === 1 ? '' : 's'}. `, h('a', { href: `#/submit/${enc(id)}` }, 'Edit the current spec')),
    h('div', { class: 'grid' },
      h('div', {}, h('p', {}, 'Version ', shown), specPre),
      h('div', {}, h('p', {}, 'Diff from ', from, ' to ', to), diffPre)));
}
