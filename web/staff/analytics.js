// The analytics page (docs/staff-guide.md, "Analytics"): asks GET /api/staff/analytics for a
// date range and draws the figures as SVG bar charts. Plain ES module, no dependencies.
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const SVG = 'http://www.w3.org/2000/svg';

function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// A bar chart of [{label, value, kind}] into `host`; the accessible name lists every value.
function barChart(host, rows, { title, unit = '' }) {
  host.replaceChildren();
  if (!rows.length || rows.every((r) => r.value === 0)) {
    const p = document.createElement('p');
    p.className = 'an-empty';
    p.textContent = 'Nothing in this range.';
    host.append(p);
    return;
  }
  const w = 420, h = 210, left = 30, bottom = 30, top = 16;
  const max = Math.max(...rows.map((r) => r.value), 1);
  const slot = (w - left) / rows.length;
  const svg = el('svg', { viewBox: `0 0 ${w} ${h}`, class: 'an-chart', role: 'img',
    'aria-label': `${title}: ${rows.map((r) => `${r.label} ${r.value}${unit}`).join(', ')}` });
  svg.append(el('line', { x1: left, y1: h - bottom, x2: w, y2: h - bottom, stroke: '#6f7e8c' }));
  svg.append(el('text', { x: left - 6, y: top + 4, 'text-anchor': 'end', class: 'axis' }, String(max)));
  svg.append(el('text', { x: left - 6, y: h - bottom, 'text-anchor': 'end', class: 'axis' }, '0'));
  const every = Math.ceil(rows.length / 8);
  rows.forEach((r, i) => {
    const bh = ((h - bottom - top) * r.value) / max;
    const x = left + i * slot + slot * 0.15;
    const bar = el('rect', { x, y: h - bottom - bh, width: Math.max(slot * 0.7, 1), height: bh,
      class: r.kind ? `bar bar-${r.kind}` : 'bar', 'data-value': r.value });
    bar.append(el('title', {}, `${r.label}: ${r.value}${unit}`));
    svg.append(bar);
    if (r.value && rows.length <= 24) svg.append(el('text', { x: x + slot * 0.35, y: h - bottom - bh - 3, 'text-anchor': 'middle', class: 'value' }, String(r.value)));
    if (i % every === 0) svg.append(el('text', { x: x + slot * 0.35, y: h - bottom + 16, 'text-anchor': 'middle', class: 'axis' }, r.short ?? r.label));
  });
  host.append(svg);
}

