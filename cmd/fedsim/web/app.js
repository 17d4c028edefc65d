// fedsim explorer: all state lives in the Go server; this page only
// renders what /api/matrix, /api/run, /api/scenarios and /api/scenario
// return.
"use strict";
const $ = (id) => document.getElementById(id);
let meta = null;          // /api/matrix answer
let sel = {initiator: "type2", receiver: "type4"};
let overrides = [{}, {}]; // per side: changed policy fields and cert
let current = null;       // last /api/run or /api/scenario answer
let step = 0;             // 0: all steps shown
let files = [];           // /api/scenarios: the files the server may open
let scen = null;          // the open scenario file's id, null: the matrix
let pair = null;          // the scenario's pair the learner chose, null: the file's first stanza's
let good = null;          // the form as it was for current: what an invalid edit goes back to
let mode = "pairs";       // "pairs": the matrix or a file, one pair at a time; "sweep": a grid

async function loadMatrix() {
  const r = await fetch("/api/matrix?servers=" + $("server-set").value);
  meta = await r.json();
  $("matrix-cmd").textContent = meta.replay;
  // Keep the selected pair if the new set has it, else show its first cell.
  if (!preset(sel.initiator) || !preset(sel.receiver)) {
    sel = {initiator: meta.types[0].name, receiver: meta.types[Math.min(1, meta.types.length - 1)].name};
    overrides = [{}, {}];
  }
  const t = $("matrix");
  t.classList.toggle("wide", meta.types.length > 6);
  $("left").classList.toggle("wide", meta.types.length > 6);
  let html = "<tr><th></th>" + meta.types.map(x => `<th title="${x.title}">${x.name}</th>`).join("") + "</tr>";
  for (const a of meta.types) {
    html += `<tr><th title="${a.title}">${a.name}</th>`;
    for (const b of meta.types) {
      const c = meta.cells.find(c => c.initiator === a.name && c.receiver === b.name);
      html += `<td class="o-${c.outcome}" data-i="${a.name}" data-r="${b.name}" data-o="${c.outcome}" data-title="${esc(a.name + " → " + b.name + ": " + c.outcome + (c.reason ? " — " + c.reason : ""))}">${c.outcome}</td>`;
    }
    html += "</tr>";
  }
  t.innerHTML = html;
  t.querySelectorAll("td").forEach(td => td.addEventListener("click", () => {
    sel = {initiator: td.dataset.i, receiver: td.dataset.r};
    openScenario(null);
  }));
  paintMatrix();
  fillSweepForm();
}

// paintMatrix shows each cell's outcome: the presets' from /api/matrix,
// except the cell on view when the learner changed it (a policy, a
// certificate, a fault or an attack), which shows the changed run's
// outcome, hatched and marked ✎, with the presets' in its title.
function paintMatrix() {
  const j = current && !current.scenario ? current : null;
  let note = "";
  document.querySelectorAll("#matrix td").forEach(td => {
    const on = !!j && td.dataset.i === j.initiator && td.dataset.r === j.receiver;
    const edited = on && j.edited;
    const o = edited ? j.outcome : td.dataset.o;
    td.className = `o-${o}` + (on ? " sel" : "") + (edited ? " edited" : "");
    td.textContent = o;
    td.title = edited ? `${td.dataset.i} → ${td.dataset.r}: ${o} with your changes (the presets give ${td.dataset.o}); ${j.commands.explain}` : td.dataset.title;
    if (edited) note = `✎ ${td.dataset.i} → ${td.dataset.r} shows ${o} with your changes; the presets give ${td.dataset.o}. `;
  });
  $("edited-note").hidden = !note;
  $("edited-note").innerHTML = note ? esc(note) + `<button type="button" id="unedit">back to the presets</button>` : "";
  if (note) $("unedit").addEventListener("click", () => $("reset").click());
}

// loadScenarios fills the scenario menu, one group per folder.
async function loadScenarios() {
  const r = await fetch("/api/scenarios");
  files = (await r.json()).files;
  $("scenario-pick").hidden = files.length === 0;
  const groups = new Map();
  for (const f of files) {
    if (!groups.has(f.folder)) groups.set(f.folder, []);
    groups.get(f.folder).push(f);
  }
  let html = `<option value="">none: the matrix</option>`;
  for (const [folder, fs] of groups)
    html += `<optgroup label="${esc(folder)}">` + fs.map(f => `<option value="${f.id}" title="${esc(f.path)}">${esc(f.name)}</option>`).join("") + `</optgroup>`;
  $("scenario").innerHTML = html;
}

