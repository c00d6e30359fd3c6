/**
 * The one stylesheet of the server-rendered pages, served at /assets/site.css (the page CSP
 * refuses inline styles). Contrast is at least 4.5:1 everywhere; colour always repeats what a
 * word or a mark already says; printing leaves the report alone on the page.
 */
export const SITE_CSS = `
:root {
  --ink: #1a1a1a;
  --muted: #4d4d4d;
  --paper: #ffffff;
  --tint: #f4f5f7;
  --line: #c4c8cf;
  --link: #0b4fa3;
  --focus: #b35c00;
  --ok: #1b5e20;
  --ok-tint: #e8f3e9;
  --fail: #a4161a;
  --fail-tint: #fbeaea;
  --warn: #7a4b00;
  --warn-tint: #fff4de;
  color-scheme: light;
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--paper);
  color: var(--ink);
  font: 1rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  overflow-wrap: anywhere;
}
main, header.site, footer.site { max-width: 48rem; margin: 0 auto; padding: 0 1rem; }
main { padding-bottom: 3rem; }
main:focus { outline: none; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 1.5rem 0 1rem; }
h2 { font-size: 1.5rem; line-height: 1.25; margin: 1.75rem 0 .75rem; }
h3 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
h4 { font-size: 1.05rem; margin: 1.25rem 0 .25rem; }
p, ul, ol, dl { margin: 0 0 .9rem; }
a { color: var(--link); text-decoration-thickness: .08em; text-underline-offset: .15em; }
a:hover { text-decoration-thickness: .15em; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
code, pre, textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .9em; }
code { background: var(--tint); padding: 0 .2em; border-radius: 3px; word-break: break-all; }
pre { background: var(--tint); padding: .75rem; overflow-x: auto; border-radius: 4px; white-space: pre-wrap; word-break: break-all; }
pre code { background: none; padding: 0; }
.skip { position: absolute; left: .5rem; top: -4rem; background: var(--paper); color: var(--link); padding: .5rem .75rem; border: 2px solid var(--link); z-index: 10; }
.skip:focus { top: .5rem; }
header.site { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: .5rem 1.5rem; padding-top: .75rem; padding-bottom: .75rem; border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; font-size: 1.15rem; color: var(--ink); text-decoration: none; }
header.site ul { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; list-style: none; margin: 0; padding: 0; }
header.site a { display: inline-block; padding: .35rem 0; }
footer.site { border-top: 1px solid var(--line); color: var(--muted); font-size: .9rem; padding-top: 1rem; padding-bottom: 2rem; }
.lead { font-size: 1.1rem; }
.muted, .small { color: var(--muted); }
.small { font-size: .875rem; }
.hint { color: var(--muted); margin-bottom: .4rem; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
textarea {
  display: block; width: 100%; min-height: 10rem; padding: .6rem; color: var(--ink); background: var(--paper);
  border: 2px solid var(--muted); border-radius: 4px; resize: vertical;
}
input[type="file"] { display: block; max-width: 100%; padding: .4rem 0; }
button, .button {
  display: inline-block; margin-top: 1rem; padding: .65rem 1.4rem; min-height: 2.75rem;
  font: inherit; font-weight: 600; color: #ffffff; background: var(--link); border: 2px solid var(--link); border-radius: 4px; cursor: pointer;
}
button:hover { background: #083b7a; }
.verify-form.dragging { outline: 3px dashed var(--link); outline-offset: 6px; }
.problem { border-left: 6px solid var(--fail); background: var(--fail-tint); padding: .75rem 1rem; margin: 1rem 0; }
.share-from { border-left: 6px solid var(--link); background: var(--tint); padding: .75rem 1rem; }
#how-verified { color: var(--muted); }
.report { margin-top: 1.5rem; }
.verdict { border: 2px solid; border-left-width: 10px; border-radius: 6px; padding: .25rem 1.25rem .5rem; margin-bottom: 1.25rem; }
.verdict h2 { font-size: 2rem; margin-top: .75rem; }
.verdict-ok { border-color: var(--ok); background: var(--ok-tint); }
.verdict-ok h2 { color: var(--ok); }
.verdict-fail { border-color: var(--fail); background: var(--fail-tint); }
.verdict-fail h2 { color: var(--fail); }
.verdict h2:focus { outline-offset: 4px; }
.failure-code { font-size: .8rem; white-space: nowrap; }
.notice { border-left: 6px solid var(--warn); background: var(--warn-tint); padding: .5rem .75rem; }
.remarks { color: var(--muted); }
.part { border-top: 1px solid var(--line); }
dl { display: grid; grid-template-columns: minmax(8rem, 13rem) 1fr; gap: .35rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
dd ul, dd ol { margin: .25rem 0 0; padding-left: 1.25rem; }
@media (max-width: 34rem) {
  dl { grid-template-columns: 1fr; gap: 0; }
  dd { margin-bottom: .6rem; }
  h1 { font-size: 1.6rem; }
}
.mark { display: inline-block; width: 1.1em; font-weight: 700; text-align: center; }
.controls, .checks { list-style: none; padding-left: 0; }
.control { padding: .45rem 0 .45rem .6rem; border-left: 4px solid var(--line); margin-bottom: .35rem; }
.control-pass { border-left-color: var(--ok); }
.control-pass .mark, .yes { color: var(--ok); }
.control-fail { border-left-color: var(--fail); }
.control-fail .mark, .no { color: var(--fail); }
.control-partial { border-left-color: var(--warn); }
.control-hidden { border-left-style: dashed; color: var(--muted); }
.outcome { font-weight: 600; }
.note { margin: .25rem 0 0; }
.evidence { margin: .35rem 0 0; padding-left: 1.25rem; font-size: .92rem; }
.evidence li { margin-bottom: .3rem; }
.stages { margin-top: .35rem; }
.pin { border: 2px dashed var(--ink); padding: .75rem 1rem; }
.checks li { margin-bottom: .5rem; }
.badge-preview { margin: .5rem 0 1rem; }
@media print {
  header.site, footer.site, .skip, form, #how-verified, .badge, .no-print { display: none !important; }
  body { font-size: 11pt; color: #000000; }
  main { max-width: none; padding: 0; }
  a { color: #000000; }
  .verdict { break-inside: avoid; }
  .part, .control, .pin, dl > div { break-inside: avoid; }
  h3, h4 { break-after: avoid; }
  code { background: none; }
}
`;
