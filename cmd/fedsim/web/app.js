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
      html += `<td class="o-${c.outcome}" data-i="${a.name}" data-r="${b.name}" title="${a.name} → ${b.name}: ${c.outcome}${c.reason ? " — " + c.reason : ""}">${c.outcome}</td>`;
    }
    html += "</tr>";
  }
  t.innerHTML = html;
  t.querySelectorAll("td").forEach(td => td.addEventListener("click", () => {
    sel = {initiator: td.dataset.i, receiver: td.dataset.r};
    openScenario(null);
  }));
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
  const file = scen !== null;
  $("matrix-box").hidden = file;
  $("scenario-box").hidden = !file;
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
  fs.innerHTML = html;
  fs.querySelectorAll("select").forEach(s => s.addEventListener("change", () => {
    if (s.dataset.cert) {
      if (s.value) overrides[i].cert = s.value; else delete overrides[i].cert;
    } else overrides[i][s.dataset.field] = s.value;
    run();
  }));
}

function policySpec(i) {
  const o = overrides[i];
  return Object.keys(o).filter(k => k !== "cert").map(k => `${k}=${o[k]}`).join(",");
}

let runSeq = 0; // answers that arrive out of order must not undo newer ones

async function run() {
  const mine = ++runSeq;
  const body = {policy_initiator: policySpec(0), policy_receiver: policySpec(1),
    cert_initiator: overrides[0].cert || "", cert_receiver: overrides[1].cert || ""};
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
    if (r.status === 422 || !same) clearView();
    return;
  }
  $("error").hidden = true;
  current = j;
  step = 0;
  render();
}

// clearView empties the views of a run, for when there is none to show.
function clearView() {
  current = null;
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
  document.querySelectorAll("#matrix td").forEach(td =>
    td.classList.toggle("sel", !j.scenario && td.dataset.i === j.initiator && td.dataset.r === j.receiver));
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

// #scenario=PATH (a path the menu lists) opens that file: a link to a view.
function fileOfHash() {
  const m = location.hash.match(/^#scenario=(.*)$/);
  return m && files.find(f => f.path === decodeURIComponent(m[1]));
}
window.addEventListener("hashchange", () => {
  const f = fileOfHash();
  if (f && f.id !== scen) openScenario(f.id);
});
Promise.all([loadMatrix(), loadScenarios()]).then(() => {
  const f = fileOfHash();
  if (f) openScenario(f.id); else run();
});
