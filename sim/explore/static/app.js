// mrasim explore: the controls, sent to the server; the numbers, polled as they accumulate.
// Plain JavaScript, no build step, nothing fetched from the network: the server checks every
// value (one validated model), runs the comparison and renders the report's own sections.
"use strict";

// The page's language: the server wrote the page in it (<html lang>) and put what this script
// says, translated from the catalogs, in #messages. A choice made here is kept in the URL
// (?lang=) and in localStorage, and every request asks for it.
const LANG = document.documentElement.lang || "en";
const MESSAGES = JSON.parse(document.getElementById("messages").textContent || "{}");
const STORED = "mrasim-lang";

// A message in the page's language (its English text when untranslated): the catalog
// extractor reads these calls, so every string here is in the .po files.
function _(text) { return Object.prototype.hasOwnProperty.call(MESSAGES, text) ? MESSAGES[text] : text; }

// A translated template with its {named} places filled: word order is the translation's.
function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

const NUMBER = (digits) => new Intl.NumberFormat(LANG, { minimumFractionDigits: digits, maximumFractionDigits: digits });
function withLanguage(url) { return `${url}${url.includes("?") ? "&" : "?"}lang=${LANG}`; }

// A fresh id per page load: two tabs (even a duplicated one) never share a run.
const SESSION = (window.crypto && crypto.randomUUID)
  ? crypto.randomUUID()
  : Array.from({ length: 4 }, () => Math.random().toString(36).slice(2, 10)).join("");
const POLL_RUNNING_MS = 300;
const POLL_IDLE_MS = 5000;
const FIGURES_EVERY_MS = 2500;
const DEBOUNCE_MS = 250;

const $ = (id) => document.getElementById(id);
let scenario = null;
let shown = { version: "", run: null, figuresRun: null, figures: "", figuresAt: 0, figuresGap: FIGURES_EVERY_MS, figuresBusy: false };
let pending = null;
let pollTimer = null;

async function getJSON(url, options) {
  const response = await fetch(withLanguage(url), options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = { error: `${response.status} ${response.statusText}` }; }
  if (!response.ok) throw new Error(body && body.error ? body.error : `${response.status}`);
  return body;
}

function percent(x) { return `${NUMBER(0).format(Math.round(x * 100))}%`; }

// --- controls -----------------------------------------------------------------------------

function buildControls() {
  $("scenario").textContent = format(_("Scenario {name}: {description}"),
    { name: scenario.name, description: scenario.description });
  const u = $("utilisation");
  u.value = Math.round(scenario.utilisation * 100) || 40;
  $("baseline").options[1].textContent = format(
    _("the arrangement at the scenario's utilisation ({utilisation})"),
    { utilisation: percent(scenario.utilisation) });
  $("seed").value = scenario.seed;

  const grants = $("grants");
  for (const grant of scenario.grants) {
    const label = document.createElement("label");
    label.className = "inline";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = `grant-${grant.name}`;
    box.dataset.grant = grant.name;
    box.dataset.scenario = String(grant.scenario);
    if (grant.scenario === null) box.indeterminate = true; else box.checked = grant.scenario;
    label.append(box, ` ${grant.label}`);
    if (grant.scenario === null) label.append(" " + _("(the scenario: at some ports)"));
    grants.append(label);
  }

  buildControlSide(scenario.control);

  const countries = $("countries");
  countries.append(checkbox("country-all", _("All countries"), true));
  for (const c of scenario.countries) {
    const item = checkbox(`country-${c.code}`, c.name, true);
    item.querySelector("input").dataset.code = c.code;
    countries.append(item);
  }
  const mode = $("mode");
  for (const m of scenario.modes) mode.append(new Option(m, m));

  const types = [...new Set(scenario.countries.flatMap((c) => c.stations.map((s) => s.name)))];
  const table = $("staffing");
  const head = table.createTHead().insertRow();
  for (const text of [_("country"), ...types]) head.append(Object.assign(document.createElement("th"), { textContent: text }));
  const body = table.createTBody();
  for (const c of scenario.countries) {
    const row = body.insertRow();
    row.insertCell().textContent = c.code;
    row.cells[0].className = "label";
    for (const t of types) {
      const cell = row.insertCell();
      const station = c.stations.find((s) => s.name === t);
      if (!station) continue;
      const input = Object.assign(document.createElement("input"), {
        type: "number", min: "0.1", max: "10", step: "0.25", value: "1",
        title: format(_("{servers} {station} servers in all of {country}'s ports"),
          { servers: station.servers, station: t, country: c.name }),
      });
      input.dataset.country = c.code;
      input.dataset.station = t;
      input.setAttribute("aria-label",
        format(_("{country} {station} staffing multiplier"), { country: c.name, station: t }));
      cell.append(input);
    }
  }
  showUtilisation();
  $("uncertainty-box").hidden = !scenario.uncertain_inputs;
  showUncertainty();
  $("form").addEventListener("input", onChange);
  $("form").addEventListener("change", onChange);
  $("form").addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  $("copy").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText($("command").textContent));
  $("yaml").href = withLanguage(`/api/scenario.yaml?session=${SESSION}`);
}

