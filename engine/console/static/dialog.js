// Confirmation dialogs for the dangerous supervisor actions, on the page's one <dialog>.

// pending cancels the dialog still waiting for its close event, if any, so that only the
// dialog on screen ever reacts to OK.
let pending = null;

/**
 * confirmDialog opens the dialog and resolves with false when cancelled, or with true (or the
 * text typed, when input is set) when confirmed. validate, when given, checks the input before
 * the dialog closes and returns an error message to show, or null.
 */
export function confirmDialog({ title, body, confirmLabel = 'OK', input = null, validate = null }) {
  if (pending) pending();
  const dlg = document.getElementById('confirm');
  const text = dlg.querySelector('.input');
  const err = dlg.querySelector('.error');
  const ok = dlg.querySelector('.ok');
  dlg.querySelector('.title').textContent = title;
  const bodyEl = dlg.querySelector('.body');
  bodyEl.replaceChildren(...(Array.isArray(body) ? body : [body]).map((b) => (b instanceof Node ? b : Object.assign(document.createElement('p'), { textContent: b }))));
  ok.textContent = confirmLabel;
  text.hidden = input === null;
  text.value = input ?? '';
  err.hidden = true;
  return new Promise((resolve) => {
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      pending = null;
      ok.removeEventListener('click', onOk);
      dlg.removeEventListener('close', onClose);
      resolve(value);
    };
    // OK decides here, before the form closes the dialog, so a refused input keeps it open.
    const onOk = (e) => {
      const msg = validate ? validate(text.value) : null;
      if (msg) {
        e.preventDefault();
        err.textContent = msg;
        err.hidden = false;
        return;
      }
      finish(input === null ? true : text.value);
    };
    // Cancel, Escape: the dialog closed without OK. The close event of a previous dialog can
    // still arrive after this one opened; the dialog is open then, and that event is not ours.
    const onClose = () => {
      if (!dlg.open) finish(false);
    };
    pending = () => finish(false);
    ok.addEventListener('click', onOk);
    dlg.addEventListener('close', onClose);
    dlg.showModal();
    (input === null ? dlg.querySelector('.cancel') : text).focus();
  });
}
