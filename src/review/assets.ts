/**
 * Static assets served by the review app from memory (so the compiled build needs no copy step):
 * its stylesheet and the one same-origin script, which previews the score while a reviewer edits.
 */

export const APP_CSS = `body{margin:0}nav.top{display:flex;gap:1rem;align-items:center;padding:.5rem 1.5rem;border-bottom:1px solid #d0d7de;background:#f6f8fa}
nav.top .who{margin-left:auto}nav.top form{display:inline}main.wide{max-width:80rem}
.alert{border:1px solid #d1242f;background:#ffebe9;padding:.5rem .75rem;border-radius:.25rem;margin:.5rem 0}
.ok{border:1px solid #2da44e;background:#dafbe1;padding:.5rem .75rem;border-radius:.25rem;margin:.5rem 0}
pre.listing{white-space:pre-wrap;background:#f6f8fa;padding:.75rem;border-radius:.25rem;max-height:28rem;overflow:auto}
mark{background:#fff8c5;border-bottom:2px solid #d4a72c}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem}@media (max-width:70rem){.grid{grid-template-columns:1fr}}
textarea{width:100%;min-height:3.5rem;font:inherit}input[type=text]{width:100%}input.value{width:5rem}
fieldset{border:1px solid #d0d7de;border-radius:.25rem;margin:.75rem 0}.actions form{margin:.5rem 0}
.counts span{margin-right:.75rem}.filters-form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end}
.preview{position:sticky;top:0;background:#fff;border:1px solid #d0d7de;padding:.4rem .75rem;border-radius:.25rem}
del{background:#ffebe9}ins{background:#dafbe1;text-decoration:none}table.diff td{overflow-wrap:anywhere;vertical-align:top}
main.public{max-width:46rem}main.public label{display:block;margin:.6rem 0}main.public textarea{min-height:9rem}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
blockquote{border-left:3px solid #d0d7de;margin:.5rem 0;padding:.25rem .75rem;white-space:pre-wrap}
.banner{border-radius:.25rem;padding:.5rem .75rem;margin:.5rem 0}.banner.insufficient{border:1px solid #bf8700;background:#fff8c5}.banner.corrected{border:1px solid #0a5bd3;background:#ddf4ff}
.changed{font-size:.8em;border:1px solid #9a6700;background:#fff8c5;border-radius:1rem;padding:0 .5rem;white-space:nowrap}`;

/** Debounced live score preview: posts the edit form to the preview endpoint and shows the result. */
export const PREVIEW_JS = `'use strict';
(function () {
  var form = document.getElementById('edit-form');
  var out = document.getElementById('preview-score');
  var err = document.getElementById('preview-error');
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!form || !out || !meta) return;
  var timer = null;
  var seq = 0;
  function send() {
    var body = {};
    new FormData(form).forEach(function (value, key) {
      if (key !== '_csrf' && key !== 'version' && typeof value === 'string') body[key] = value;
    });
    var mine = ++seq;
    fetch(form.getAttribute('data-preview'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': meta.getAttribute('content') },
      body: JSON.stringify({ form: body })
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (mine !== seq) return;
      if (result.ok) {
        out.textContent = result.data.score.score.toFixed(1) + ' ' + result.data.score.severity;
        out.setAttribute('data-score', String(result.data.score.score));
        if (err) err.textContent = '';
      } else if (err) {
        err.textContent = result.data.error ? result.data.error.message : 'Preview failed';
      }
    }).catch(function () { if (err) err.textContent = 'Preview unavailable'; });
  }
  form.addEventListener('input', function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(send, 150);
  });
})();
`;