// openScenario shows a scenario file (its id in files) or, with null, the
// matrix; either starts from the file's or the presets' own settings.
function openScenario(id) {
  scen = id;
  pair = null;
  overrides = [{}, {}];
  document.querySelectorAll("#faults input").forEach(i => i.checked = false);
  $("scenario").value = id === null ? "" : String(id);
  const f = id === null ? null : files.find(f => f.id === id);
  history.replaceState(null, "", f ? "#scenario=" + encodeURIComponent(f.path) : location.pathname);
  setMode();
  run();
}

// setMode shows the matrix or the scenario's panel, and the faults the
// form can add: a scenario file writes its faults itself.
function setMode() {
  const file = scen !== null, sweeping = mode === "sweep";
  $("matrix-box").hidden = file || sweeping;
  $("scenario-box").hidden = !file || sweeping;
  $("sweep-box").hidden = !sweeping;
  $("sweep-view").hidden = !sweeping;
  $("server-pick").hidden = sweeping;
  $("scenario-pick").hidden = sweeping || files.length === 0;
  $("controls").hidden = sweeping || !current;
  $("view").hidden = sweeping || !current;
  if (sweeping) $("error").hidden = true;
  document.querySelectorAll("#faults input[data-fault]").forEach(i => i.closest("label").hidden = file);
  $("file-faults").hidden = !file;
  $("reset").textContent = file ? "back to the file's settings" : "back to the presets";
}

// showScenario fills the scenario's panel from an /api/scenario answer
// (also when the file did not load: then only its path is known).
function showScenario(s) {
  const f = files.find(f => f.id === s.id);
  $("scenario-name").textContent = s.name || (f ? f.name : "");
  $("scenario-path").textContent = s.path;
  $("scenario-desc").textContent = s.description || "";
  $("scenario-desc").hidden = !s.description;
  const servers = s.servers || [];
  $("scenario-pair").hidden = servers.length < 2;
  const opts = servers.map(v => `<option value="${esc(v.domain)}">${esc(v.domain)}${v.preset ? " (" + esc(v.preset) + ")" : ""}</option>`).join("");
  $("pair-from").innerHTML = opts;
  $("pair-to").innerHTML = opts;
  const faults = (s.faults || []).map(x => `<code>${esc(x)}</code>`).join(" ");
  const attacks = (s.attacks || []).map(x => `<code>${esc(x)}</code>`).join(" ");
  // Explain takes each of the file's faults away in turn; its attacks
  // stay as written (teach.Config.Scenario).
  $("file-faults").innerHTML = !s.servers ? "" :
    (faults ? `The file's faults: ${faults} (“What would have changed it” takes each away). ` : "The file has no faults. ") +
    (attacks ? `Its attacks, as written: ${attacks}. ` : "") + "To change them, edit the file and read it again.";
}

function preset(name) { return meta.types.find(t => t.name === name); }

