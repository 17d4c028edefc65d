// fedsim explorer: all state lives in the Go server; this page only
// renders what /api/matrix and /api/run return.
"use strict";
const $ = (id) => document.getElementById(id);
let meta = null;          // /api/matrix answer
let sel = {initiator: "type2", receiver: "type4"};
let overrides = [{}, {}]; // per side: changed policy fields and cert
let current = null;       // last /api/run answer
let step = 0;             // 0: all steps shown

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
    overrides = [{}, {}];
    document.querySelectorAll("#faults input").forEach(i => i.checked = false);
    run();
  }));
}

function preset(name) { return meta.types.find(t => t.name === name); }

function buildSide(i) {
  const fs = $("side-" + i);
  const name = i === 0 ? sel.initiator : sel.receiver;
  const p = preset(name);
  const pol = current ? current.policies[i] : p.policy;
  const cert = current ? current.certs[i] : p.cert;
  let html = `<legend>${i === 0 ? "initiating" : "receiving"}: ${current ? (i === 0 ? current.from : current.to) : name}</legend>`;
  for (const f of meta.fields) {
    const vals = f.values.includes(pol[f.name]) ? f.values : [pol[f.name], ...f.values];
    html += `<div class="field" title="${f.help}"><span>${f.name}</span><select data-side="${i}" data-field="${f.name}" name="${f.name}-${i}">` +
      vals.map(v => `<option${v === pol[f.name] ? " selected" : ""}>${v}</option>`).join("") + `</select></div>`;
  }
  html += `<div class="field"><span>certificate</span><select data-side="${i}" data-cert="1" name="cert-${i}">` +
    meta.certs.map(v => `<option${v === cert ? " selected" : ""}>${v}</option>`).join("") + `</select></div>`;
  fs.innerHTML = html;
  fs.querySelectorAll("select").forEach(s => s.addEventListener("change", () => {
    if (s.dataset.cert) overrides[i].cert = s.value; else overrides[i][s.dataset.field] = s.value;
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
  const body = {initiator: sel.initiator, receiver: sel.receiver, seed: meta.seed,
    policy_initiator: policySpec(0), policy_receiver: policySpec(1),
    cert_initiator: overrides[0].cert || "", cert_receiver: overrides[1].cert || "",
    faults: [...document.querySelectorAll("#faults input[data-fault]:checked")].map(x => x.dataset.fault)};
  const att = document.querySelector("#faults input[data-attack]:checked");
  if (att) body.attack = att.dataset.attack;
  const r = await fetch("/api/run", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const j = await r.json();
  if (mine !== runSeq) return; // a newer run is on its way
  if (!r.ok) {
    $("error").hidden = false;
    $("error").textContent = j.error;
    return;
  }
  $("error").hidden = true;
  current = j;
  step = 0;
  render();
}

function render() {
  const j = current;
  document.querySelectorAll("#matrix td").forEach(td =>
    td.classList.toggle("sel", td.dataset.i === j.initiator && td.dataset.r === j.receiver));
  $("pair-title").textContent = `${j.from} → ${j.to}`;
  buildSide(0); buildSide(1);
  let s = `<span class="badge o-${j.outcome}" id="outcome">${j.outcome}</span>${j.from} → ${j.to}: ${j.outcome_text}`;
  if (j.reason && j.outcome === "U") s += ` — ${esc(j.reason)}`;
  s += j.answered ? ". The ping was delivered and answered." : j.delivered ? ". The ping was delivered." : j.bounce ? `. The ping bounced with &lt;${j.bounce}/&gt;.` : ".";
  if (j.attack) s += ` <b>Attack ${j.attack.kind}: ${j.attack.verdict}</b>`;
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

$("prev").addEventListener("click", () => { step = step <= 1 ? current.steps.length : step - 1; showStep(); });
$("next").addEventListener("click", () => { step = step >= current.steps.length ? 1 : step + 1; showStep(); });
$("all").addEventListener("click", () => { step = 0; showStep(); });
$("reset").addEventListener("click", () => { overrides = [{}, {}]; document.querySelectorAll("#faults input").forEach(i => i.checked = false); run(); });
document.querySelectorAll("#faults input").forEach(i => i.addEventListener("change", () => {
  if (i.dataset.attack && i.checked) document.querySelectorAll("#faults input[data-attack]").forEach(o => { if (o !== i) o.checked = false; });
  run();
}));
document.addEventListener("keydown", e => { if (e.key === "ArrowRight") $("next").click(); if (e.key === "ArrowLeft") $("prev").click(); });

$("server-set").addEventListener("change", () => loadMatrix().then(run));

loadMatrix().then(run);