// The control side's settings, shown only when the scenario has one. Each input starts at
// the scenario's value (where every port shares one) and only a moved input is sent.
function buildControlSide(control) {
  if (!control) return;
  $("control").hidden = false;
  const set = (id, value, scale) => {
    const input = $(id);
    if (value !== null) input.value = String(scale ? Math.round(value * scale * 10) / 10 : value);
    input.dataset.initial = input.value;
  };
  set("freed", control.freed_checks, 0);
  set("auc", control.auc, 100);
  set("prevalence", control.standard_prevalence, 100);
  set("partner", control.partner_prevalence, 100);
  showControlSide();
}

function showControlSide() {
  $("auc-out").textContent = NUMBER(2).format(Number($("auc").value) / 100);
  $("prevalence-out").textContent = `${NUMBER(1).format(Number($("prevalence").value))}%`;
  $("partner-out").textContent = `${NUMBER(1).format(Number($("partner").value))}%`;
}

// What the control side's inputs change: the moved ones (the server checks the values).
function controlSide() {
  if ($("control").hidden) return {};
  const moved = {};
  const pick = (id, key, scale) => {
    const input = $(id);
    if (input.value === input.dataset.initial) return;
    moved[key] = scale ? Number(input.value) / scale : input.value;
  };
  pick("freed", "freed_checks", 0);
  pick("auc", "auc", 100);
  pick("prevalence", "standard_prevalence", 100);
  pick("partner", "partner_prevalence", 100);
  return moved;
}

function checkbox(id, text, checked) {
  const label = document.createElement("label");
  label.className = "inline";
  const box = Object.assign(document.createElement("input"), { type: "checkbox", id, checked });
  label.append(box, ` ${text}`);
  return label;
}

function onChange(event) {
  const target = event.target;
  if (target.id === "country-all") {
    for (const box of document.querySelectorAll("#countries input[data-code]")) box.checked = target.checked;
  } else if (target.dataset && target.dataset.code) {
    const all = [...document.querySelectorAll("#countries input[data-code]")].every((b) => b.checked);
    $("country-all").checked = all;
  }
  showUtilisation();
  showControlSide();
  showUncertainty();
  clearTimeout(pending);
  pending = setTimeout(submit, DEBOUNCE_MS);
}

function showUncertainty() {
  $("draws").disabled = !$("uncertainty-on").checked;
}

function showUtilisation() {
  const sweeping = $("sweep-on").checked;
  $("utilisation").disabled = sweeping;
  $("sweep").disabled = !sweeping;
  $("utilisation-out").textContent = sweeping ? _("swept") : `${$("utilisation").value}%`;
}

// A number as typed (the server says what is wrong with anything else).
function typed(text) {
  const trimmed = String(text).trim();
  if (trimmed === "") return null;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}

function controls() {
  const grants = {};
  for (const box of document.querySelectorAll("#grants input")) {
    const original = box.dataset.scenario === "null" ? null : box.dataset.scenario === "true";
    if (!box.indeterminate && box.checked !== original) grants[box.dataset.grant] = box.checked;
  }
  const staffing = {};
  for (const input of document.querySelectorAll("#staffing input")) {
    const value = typed(input.value);
    if (value === 1) continue;
    (staffing[input.dataset.country] ||= {})[input.dataset.station] = value;
  }
  const chosen = [...document.querySelectorAll("#countries input[data-code]")]
    .filter((b) => b.checked).map((b) => b.dataset.code);
  const sweeping = $("sweep-on").checked;
  const levels = $("sweep").value.split(/[,\s]+/).filter(Boolean).map((t) => {
    const x = typed(t);
    return typeof x === "number" ? x / 100 : x;
  });
  return {
    baseline: $("baseline").value,
    utilisation: sweeping ? null : Number($("utilisation").value) / 100,
    sweep: sweeping ? levels : null,
    grants,
    staffing,
    control: controlSide(),
    countries: $("country-all").checked ? null : chosen,
    mode: $("mode").value || null,
    replications: typed($("replications").value),
    seed: typed($("seed").value),
    uncertainty: $("uncertainty-on").checked ? typed($("draws").value) : null,
  };
}

// --- talking to the server ------------------------------------------------------------------