function buildSide(i) {
  const fs = $("side-" + i);
  const name = i === 0 ? sel.initiator : sel.receiver;
  const p = current ? null : preset(name);
  const pol = current ? current.policies[i] : p.policy;
  const cert = current ? current.certs[i] : p.cert;
  let html = `<legend>${i === 0 ? "initiating" : "receiving"}: ${esc(current ? (i === 0 ? current.from : current.to) : name)}</legend>`;
  for (const f of meta.fields) {
    const vals = f.values.includes(pol[f.name]) ? f.values : [pol[f.name], ...f.values];
    html += `<div class="field" title="${esc(f.help)}"><span>${f.name}</span><select data-side="${i}" data-field="${f.name}" name="${f.name}-${i}">` +
      vals.map(v => `<option${v === pol[f.name] ? " selected" : ""}>${esc(v)}</option>`).join("") + `</select></div>`;
  }
  // A scenario's server may hold a certificate the file names: it stays
  // the first choice ("" asks for no change).
  const certs = meta.certs.includes(cert) ? meta.certs.map(v => [v, v]) : [["", `${cert} (the file's)`], ...meta.certs.map(v => [v, v])];
  html += `<div class="field"><span>certificate</span><select data-side="${i}" data-cert="1" name="cert-${i}">` +
    certs.map(([v, label]) => `<option value="${esc(v)}"${v === cert ? " selected" : ""}>${esc(label)}</option>`).join("") + `</select></div>`;
  // What the domain publishes for DNSSEC, DANE and POSH (docs/dane.md):
  // "" keeps the preset's or the file's.
  const pubs = [["", "as given"], ["none", "nothing"], ["signed", "signed zone"], ["signed,tlsa=dane-ee", "signed zone, TLSA DANE-EE"],
    ["signed,tlsa=dane-ta", "signed zone, TLSA DANE-TA"], ["posh", "POSH document"], ["signed,tlsa=dane-ee,posh", "signed, DANE-EE and POSH"]];
  const pub = overrides[i].publish || "";
  html += `<div class="field" title="what the domain publishes: a DNSSEC-signed zone, TLSA records, a POSH document (docs/dane.md)"><span>publishes</span><select data-side="${i}" data-publish="1" name="publish-${i}">` +
    pubs.map(([v, label]) => `<option value="${esc(v)}"${v === pub ? " selected" : ""}>${esc(label)}</option>`).join("") + `</select></div>`;
  fs.innerHTML = html;
  fs.querySelectorAll("select").forEach(s => s.addEventListener("change", () => {
    if (s.dataset.cert) {
      if (s.value) overrides[i].cert = s.value; else delete overrides[i].cert;
    } else if (s.dataset.publish) {
      if (s.value) overrides[i].publish = s.value; else delete overrides[i].publish;
    } else overrides[i][s.dataset.field] = s.value;
    run();
  }));
}

function policySpec(i) {
  const o = overrides[i];
  return Object.keys(o).filter(k => k !== "cert" && k !== "publish").map(k => `${k}=${o[k]}`).join(",");
}

let runSeq = 0; // answers that arrive out of order must not undo newer ones

async function run() {
  const mine = ++runSeq;
  const body = {policy_initiator: policySpec(0), policy_receiver: policySpec(1),
    cert_initiator: overrides[0].cert || "", cert_receiver: overrides[1].cert || "",
    publish_initiator: overrides[0].publish || "", publish_receiver: overrides[1].publish || ""};
  const att = document.querySelector("#faults input[data-attack]:checked");
  if (att) body.attack = att.dataset.attack;
  let url = "/api/run";
  if (scen !== null) {
    // No seed: the file's own, as fedsim explain FILE runs it.
    url = "/api/scenario";
    body.file = scen;
    if (pair) { body.initiator = pair.initiator; body.receiver = pair.receiver; }
  } else {
    Object.assign(body, {initiator: sel.initiator, receiver: sel.receiver, seed: meta.seed,
      faults: [...document.querySelectorAll("#faults input[data-fault]:checked")].map(x => x.dataset.fault)});
  }
  const form = formState();
  const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const j = await r.json();
  if (mine !== runSeq) return; // a newer run is on its way
  if (j.scenario) showScenario(j.scenario);
  if (!r.ok) {
    $("error").hidden = false;
    $("error").textContent = j.error;
    // Keep the last view only when it is of the same world: a file that
    // does not load, or a first run that fails, shows nothing stale.
    const same = current && (scen === null ? !current.scenario : current.scenario && current.scenario.id === scen);
    if (r.status === 422 || !same) { clearView(); return; }
    // An edit the server refused (an inconsistent policy): the form goes
    // back to what the diagram and the CLI line still show, so that the
    // three agree; the message says what was refused.
    if (good) {
      restoreForm(good);
      $("error").textContent = j.error + "\nNot run: the form is back to the settings the diagram and the CLI line show.";
    }
    return;
  }
  $("error").hidden = true;
  j.edited = form.edited;
  current = j;
  good = form;
  step = 0;
  render();
}

// formState is what the learner set: overrides, faults, attack, the
// scenario's pair, and whether anything differs from the presets or the
// file.
function formState() {
  const faults = [...document.querySelectorAll("#faults input:checked")].map(x => x.dataset.fault || "attack:" + x.dataset.attack);
  return {overrides: JSON.parse(JSON.stringify(overrides)), faults, pair: pair && {...pair},
    edited: Object.keys(overrides[0]).length + Object.keys(overrides[1]).length + faults.length > 0};
}

