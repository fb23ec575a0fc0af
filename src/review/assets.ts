/**
 * Static assets served by the review app from memory (so the compiled build needs no copy step):
 * its stylesheet and two same-origin scripts: the live score preview while a reviewer edits, and
 * keyboard shortcuts with bulk selection. Pages work without them.
 */

export const APP_CSS = `body{margin:0}:focus-visible{outline:3px solid #0a5bd3;outline-offset:2px}
.skip{position:absolute;left:-10000px;top:0}.skip:focus{left:1rem;top:.5rem;z-index:20;background:#fff;padding:.25rem .5rem}
.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.5rem 1.5rem;border-bottom:1px solid #d0d7de;background:#f6f8fa}
header.top nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}header.top .who{margin-left:auto}header.top form{display:inline}
main.wide{max-width:100rem;padding:1rem 1.5rem}main.wide td,main.wide th,main.wide p,main.wide li,main.wide dd,main.wide code,main.wide q{overflow-wrap:anywhere}
.alert{border:1px solid #d1242f;background:#ffebe9;padding:.5rem .75rem;border-radius:.25rem;margin:.5rem 0}
.ok{border:1px solid #1a7f37;background:#dafbe1;padding:.5rem .75rem;border-radius:.25rem;margin:.5rem 0}
pre.listing{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.75rem;border-radius:.25rem;max-height:75vh;overflow:auto;margin:0;font-size:.9rem}
mark{background:#fff8c5;color:inherit;border-bottom:2px solid #9a6700}
.grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.5rem}@media (max-width:70rem){.grid{grid-template-columns:minmax(0,1fr)}}
.draft-head h1{margin:.5rem 0 .25rem}.draft-head p{margin:0 0 .5rem}
.decision-bar{position:sticky;top:0;z-index:10;background:#fff;border:1px solid #d0d7de;border-radius:.25rem;padding:.5rem .75rem;margin:.5rem 0 1rem;box-shadow:0 2px 4px rgba(0,0,0,.08)}
.decision-bar .bar-facts{display:flex;flex-wrap:wrap;gap:.25rem 1.5rem;align-items:baseline}.decision-bar p{margin:.25rem 0}
.preview-score output{font-weight:700;font-size:1.15rem}output.stale{color:#57606a;text-decoration:line-through}
.preview-error{color:#a40e26;font-weight:600}
.decision-form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.35rem 0}.decision-form input[type=text]{flex:1 1 20rem;width:auto}
button{font:inherit;padding:.2rem .7rem;border:1px solid #8c959f;border-radius:.25rem;background:#f6f8fa;color:#1b1f24;cursor:pointer}
button:disabled{cursor:not-allowed;color:#57606a}
button.approve{background:#1a7f37;border-color:#1a7f37;color:#fff}button.reject{border-color:#a40e26;color:#a40e26;background:#fff}
.pager{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.9rem}kbd{border:1px solid #8c959f;border-radius:.2rem;padding:0 .25rem;font-size:.85em;background:#f6f8fa}
.review-grid{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1.5rem;align-items:start}
.listing-pane{position:sticky;top:9rem}.listing-meta{font-size:.9rem}
.report-pane article.report h1{font-size:1.5rem}
@media (max-width:70rem){.review-grid{grid-template-columns:minmax(0,1fr)}.listing-pane{position:static}}
.facts-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.5rem}@media (max-width:70rem){.facts-grid{grid-template-columns:minmax(0,1fr)}}
.editor label{display:block;margin:.5rem 0}.editor .row{display:flex;flex-wrap:wrap;gap:.25rem 1.5rem}.editor .row label.grow{flex:1 1 20rem}
textarea{width:100%;min-height:4.5rem;font:inherit;line-height:1.4;box-sizing:border-box;resize:vertical}input[type=text]{width:100%;box-sizing:border-box;font:inherit}input.value{width:5.5rem;font:inherit}
table.factors-edit th[scope=row]{width:12rem;font-weight:600}table.factors-edit td:nth-child(2){width:6.5rem}table.factors-edit caption{text-align:left;font-weight:600;padding:.25rem 0}
.evidence{font-size:.85rem;margin-top:.25rem}
fieldset{border:1px solid #d0d7de;border-radius:.25rem;margin:.75rem 0}
.counts span{margin-right:.75rem}.filters-form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:.5rem 0}
form.bulk{border:1px solid #d0d7de;border-radius:.25rem;padding:.25rem .75rem;margin:.5rem 0 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}
form.bulk p{flex:1 1 100%;margin:.25rem 0}form.bulk label{display:flex;gap:.5rem;align-items:center;flex:1 1 20rem}form.bulk label.inline{display:inline-flex;flex:none;gap:.25rem}
table.queue td.pick{width:2rem}table.queue .id{font-size:.85rem}
@media (max-width:40rem){table.queue thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}table.queue,table.queue tbody,table.queue tr,table.queue td{display:block;width:auto}table.queue tr{border:1px solid #d0d7de;border-radius:.25rem;margin:.5rem 0;padding:.25rem .5rem}table.queue td{border:0;padding:.1rem 0;text-align:left}table.queue td[data-label]::before{content:attr(data-label) ": ";color:#57606a}table.queue td:empty{display:none}}
.preview{position:sticky;top:0;background:#fff;border:1px solid #d0d7de;padding:.4rem .75rem;border-radius:.25rem;z-index:5}
del{background:#ffebe9;color:#1b1f24}ins{background:#dafbe1;color:#1b1f24;text-decoration:none}table.diff td{vertical-align:top}
ol.timeline{list-style:none;padding:0;margin:0;border-left:2px solid #d0d7de}
ol.timeline li{display:grid;grid-template-columns:11rem minmax(0,1fr);gap:.75rem;padding:.35rem 0 .35rem .75rem;border-bottom:1px solid #eaeef2}
ol.timeline .when{color:#57606a;font-variant-numeric:tabular-nums;font-size:.9rem}ol.timeline .action{font-weight:600;color:#0a3069}
ol.timeline .subject{color:#57606a;font-size:.9rem}dl.detail{display:flex;flex-wrap:wrap;gap:.1rem 1.25rem;margin:.25rem 0 0;font-size:.9rem}
dl.detail div{display:flex;gap:.35rem;min-width:0}dl.detail dt{color:#57606a}dl.detail dd{margin:0;overflow-wrap:anywhere}
.changed{font-size:.8em;border:1px solid #9a6700;background:#fff8c5;border-radius:1rem;padding:0 .5rem;white-space:nowrap}
.plan td,.plan th{vertical-align:top}
main.public{max-width:46rem}main.public label{display:block;margin:.6rem 0}main.public textarea{min-height:9rem}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
blockquote{border-left:3px solid #d0d7de;margin:.5rem 0;padding:.25rem .75rem;white-space:pre-wrap}
.banner{border-radius:.25rem;padding:.5rem .75rem;margin:.5rem 0}.banner.insufficient{border:1px solid #9a6700;background:#fff8c5}.banner.corrected{border:1px solid #0a5bd3;background:#ddf4ff}`;

