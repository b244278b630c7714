// The supervisor actions (suspend, resume, reset, reset offsets, terminate), shared by the
// list and the detail view. Every one that changes what is ingested asks first, saying what
// it will do.
import { api, enc, overlord } from '../api.js';
import { h } from '../dom.js';
import { confirmDialog } from '../dialog.js';

/**
 * actionButtons returns the buttons for one supervisor. status returns its latest status
 * payload (may be null); done is called after an action succeeded; report shows an error.
 */
export function actionButtons(id, { suspended, status }, done, report) {
  const run = async (path, body) => {
    try {
      await api(`${overlord}/supervisor/${enc(id)}/${path}`, { method: 'POST', body });
      done();
    } catch (err) {
      report(`${path} ${id}: ${err.message}`);
    }
  };
  const button = (label, action, cls = '') => h('button', { type: 'button', class: cls, 'data-action': label.toLowerCase().replace(' ', '-'), onclick: action }, label);
  return h('span', { class: 'actions' },
    suspended
      ? button('Resume', () => run('resume'))
      : button('Suspend', async () => {
        const ok = await confirmDialog({
          title: `Suspend ${id}?`,
          body: ['Its running tasks stop reading, publish the segments they have built and exit. No new tasks start until you resume it.',
            'The stored offsets are kept: resuming continues where ingestion stopped.'],
          confirmLabel: 'Suspend',
        });
        if (ok) run('suspend');
      }),
    button('Reset', async () => {
      const ok = await confirmDialog({
        title: `Reset ${id}?`,
        body: ['The stored offsets are cleared and the running tasks stop without publishing. New tasks start from the earliest or the latest Kafka offset (ioConfig.useEarliestOffset).',
          'Rows between the stored offsets and latest will be skipped or re-read.'],
        confirmLabel: 'Reset',
      });
      if (ok) run('reset');
    }, 'danger'),
    button('Reset offsets', async () => {
      const current = {};
      for (const t of status()?.activeTasks || []) Object.assign(current, t.currentOffsets || {});
      const text = await confirmDialog({
        title: `Reset offsets of ${id}`,
        body: ['Enter the new stored offset of each partition to change, as {"partition": offset}. Other partitions keep theirs.',
          'Tasks reading those partitions stop without publishing; reading resumes at the given offsets, so the rows between the old and new offsets are skipped or read again.'],
        input: JSON.stringify(current, null, 1),
        validate: (v) => {
          try {
            const m = JSON.parse(v);
            if (!m || typeof m !== 'object' || Array.isArray(m) || Object.keys(m).length === 0) return 'Give at least one partition, e.g. {"0": 1200}.';
            for (const [p, o] of Object.entries(m)) {
              if (!/^\d+$/.test(p) || !Number.isInteger(o) || o < 0) return `partition ${p}: offset must be a whole number ≥ 0`;
            }
            return null;
          } catch (err) {
            return `Not JSON: ${err.message}`;
          }
        },
        confirmLabel: 'Reset offsets',
      });
      if (text !== false) {
        run('resetOffsets', { type: 'kafka', partitions: { type: 'end', stream: status()?.stream, partitionOffsetMap: JSON.parse(text) } });
      }
    }, 'danger'),
    button('Terminate', async () => {
      const ok = await confirmDialog({
        title: `Terminate ${id}?`,
        body: ['This stops ingestion for good: the supervisor and its tasks stop and it will not start again after a restart.',
          'Published data stays queryable, and the spec history and committed offsets are kept: submitting the spec again resumes from them.'],
        confirmLabel: 'Terminate',
      });
      if (ok) run('terminate');
    }, 'danger'),
    h('a', { href: `#/submit/${enc(id)}` }, 'Edit spec'));
}

/** rowsPerSecond sums the 1-minute moving average of rows processed over a supervisor's tasks (GET …/stats). */
export function rowsPerSecond(stats) {
  let sum = 0, any = false;
  for (const group of Object.values(stats || {})) {
    for (const task of Object.values(group || {})) {
      const r = task?.movingAverages?.buildSegments?.['1m']?.processed;
      if (typeof r === 'number') { sum += r; any = true; }
    }
  }
  return any ? sum : null;
}

/** rowsProcessed sums the rows processed so far by a supervisor's running tasks. */
export function rowsProcessed(stats) {
  let sum = 0;
  for (const group of Object.values(stats || {})) {
    for (const task of Object.values(group || {})) sum += task?.totals?.buildSegments?.processed || 0;
  }
  return sum;
}

/** configuredTasks is taskCount × replicas of a spec in any accepted shape. */
export function configuredTasks(spec) {
  const io = spec?.spec?.ioConfig || spec?.ioConfig || {};
  return (io.taskCount || 1) * (io.replicas || 1);
}