function restoreForm(f) {
  overrides = JSON.parse(JSON.stringify(f.overrides));
  pair = f.pair && {...f.pair};
  document.querySelectorAll("#faults input").forEach(i => i.checked = f.faults.includes(i.dataset.fault || "attack:" + i.dataset.attack));
  if (current) {
    buildSide(0); buildSide(1);
    if (current.scenario) { $("pair-from").value = current.from; $("pair-to").value = current.to; }
  }
}

// clearView empties the views of a run, for when there is none to show.
function clearView() {
  current = null;
  good = null;
  paintMatrix();
  for (const id of ["summary", "diagram", "steps", "changes", "stepno", "pair-title", "cmd-explain", "cmd-diagram"]) $(id).textContent = "";
  $("side-0").innerHTML = "<legend>initiating</legend>";
  $("side-1").innerHTML = "<legend>receiving</legend>";
  $("view").hidden = true;
  $("controls").hidden = true;
}

function render() {
  const j = current;
  $("view").hidden = false;
  $("controls").hidden = false;
  paintMatrix();
  if (j.scenario) {
    $("pair-from").value = j.from;
    $("pair-to").value = j.to;
  }
  $("pair-title").textContent = `${j.from} → ${j.to}`;
  buildSide(0); buildSide(1);
  let s = `<span class="badge o-${j.outcome}" id="outcome">${j.outcome}</span>${esc(j.from)} → ${esc(j.to)}: ${esc(j.outcome_text)}`;
  if (j.reason && j.outcome === "U") s += ` — ${esc(j.reason)}`;
  s += j.answered ? ". The ping was delivered and answered." : j.delivered ? ". The ping was delivered." : j.bounce ? `. The ping bounced with &lt;${esc(j.bounce)}/&gt;.` : ".";
  if (j.attack) s += ` <b>Attack ${esc(j.attack.kind)}: ${esc(j.attack.verdict)}</b>`;
  $("summary").innerHTML = s;
  $("cmd-explain").textContent = j.commands.explain;
  $("cmd-diagram").textContent = j.commands.diagram;
  $("diagram").innerHTML = j.svg;
  $("steps").innerHTML = j.steps.map(st =>
    `<li value="${st.n}" data-step="${st.n}" class="${st.failure ? "fail" : ""}"><span class="lbl"><b>${esc(st.label)}</b> <small>${st.time} ${st.conn || ""} ${esc(st.from)}${st.from !== st.to ? " → " + esc(st.to) : ""}</small></span>` +
    (st.xml ? `<pre>${esc(st.xml)}</pre>` : "") + (st.why ? `<div class="why">${esc(st.why)}</div>` : "") + `</li>`).join("");
  $("changes").innerHTML = (j.changes || []).map(c => `<li>${esc(c.sentence)} <code>${esc(c.flag)}</code></li>`).join("") ||
    "<li>No single change of either server's policy or certificate changes the outcome.</li>";
  showStep();
}

function showStep() {
  if (!current) return;
  const n = current.steps.length;
  $("stepno").textContent = step === 0 ? `all ${n} steps` : `step ${step} of ${n}`;
  document.querySelectorAll("#steps li").forEach(li => {
    const k = +li.dataset.step;
    li.classList.toggle("on", k === step);
    li.classList.toggle("later", step > 0 && k > step);
  });
  document.querySelectorAll("#diagram g.step").forEach(g => {
    const k = +g.dataset.step;
    g.classList.toggle("on", k === step);
    g.classList.toggle("later", step > 0 && k > step);
  });
  if (step > 0) {
    const li = document.querySelector(`#steps li[data-step="${step}"]`);
    const g = document.querySelector(`#diagram g.step[data-step="${step}"]`);
    if (li) li.scrollIntoView({block: "nearest"});
    if (g) g.scrollIntoView({block: "nearest"});
  }
}

function esc(s) { return String(s).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c])); }

$("prev").addEventListener("click", () => { if (!current) return; step = step <= 1 ? current.steps.length : step - 1; showStep(); });
$("next").addEventListener("click", () => { if (!current) return; step = step >= current.steps.length ? 1 : step + 1; showStep(); });
$("all").addEventListener("click", () => { step = 0; showStep(); });
$("reset").addEventListener("click", () => { overrides = [{}, {}]; document.querySelectorAll("#faults input").forEach(i => i.checked = false); run(); });
$("reread").addEventListener("click", () => run());
document.querySelectorAll("#faults input").forEach(i => i.addEventListener("change", () => {
  if (i.dataset.attack && i.checked) document.querySelectorAll("#faults input[data-attack]").forEach(o => { if (o !== i) o.checked = false; });
  run();
}));
document.addEventListener("keydown", e => {
  if (e.target.closest && e.target.closest("select")) return; // arrows choose options there
  if (e.key === "ArrowRight") $("next").click();
  if (e.key === "ArrowLeft") $("prev").click();
});