/**
 * Debounced live score preview: posts the edit form to the preview endpoint and shows the result.
 * While a value is invalid (the browser's own check, or the server's), the score shown is marked as
 * not updated and the error says why, naming the field.
 */
export const PREVIEW_JS = `'use strict';
(function () {
  var form = document.getElementById('edit-form');
  var out = document.getElementById('preview-score');
  var err = document.getElementById('preview-error');
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!form || !out || !meta) return;
  var timer = null;
  var seq = 0;
  function clearMarks() {
    form.querySelectorAll('[aria-invalid="true"]').forEach(function (field) { field.removeAttribute('aria-invalid'); });
  }
  function fail(message, field) {
    out.classList.add('stale');
    out.setAttribute('title', 'not updated: ' + message);
    if (err) err.textContent = 'Score not updated: ' + message;
    if (field) field.setAttribute('aria-invalid', 'true');
  }
  function send() {
    var mine = ++seq;
    clearMarks();
    var invalid = Array.prototype.find.call(form.elements, function (field) { return field.willValidate && !field.checkValidity(); });
    if (invalid) {
      var label = invalid.id ? form.querySelector('label[for="' + invalid.id + '"]') : null;
      fail((label ? label.textContent + ': ' : invalid.name + ': ') + invalid.validationMessage, invalid);
      return;
    }
    var body = {};
    new FormData(form).forEach(function (value, key) {
      if (key !== '_csrf' && key !== 'version' && typeof value === 'string') body[key] = value;
    });
    fetch(form.getAttribute('data-preview'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': meta.getAttribute('content') },
      body: JSON.stringify({ form: body })
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (mine !== seq) return;
      if (result.ok && result.data.score) {
        out.textContent = result.data.score.score.toFixed(1) + ' ' + result.data.score.severity;
        out.setAttribute('data-score', String(result.data.score.score));
        out.classList.remove('stale');
        out.removeAttribute('title');
        if (err) err.textContent = '';
      } else {
        var error = result.data && result.data.error ? result.data.error : null;
        var field = error && error.field ? form.querySelector('[name="' + error.field.replace(/"/g, '') + '"]') : null;
        fail(error ? error.message : 'the preview failed', field);
      }
    }).catch(function () { if (mine === seq) fail('the server did not answer', null); });
  }
  form.addEventListener('input', function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(send, 150);
  });
})();
`;

/**
 * Keyboard shortcuts on the draft page (j/k next/previous draft, a approve, c request changes,
 * x reject; not while typing) and "select all" for bulk approval on the queue. Decisions still go
 * through the forms, so the server checks them as it checks a click.
 */
export const REVIEW_JS = `'use strict';
(function () {
  var all = document.getElementById('select-eligible');
  if (all) {
    all.addEventListener('change', function () {
      document.querySelectorAll('input[name="draft"][form="bulk-form"]').forEach(function (box) { box.checked = all.checked; });
    });
  }
  var form = document.getElementById('decision-form');
  var comment = document.getElementById('decision-comment');
  document.addEventListener('keydown', function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var key = event.key;
    if (key === 'j' || key === 'k') {
      var link = document.getElementById(key === 'j' ? 'next-draft' : 'prev-draft');
      if (link) { event.preventDefault(); window.location.assign(link.getAttribute('href')); }
      return;
    }
    if (!form) return;
    var button = form.querySelector('button[data-key="' + key + '"]');
    if (!button) return;
    event.preventDefault();
    if (key !== 'a' && comment && comment.value.trim() === '') {
      comment.setAttribute('aria-invalid', 'true');
      comment.placeholder = 'A comment is required: write why, then choose ' + button.textContent;
      comment.focus();
      return;
    }
    form.requestSubmit(button);
  });
})();
`;
