// Confirmation dialogs for the dangerous supervisor actions, on the page's one <dialog>.

/**
 * confirmDialog opens the dialog and resolves with false when cancelled, or with true (or the
 * text typed, when input is set) when confirmed. validate, when given, checks the input before
 * the dialog closes and returns an error message to show, or null.
 */
export function confirmDialog({ title, body, confirmLabel = 'OK', input = null, validate = null }) {
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
    const onClick = (e) => {
      if (!validate) return;
      const msg = validate(text.value);
      if (msg) {
        e.preventDefault();
        err.textContent = msg;
        err.hidden = false;
      }
    };
    ok.addEventListener('click', onClick);
    dlg.addEventListener('close', () => {
      ok.removeEventListener('click', onClick);
      if (dlg.returnValue !== 'ok') resolve(false);
      else resolve(input === null ? true : text.value);
    }, { once: true });
    dlg.returnValue = '';
    dlg.showModal();
    (input === null ? dlg.querySelector('.cancel') : text).focus();
  });
}