$("server-set").addEventListener("change", () => loadMatrix().then(() => openScenario(null)));
$("scenario").addEventListener("change", () => openScenario($("scenario").value === "" ? null : +$("scenario").value));
for (const [id, other] of [["pair-from", "pair-to"], ["pair-to", "pair-from"]]) $(id).addEventListener("change", () => {
  // A server cannot federate with itself: choosing the other side's
  // server swaps the two.
  if (current && $(id).value === $(other).value) $(other).value = id === "pair-from" ? current.from : current.to;
  pair = {initiator: $("pair-from").value, receiver: $("pair-to").value};
  overrides = [{}, {}]; // the changes were to the servers of the last pair
  run();
});

// The sweep view: a grid over up to meta.sweep.max_axes policy fields on
// top of a preset, run by the server (/api/sweep), shown as a heat map.
const sweepDefaults = [["initiate_tls", ["if-required", "always"]], ["accept", ["V,E,T", "E,T"]], ["cert", ["self-signed", "ca-issued"]]];

function fillSweepForm() {
  if ($("sweep-base").options.length) return; // once: it keeps the learner's choices
  const sw = meta.sweep;
  $("sweep-base").innerHTML = sw.bases.map(b => `<option${b === "type3" ? " selected" : ""}>${esc(b)}</option>`).join("");
  let html = "";
  for (let k = 0; k < sw.max_axes; k++) {
    const [field] = sweepDefaults[k] || [""];
    html += `<div class="axis" data-axis="${k}"><label>axis ${k + 1} <select name="axis-${k}"><option value="">—</option>` +
      sw.fields.map(f => `<option${f.name === field ? " selected" : ""} title="${esc(f.want)}">${esc(f.name)}</option>`).join("") + `</select></label><div class="vals"></div></div>`;
  }
  $("sweep-axes").innerHTML = html;
  document.querySelectorAll("#sweep-axes .axis").forEach(ax => {
    const k = +ax.dataset.axis;
    axisValues(ax, (sweepDefaults[k] || [, []])[1]);
    ax.querySelector("select").addEventListener("change", () => { axisValues(ax, []); runSweep(); });
  });
  $("sweep-limit").textContent = `At most ${sw.max_policies} policies (${sw.max_policies * sw.max_policies} runs) in the explorer; combinations that are not consistent servers are left out. Larger grids: fedsim sweep from the command line.`;
}

// axisValues offers the chosen field's values as checkboxes.
function axisValues(ax, checked) {
  const f = meta.sweep.fields.find(f => f.name === ax.querySelector("select").value);
  const vals = ax.querySelector(".vals");
  vals.innerHTML = !f ? "" : f.values.map(v => `<label><input type="checkbox" value="${esc(v)}"${checked.includes(v) ? " checked" : ""}> ${esc(v)}</label>`).join("");
  vals.querySelectorAll("input").forEach(i => i.addEventListener("change", runSweep));
}

let sweepSeq = 0;
let sweepResult = null;

async function runSweep() {
  const mine = ++sweepSeq;
  const axes = [];
  document.querySelectorAll("#sweep-axes .axis").forEach(ax => {
    const field = ax.querySelector("select").value;
    const values = [...ax.querySelectorAll("input:checked")].map(i => i.value);
    if (field) axes.push({field, values});
  });
  $("sweep-summary").textContent = "sweeping…";
  const r = await fetch("/api/sweep", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({base: $("sweep-base").value, axes, seed: meta.seed})});
  const j = await r.json();
  if (mine !== sweepSeq) return;
  if (!r.ok) {
    // Nothing stale: a refused grid shows its reason, not the last map.
    sweepResult = null;
    $("sweep-summary").innerHTML = `<div id="sweep-error" role="alert">${esc(j.error)}</div>`;
    $("sweep-cmd").textContent = "";
    $("sweep-cmd").parentElement.hidden = true;
    $("sweep-matrix").innerHTML = "";
    $("sweep-skipped").innerHTML = "";
    return;
  }
  sweepResult = j;
  renderSweep(j);
}