async function submit() {
  try {
    const reply = await getJSON("/api/run", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session: SESSION, controls: controls() }),
    });
    message("");
    shown.run = reply.run;
    schedulePoll(0);
  } catch (error) {
    message(error.message, true);
  }
}

function message(text, isError) {
  const box = $("message");
  box.textContent = text;
  box.className = isError ? "error" : "";
}

function schedulePoll(ms) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, ms);
}

async function poll() {
  let state;
  try {
    state = await getJSON(`/api/state?session=${SESSION}&have=${encodeURIComponent(shown.version)}`);
  } catch (error) {
    $("progress").textContent = format(_("No answer from the server ({error}); retrying…"),
      { error: error.message });
    schedulePoll(2000);
    return;
  }
  const status = $("status");
  status.dataset.state = state.state;
  status.dataset.run = state.run;
  status.dataset.done = state.done;
  $("progress").textContent = state.progress;
  $("bar").value = state.target ? state.done / state.target : 0;
  $("command").textContent = state.command;
  $("command-note").textContent = state.command_note;
  // A new setting's first replication is on its way: the last numbers stay, greyed, until
  // the new ones arrive (an empty page between two settings would only flicker).
  const waiting = state.done === 0;
  $("numbers").classList.toggle("stale", waiting);
  $("figures-box").classList.toggle("stale", waiting || state.run !== shown.figuresRun);
  if (state.html !== undefined && !waiting) {
    $("numbers").innerHTML = state.html;
    shown.version = state.version;
    $("numbers").dataset.version = state.version;
  }
  if (state.state === "error") {
    message(format(_("The run failed: {error}"), { error: state.error }), true);
  }
  maybeFigures(state);
  schedulePoll(state.state === "running" ? POLL_RUNNING_MS : POLL_IDLE_MS);
}

// Each chart comes as Plotly JSON in data-figure (scripts set by innerHTML do not run):
// draw them with the page's plotly.js, which the server serves from the plotly package.
// Plotly's own words (its toolbar's tooltips) come from the same messages: a locale of them.
const PLOT_CONFIG = {
  responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d"], locale: LANG,
};

function drawCharts(box) {
  box.querySelectorAll("div.plot[data-figure]").forEach(function (div) {
    const figure = JSON.parse(div.dataset.figure);
    Plotly.newPlot(div, figure.data, figure.layout, PLOT_CONFIG);
  });
}

async function maybeFigures(state) {
  if (shown.figuresBusy || state.done === 0 || state.version === shown.figures) return;
  // The figures are the dearest part (drawn on the server, beside the workers): while
  // the run goes on, ask again only after three times as long as the last drawing took.
  const due = state.state !== "running" || Date.now() - shown.figuresAt > shown.figuresGap;
  if (!due) return;
  shown.figuresBusy = true;
  shown.figuresAt = Date.now();
  try {
    const figures = await getJSON(`/api/figures?session=${SESSION}`);
    shown.figuresGap = Math.max(FIGURES_EVERY_MS, 3 * (Date.now() - shown.figuresAt));
    $("figures-box").innerHTML = figures.html;
    drawCharts($("figures-box"));
    $("figures-box").dataset.done = figures.done;
    shown.figuresRun = figures.run;
    $("figures-box").classList.toggle("stale", figures.run !== shown.run);
    shown.figures = figures.version;
  } catch (error) {
    $("figures-box").textContent = format(_("Figures unavailable: {error}"), { error: error.message });
  } finally {
    shown.figuresBusy = false;
  }
}

// The language switch: the choice goes in the URL (a link keeps it) and in localStorage (the
// next visit keeps it); a page opened without ?lang= follows what was chosen last.
function languageSwitch() {
  const asked = new URLSearchParams(location.search).get("lang");
  const stored = window.localStorage ? localStorage.getItem(STORED) : null;
  if (!asked && stored && stored !== LANG) {
    location.replace(`?lang=${encodeURIComponent(stored)}`);
    return false;
  }
  $("language").addEventListener("change", (event) => {
    if (window.localStorage) localStorage.setItem(STORED, event.target.value);
    location.search = `?lang=${encodeURIComponent(event.target.value)}`;
  });
  return true;
}

async function start() {
  if (!languageSwitch()) return;
  if (window.Plotly && LANG !== "en") {
    // Plotly looks its own English words up in the locale: #messages has them translated
    Plotly.register({ moduleType: "locale", name: LANG, dictionary: MESSAGES });
  }
  try {
    scenario = await getJSON("/api/scenario");
  } catch (error) {
    message(format(_("Cannot load the scenario: {error}"), { error: error.message }), true);
    return;
  }
  buildControls();
  submit();
}

start();
