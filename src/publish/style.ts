/** The stylesheet of the published site (also served by the review UI for its report preview). */
export const SITE_CSS = `:root{color-scheme:light;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--accent:#0a5bd3}
*{box-sizing:border-box}:focus-visible{outline:3px solid var(--accent);outline-offset:2px}body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0}
main{max-width:60rem;margin:0 auto;padding:1.5rem}header.site{border-bottom:1px solid var(--line);padding:.75rem 1.5rem}
header.site a{color:var(--fg);text-decoration:none;font-weight:600}a{color:var(--accent)}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
th{font-weight:600}td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.band{display:inline-block;border-radius:.25rem;padding:0 .4rem;font-weight:600;font-size:.9em}
.band-Critical{background:#8b0000;color:#fff}.band-High{background:#d1242f;color:#fff}.band-Medium{background:#f2c744;color:#1b1f24}
.band-Low{background:#1a7f37;color:#fff}.band-None{background:#d0d7de;color:#1b1f24}
.score-big{font-size:2rem;font-weight:700;margin-right:.5rem}.muted{color:var(--muted)}
.layer{border-left:3px solid var(--line);padding:.25rem .75rem;margin:.75rem 0}.layer.certain{border-left-color:var(--accent)}
.layer h3{margin:.1rem 0;font-size:1rem}.uncertain-tag{font-weight:600;color:var(--muted)}
.threats{font-size:.9em;color:var(--muted)}footer.report{border-top:1px solid var(--line);margin-top:2rem;padding-top:.75rem;font-size:.9em;color:var(--muted)}
svg.radar{max-width:34rem;width:100%;height:auto;display:block;margin:.5rem auto}svg.radar .ring{fill:none;stroke:#d0d7de}
svg.radar .axis{stroke:#d0d7de}svg.radar .shape{fill:rgba(10,91,211,.25);stroke:#0a5bd3;stroke-width:2}svg.radar text{font-size:11px;fill:#57606a}svg.radar .point{fill:#0a5bd3}
.filters{display:flex;flex-wrap:wrap;gap:.25rem .75rem;margin:.5rem 0}.filters input{position:absolute;opacity:0}
.filters label{border:1px solid var(--line);border-radius:1rem;padding:.1rem .7rem;cursor:pointer}
.filters input:focus-visible+label{outline:2px solid var(--accent)}
#band-all:checked~.filters label[for=band-all],#band-Critical:checked~.filters label[for=band-Critical],#band-High:checked~.filters label[for=band-High],
#band-Medium:checked~.filters label[for=band-Medium],#band-Low:checked~.filters label[for=band-Low],#band-None:checked~.filters label[for=band-None]{background:var(--fg);color:var(--bg)}
#band-Critical:checked~table tbody tr:not(.band-row-Critical),#band-High:checked~table tbody tr:not(.band-row-High),
#band-Medium:checked~table tbody tr:not(.band-row-Medium),#band-Low:checked~table tbody tr:not(.band-row-Low),
#band-None:checked~table tbody tr:not(.band-row-None){display:none}
.band-radio{position:absolute;opacity:0;pointer-events:none}
header.site a.nav{font-weight:400;margin-left:1rem;color:var(--accent)}
.score-range{color:var(--muted);font-variant-numeric:tabular-nums;margin-right:.5rem}
.banner{border-radius:.25rem;padding:.5rem .75rem;margin:.75rem 0}.banner.insufficient{border:1px solid #bf8700;background:#fff8c5}
.banner.corrected{border:1px solid #0a5bd3;background:#ddf4ff}
.chip{display:inline-block;border-radius:1rem;padding:0 .45rem;font-size:.75em;font-weight:600;text-decoration:none;margin:0 .1rem;border:1px solid var(--line)}
.chip-asi{background:#ddf4ff;color:#0a3069;border-color:#54aeff}.chip-t{background:#f6f8fa;color:var(--muted)}
ul.threats{font-size:.9em;margin:.25rem 0;padding-left:1.2rem}.other-threats{font-style:italic}
td.certainty{font-size:.85em;color:var(--muted);white-space:nowrap}.certainty-field,.certainty-stated{color:var(--fg)}
.tag-insufficient{font-size:.75em;border:1px solid #9a6700;background:#fff8c5;border-radius:.25rem;padding:0 .3rem}
table.catalogue td,table.taxonomy td,table.rubric td{font-size:.9em}
main td,main p,main li,main h1,main h2,main h3{overflow-wrap:anywhere}.formula{font-size:.85em}
@media (max-width:40rem){main{padding:1rem}header.site{padding:.75rem 1rem}
table.factors thead,table.agents thead,table.catalogue thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.factors,table.factors tbody,table.factors tr,table.factors td,table.agents,table.agents tbody,table.agents tr,table.agents td,
table.catalogue,table.catalogue tbody,table.catalogue tr,table.catalogue td{display:block;width:100%}
table.factors tr,table.agents tr,table.catalogue tr{border-bottom:1px solid var(--line);padding:.35rem 0}table.factors td,table.agents td,table.catalogue td{border:0;padding:.1rem 0}
table.factors td[data-label]::before,table.agents td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-size:.85em}
table.score-parts td:nth-child(3){display:none}}
`;