function renderSweep(j) {
  const n = j.policies.length, c = j.counts;
  $("sweep-summary").textContent = `${n} policies, ${n * n} ordered pairs, each in a fresh world (seed ${j.seed}): U ${c.U || 0} · V ${c.V || 0} · E ${c.E || 0} · T ${c.T || 0}`;
  $("sweep-cmd").textContent = j.replay;
  $("sweep-cmd").parentElement.hidden = false;
  const head = p => `title="${esc(p.name + ": " + p.fields)}"`;
  let html = "<tr><th></th>" + j.policies.map(p => `<th ${head(p)}>${esc(p.name)}</th>`).join("") + "</tr>";
  j.policies.forEach((a, i) => {
    html += `<tr><th ${head(a)}>${esc(a.name)} <small>${esc(a.coords)}</small></th>`;
    j.policies.forEach((b, k) => {
      const cell = j.cells[i * n + k];
      html += `<td class="o-${cell.outcome}" data-i="${i}" data-r="${k}" title="${esc(`${a.name} → ${b.name}: ${cell.outcome}${cell.reason ? " — " + cell.reason : ""}`)}">${cell.outcome}</td>`;
    });
    html += "</tr>";
  });
  $("sweep-matrix").innerHTML = html;
  // A cell opens as a pair when the pair form can say every field of the
  // grid (trusts_ca, for one, it cannot).
  const formable = j.policies.every(p => p.coords.split(" ").every(kv => {
    const f = kv.slice(0, kv.indexOf("="));
    return f === "cert" || meta.fields.some(x => x.name === f);
  }));
  $("sweep-matrix").classList.toggle("formable", formable);
  if (formable) $("sweep-matrix").querySelectorAll("td").forEach(td => td.addEventListener("click", () => openSweepPair(+td.dataset.i, +td.dataset.r)));
  $("sweep-skipped").innerHTML = j.skipped.length ? `<li>${j.skipped.length} combinations are not consistent servers and were left out, e.g. ${esc(j.skipped[0])}</li>` : "";
}

// openSweepPair opens one cell of the sweep as a pair: the base preset on
// both sides, each changed to its policy (the grid's fields as overrides).
function openSweepPair(i, k) {
  const base = $("sweep-base").value;
  if (!preset(base)) { $("server-set").value = "all"; return loadMatrix().then(() => openSweepPair(i, k)); }
  const sides = [sweepResult.policies[i], sweepResult.policies[k]].map(p => {
    const o = {};
    for (const kv of p.coords.split(" ")) {
      const [f, v] = [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)];
      if (f === "cert") o.cert = meta.certs.find(c => c.toLowerCase() === v.toLowerCase()) || v;
      else if (meta.fields.some(x => x.name === f)) o[f] = v;
    }
    return o;
  });
  $("mode").value = "pairs";
  mode = "pairs";
  sel = {initiator: base, receiver: base};
  scen = null; pair = null;
  $("scenario").value = "";
  document.querySelectorAll("#faults input").forEach(x => x.checked = false);
  overrides = sides;
  setMode();
  run();
}

$("mode").addEventListener("change", () => {
  mode = $("mode").value;
  setMode();
  if (mode === "sweep" && !sweepResult) runSweep();
});
$("sweep-base").addEventListener("change", runSweep);

// #scenario=PATH (a path the menu lists) opens that file: a link to a view.
function fileOfHash() {
  const m = location.hash.match(/^#scenario=(.*)$/);
  return m && files.find(f => f.path === decodeURIComponent(m[1]));
}
window.addEventListener("hashchange", () => {
  const f = fileOfHash();
  if (f && f.id !== scen) openScenario(f.id);
});
// busy counts the requests whose answers are not shown yet: the body's
// data-busy is "0" only when the page shows everything it asked for, which
// is what a test waits for (not a time) before it reads or clicks.
let busy = 0;
function tracked(f) {
  return async (...a) => {
    document.body.dataset.busy = String(++busy);
    try { return await f(...a); } finally { document.body.dataset.busy = String(--busy); }
  };
}
loadMatrix = tracked(loadMatrix);
loadScenarios = tracked(loadScenarios);
run = tracked(run);
runSweep = tracked(runSweep);

Promise.all([loadMatrix(), loadScenarios()]).then(() => {
  const f = fileOfHash();
  if (f) openScenario(f.id); else run();
});