function duration(s) {
  if (s === null || s === undefined) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

const isoDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

async function load(from, to) {
  const status = $('an-status');
  const error = $('an-error');
  status.textContent = 'Loading…';
  error.hidden = true;
  let res;
  try {
    res = await fetch(`/api/staff/analytics?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { credentials: 'same-origin' });
  } catch {
    status.textContent = '';
    error.textContent = 'The server cannot be reached. Try again in a moment.';
    error.hidden = false;
    return;
  }
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) {
    status.textContent = '';
    error.replaceChildren('You are signed out. ', Object.assign(document.createElement('a'), { href: '/staff/', textContent: 'Sign in at the desk' }), ', then come back.');
    error.hidden = false;
    return;
  }
  if (!res.ok) {
    status.textContent = '';
    error.textContent = body.error === 'bad_range'
      ? (body.detail === 'to_before_from' ? 'The end of the range is before its start.' : 'Choose a range of at most a year.')
      : 'The figures could not be read just now. Try again in a moment.';
    error.hidden = false;
    return;
  }
  status.textContent = `${body.from} to ${body.to}, days in ${body.time_zone}.`;
  $('an-clinic').textContent = `Clinic ${body.clinic}`;
  $('an-conversations').textContent = String(body.conversations);
  const fb = body.feedback || {};
  $('an-override').textContent = fb.verdicts
    ? `${Math.round(100 * (fb.override_rate || 0))}% of ${fb.verdicts} (${fb.over_triaged} too high, ${fb.under_triaged} too low)`
    : 'No verdicts yet';
  $('an-safety-reviews').textContent = String(fb.safety_reviews_open ?? 0);
  $('an-handed').textContent = body.conversations ? `${body.handed_to_staff} (${Math.round((100 * body.handed_to_staff) / body.conversations)}%)` : String(body.handed_to_staff);
  $('an-bookings').textContent = String(body.bookings);
  const claimed = body.escalations.reduce((s, e) => s + e.claimed, 0);
  const within = body.escalations.reduce((s, e) => s + e.claimed_within_sla, 0);
  $('an-within-sla').textContent = claimed ? `${Math.round((100 * within) / claimed)}% (${duration(body.sla_seconds)})` : '–';

  barChart($('an-by-day'), body.by_day.map((d) => ({ label: d.day, short: d.day.slice(5), value: d.conversations })), { title: 'Conversations by day' });
  barChart($('an-by-hour'), body.by_hour.map((h) => ({ label: `${String(h.hour).padStart(2, '0')}:00`, short: String(h.hour), value: h.conversations })), { title: 'Conversations by hour of day' });
  const order = ['emergency', 'urgent', 'routine', 'self_care', 'none'];
  const mix = [...body.urgency_mix].sort((a, b) => order.indexOf(a.urgency) - order.indexOf(b.urgency));
  barChart($('an-mix'), mix.map((m) => ({ label: m.urgency.replace('_', ' '), value: m.conversations, kind: m.urgency })), { title: 'Urgency mix' });
  barChart($('an-confidence'), body.intent_confidence.map((b) => ({ label: `${b.from.toFixed(1)}–${b.to.toFixed(1)}`, short: b.from.toFixed(1), value: b.messages })), { title: 'Intent confidence of patient messages' });

  const tbody = $('an-escalations').querySelector('tbody');
  tbody.replaceChildren();
  if (!body.escalations.length) {
    const tr = tbody.insertRow();
    const td = tr.insertCell();
    td.colSpan = 6;
    td.textContent = 'No escalations in this range.';
  }
  for (const e of body.escalations) {
    const tr = tbody.insertRow();
    tr.dataset.urgency = e.urgency;
    for (const v of [e.urgency.replace('_', ' '), e.raised, e.claimed, e.claimed ? `${e.claimed_within_sla} of ${e.claimed}` : '–', duration(e.claim_p50_s), duration(e.claim_p90_s)]) {
      tr.insertCell().textContent = String(v);
    }
  }
}

// Drift and bias (GET /api/staff/analytics/drift): always the last 24 hours against the 28 days
// before them, whatever range the charts show.
const SLICES = { all: 'All', 'lang:en': 'English', 'lang:es': 'Spanish', 'age:infant': 'About a baby', 'age:child': 'About a child',
  'age:older_adult': 'About an older adult', 'age:unstated': 'Age not stated' };
const STATISTICS = { language: 'Language mix', age_group: 'Who it is about', intent: 'Intent mix', urgency: 'Urgency mix',
  intent_confidence: 'Intent confidence', clarification: 'Clarifying questions', feedback_accuracy: 'Staff verdicts right' };
const STATUS_RANK = { alert: 0, watch: 1, stable: 2 };
const LANGUAGES = { en: 'English', es: 'Spanish' };
const AGES = { infant: 'a baby', child: 'a child', older_adult: 'an older adult', unstated: 'not stated' };

async function loadDrift() {
  const summary = $('an-drift-summary');
  const stats = $('an-drift-statistics').querySelector('tbody');
  const days = $('an-drift-days').querySelector('tbody');
  let res, body;
  try {
    res = await fetch('/api/staff/analytics/drift', { credentials: 'same-origin' });
    body = await res.json();
  } catch {
    summary.textContent = 'The drift figures could not be read just now.';
    return;
  }
  if (!res.ok) {
    summary.textContent = 'The drift figures could not be read just now.';
    return;
  }
  const judged = body.statistics.filter((s) => s.status !== 'too_few')
    .sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || b.psi - a.psi);
  const tooFew = body.statistics.length - judged.length;
  const alerts = judged.filter((s) => s.status === 'alert');
  summary.dataset.state = alerts.length ? 'alert' : 'calm';
  summary.textContent = alerts.length
    ? `Drift alert: ${alerts.length} ${alerts.length === 1 ? 'statistic has' : 'statistics have'} moved beyond the alert threshold (${alerts.map((s) => `${SLICES[s.slice] ?? s.slice}, ${STATISTICS[s.statistic] ?? s.statistic}`).join('; ')}). Check what changed before trusting the figures.`
    : judged.length ? `No drift alert: ${judged.length} statistics checked.` : 'Not enough messages yet to compare.';
  if (tooFew) summary.textContent += ` ${tooFew} have too few messages to judge (at least ${body.thresholds.min_current} in the last 24 hours and ${body.thresholds.min_reference} before).`;
  stats.replaceChildren();
  for (const s of judged) {
    const tr = stats.insertRow();
    tr.dataset.slice = s.slice;
    tr.dataset.statistic = s.statistic;
    tr.dataset.status = s.status;
    tr.insertCell().textContent = SLICES[s.slice] ?? s.slice;
    tr.insertCell().textContent = STATISTICS[s.statistic] ?? s.statistic;
    tr.insertCell().textContent = s.psi.toFixed(2);
    const badge = document.createElement('span');
    badge.className = `an-badge an-badge--${s.status}`;
    badge.textContent = s.status === 'alert' ? 'Alert' : s.status === 'watch' ? 'Watch' : 'Stable';
    tr.insertCell().append(badge);
    tr.insertCell().textContent = String(s.current);
    tr.insertCell().textContent = String(s.reference);
  }
  if (!judged.length) {
    const td = stats.insertRow().insertCell();
    td.colSpan = 6;
    td.textContent = 'Nothing to compare yet.';
  }
  days.replaceChildren();
  const since = isoDay(new Date(Date.now() - 6 * 86400000));
  const verdicts = new Map(body.days.filter((d) => d.age_group === 'all').map((d) => [`${d.day}/${d.lang}`, d]));
  const rows = body.days.filter((d) => d.age_group !== 'all' && d.day >= since).reverse();
  for (const d of rows) {
    const tr = days.insertRow();
    const v = verdicts.get(`${d.day}/${d.lang}`);
    const cells = [d.day, LANGUAGES[d.lang] ?? d.lang, AGES[d.age_group] ?? d.age_group, d.messages,
      d.mean_confidence === null ? '–' : `${Math.round(d.mean_confidence * 100)}%`,
      d.messages ? `${Math.round((100 * d.clarified) / d.messages)}%` : '–', d.emergency, d.urgent,
      v && v.verdicts && d.age_group === 'unstated' ? `${v.right} of ${v.verdicts}` : '–'];
    for (const c of cells) tr.insertCell().textContent = String(c);
  }
  if (!rows.length) {
    const td = days.insertRow().insertCell();
    td.colSpan = 9;
    td.textContent = 'No patient messages in the last seven days.';
  }
}

const form = $('an-range');
const params = new URLSearchParams(location.search);
const today = new Date();
const weekAgo = new Date(today.getTime() - 6 * 86400000);
form.elements.from.value = params.get('from') ?? isoDay(weekAgo);
form.elements.to.value = params.get('to') ?? isoDay(today);
form.addEventListener('submit', (e) => {
  e.preventDefault();
  history.replaceState(null, '', `?from=${form.elements.from.value}&to=${form.elements.to.value}`);
  load(form.elements.from.value, form.elements.to.value);
  loadDrift();
loadDrift();
});
load(form.elements.from.value, form.elements.to.value);
loadDrift();
