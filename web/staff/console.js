/**
 * Staff console — the escalation desk (plain ES module, no dependencies, no build step).
 *
 * Served at /staff/ (index.html loads /staff/console.css and this file as a module). Talks to the
 * server over the staff HTTP API and the staff WebSocket of docs/staff-api.md; the people using it
 * are described in docs/staff-guide.md.
 *
 * CONTENT SECURITY POLICY
 *   Written for `default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:;
 *   style-src 'self'; script-src 'self'`: no inline script or style, no style attribute and no
 *   element.style (state is shown with classes, data- attributes and the hidden attribute), nothing
 *   from the network but this origin. Text from the server (patient words above all) only ever goes
 *   through textContent; there is no innerHTML anywhere in this file.
 *
 * BEHAVIOUR
 *   - On load GET /api/staff/me: 200 shows the console, 401 the sign-in screen (clinic prefilled
 *     from ?clinic=, else "demo"; ?error=sso_failed|sso_unknown_user|sso_disabled shows a message,
 *     with the subject code from ?subject= for sso_unknown_user, then is removed from the URL).
 *   - The CSRF token lives in memory only. Every POST carries X-CSRF-Token, Content-Type
 *     application/json and a JSON body ({} when there is nothing to say); credentials same-origin.
 *     A 403 csrf_failed refetches /api/staff/me and retries once. Any 401 shows the sign-in screen.
 *   - Queue: the staff WebSocket /ws/staff (ws: or wss: like the page). hello replaces the queue,
 *     escalation upserts by id (resolved / handed_back remove it), resync refetches
 *     GET /api/staff/escalations (whose server_time sets the clock offset used for ages and
 *     countdowns). Stale updates are dropped by updated_at. Reconnects with exponential backoff and
 *     jitter (0.5 s doubling to 10 s); a connection that never said hello checks /api/staff/me
 *     before the next try (a refused upgrade looks like a plain network error to a browser).
 *     signed_out (idle | expired | revoked | unauthenticated) shows the sign-in screen with the reason.
 *   - Order: priority desc, then raised_at asc. Rows are built once per id and updated in place; ONE
 *     timer (each second) rewrites only the age / countdown texts that changed.
 *   - Countdown of an unclaimed escalation: to sla.renotify_at ("Re-alert in m:ss"), then to
 *     sla.oncall_at ("On-call in m:ss"), then "overdue" (red). Claimed ones show "—" (claiming stops
 *     the countdown).
 *   - Alerts: escalation event "raised" with urgency emergency, or "renotified" (any urgency), plays
 *     two beeps with Web Audio (louder and longer for renotified), shows a desktop Notification
 *     (title only + reason label: never patient words) when permission was granted, and announces in
 *     the assertive live region. "Enable alerts" asks for notification permission and unlocks audio
 *     (any first click or key press also unlocks audio).
 *   - Detail: opening GETs /api/staff/escalations/{id} (audited by the server) and sends
 *     {"type":"watch"}; live patient/bot/staff frames are merged by seq, typing shows "Patient is
 *     typing…". Reply typing sends {"type":"typing","on":true} at most every 2 s and on:false after
 *     3 s without input or on send. Reply drafts are kept per escalation in memory (dropped on sign
 *     out).
 *   - Roles: auditors see the queue only (the detail answers 403: "Auditors see the queue only").
 *     Resolve / hand back are enabled for the holder, and for clinic admins on any open escalation;
 *     others must claim first.
 *
 * KEYBOARD (also in the help dialog, opened with "?" or the Shortcuts button)
 *   j / k        focus the next / previous escalation in the queue (from anywhere; does not open it,
 *                because every open is written to the audit trail)
 *   ↓ ↑ Home End move in the queue when it has focus; Enter (or Space) opens the focused escalation
 *   c            claim the open escalation
 *   r            go to the reply box
 *   Escape       leave the reply / note box (to the escalation's title), then back to the queue
 *   Letter shortcuts never fire while focus is in an input, textarea or select.
 *
 * TEST HOOKS (stable, used by tests/browser)
 *   sign-in      [data-testid="signin"] (screen), signin-form, signin-clinic, signin-email,
 *                signin-password, signin-submit, signin-sso (link to /api/staff/oidc/start),
 *                signin-error (also carries "Your session ended (idle)." etc.; data-kind="error|info")
 *   console      [data-testid="console"][data-connection="live|reconnecting"] shown when signed in;
 *                user-name, user-role, clinic-name, connection-status, signout, signout-everywhere,
 *                enable-alerts[data-state="off|on|sound-only"], help-open, console-error
 *   queue        [data-testid="queue"] (role=listbox); rows
 *                [data-testid="queue-item"][data-id][data-urgency][data-status] (role=option,
 *                aria-selected="true" on the open one), inside a row: queue-urgency, queue-reason,
 *                queue-rules, queue-age, queue-sla[data-sla="renotify|oncall|overdue|none"],
 *                queue-status, queue-claimed-by ("Claimed by Ana" / "Not claimed");
 *                queue-count (just the number of open escalations), queue-empty
 *   alerts       [data-testid="alert-live"] (aria-live="assertive"; data-alerts = alerts so far),
 *                status-live (polite announcements of the console's own actions)
 *   detail       [data-testid="detail"][data-id][data-status][data-urgency] (shown once loaded),
 *                detail-message (placeholder / "Auditors see the queue only" / errors),
 *                detail-urgency, detail-reason, detail-status, detail-claimed-by, detail-age,
 *                detail-sla, detail-outcome, red-flags (items red-flag[data-rule]), summary, intent,
 *                transcript with [data-testid="entry"][data-author="patient|bot|staff"][data-seq]
 *                (+ data-urgent="true"), patient-typing (hidden attribute when not typing),
 *                linked (+ open-linked), notes with [data-testid="note"][data-id], notes-empty
 *   actions      claim, claim-error ("Already taken by NAME"), action-error, action-hint,
 *                resolve-outcome (select), resolve, handback-state (select), handback,
 *                composer (form, hidden unless you hold the escalation), composer-hint,
 *                reply-text, reply-send, reply-error, canned-replies (select; choosing one inserts
 *                body_en), canned-insert-en, canned-insert-es, note-form, note-text, note-add,
 *                note-error
 *   help         help-dialog, help-close
 */

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10000;
const HELLO_TIMEOUT_MS = 15000;      // an open socket without hello this long is dropped
const PING_AFTER_MS = 45000;         // silence this long: ping ...
const PING_TIMEOUT_MS = 10000;       // ... and no frame this long after it drops the socket
const TYPING_THROTTLE_MS = 2000;
const TYPING_IDLE_MS = 3000;
const PATIENT_TYPING_SAFETY_MS = 20000;
const ALERT_MIN_GAP_MS = 1200;       // bursts of alerts play one tone
const ALERT_TEXT_MS = 120000;        // the visible alert line clears itself after this
const BOOT_RETRY_MAX_MS = 10000;
const MAX_MESSAGE = 2000;
const MAX_NOTE = 4000;

const REASONS = {
  red_flag: 'Red flag',
  speak_to_human: 'Asked for a person',
  patient_request: 'Asked for a person',
  internal_error: 'System problem',
  booking_system_unavailable: 'Booking system down',
  same_day_callback: 'Same-day callback',
};
const URGENCIES = { emergency: 'Emergency', urgent: 'Urgent', soon: 'Soon', routine: 'Routine', none: 'None' };
const PRIORITY = { emergency: 3, urgent: 2, soon: 1, routine: 0, none: 0 };
const STATUSES = {
  raised: 'New',
  notified: 'Waiting',
  claimed: 'Claimed',
  in_conversation: 'In conversation',
  resolved: 'Resolved',
  handed_back: 'Handed back',
};
const ROLES = { front_desk: 'Front desk', nurse: 'Nurse', clinic_admin: 'Clinic admin', auditor: 'Auditor' };
const OUTCOMES = {
  called_emergency_services: 'Called emergency services',
  callback_booked: 'Callback booked',
  advice_given: 'Advice given',
  no_action_needed: 'No action needed',
  other: 'Other',
};
const SSO_ERRORS = {
  sso_failed: 'Sign-in with your organisation did not work. Try again, or sign in with your email and password.',
  sso_unknown_user: 'Your account is not set up yet. Ask your clinic administrator to add you.',
  sso_disabled: 'Sign-in with your organisation is not set up on this server. Sign in with your email and password.',
};
const SIGNED_OUT_REASONS = {
  idle: 'Your session ended (idle).',
  expired: 'Your session ended (time limit reached). Sign in again to continue.',
  revoked: 'Your session ended (signed out on every device, or by an administrator).',
  unauthenticated: 'Please sign in to continue.',
};
const CLOSED = new Set(['resolved', 'handed_back']);
const WAITING = new Set(['raised', 'notified']);     // unclaimed: the SLA countdown runs
const ENTRY_AUTHORS = new Set(['patient', 'bot', 'staff']);

// ------------------------------------------------------------------ small helpers

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

/** The element with this data-testid (inside root); a missing one is a bug in index.html. */
function byTestId(id, root = document) {
  const node = root.querySelector(`[data-testid="${id}"]`);
  if (!node) throw new Error(`staff console: [data-testid="${id}"] is missing from index.html`);
  return node;
}

function setText(node, text) {
  const t = text === null || text === undefined ? '' : String(text);
  if (node.textContent !== t) node.textContent = t;
}

/** Like setText for the texts the timer rewrites: changes the existing text node's data in place. */
function setTickText(node, text) {
  const f = node.firstChild;
  if (f && f.nodeType === Node.TEXT_NODE && !f.nextSibling) { if (f.data !== text) f.data = text; }
  else node.textContent = text;
}

function setData(node, key, value) {
  if (value === null || value === undefined) { if (key in node.dataset) delete node.dataset[key]; return; }
  const v = String(value);
  if (node.dataset[key] !== v) node.dataset[key] = v;
}

function str(v) { return typeof v === 'string' ? v : ''; }

function parseTime(iso) {
  if (typeof iso !== 'string' || !iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

/** A time rounded to its (server clock) second: every age and countdown then changes together, just
 * before the one-second tick that shows it. */
function onSecond(t) { return t === null ? null : Math.round(t / 1000) * 1000; }

function known(map, key, fallback) { return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : fallback; }

function reasonLabel(code) {
  const c = str(code);
  if (!c) return 'Escalation';
  return known(REASONS, c, c.replace(/_/g, ' '));
}
function urgencyKey(u) { return Object.prototype.hasOwnProperty.call(URGENCIES, u) ? u : 'none'; }
function urgencyLabel(u) { return URGENCIES[urgencyKey(u)]; }
function statusLabel(s) { const c = str(s); return known(STATUSES, c, c.replace(/_/g, ' ')); }
function roleLabel(r) { const c = str(r); return known(ROLES, c, c.replace(/_/g, ' ')); }
function outcomeLabel(o) { const c = str(o); return known(OUTCOMES, c, c.replace(/_/g, ' ')); }
function humanName(code) {
  const c = str(code).replace(/_/g, ' ').trim();
  return c ? c[0].toUpperCase() + c.slice(1) : '';
}
function priorityOf(esc) { return Number.isFinite(esc.priority) ? esc.priority : PRIORITY[urgencyKey(esc.urgency)]; }

function fmtAge(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return `${d} d ${h % 24} h`;
}

function fmtCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const p = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${p(m)}:${p(s)}` : `${m}:${p(s)}`;
}

function fmtClockTime(ms) {
  if (ms === null) return '';
  const d = new Date(ms);
  const today = new Date();
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === today.toDateString()) return time;
  return `${d.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${time}`;
}

/** Where an escalation's alerting stands at `now`: { state, text }. */
function slaInfo(esc, now) {
  if (!esc || !WAITING.has(esc.status) || !esc.sla || typeof esc.sla !== 'object') return { state: 'none', text: '—' };
  const renotify = onSecond(parseTime(esc.sla.renotify_at));
  const oncall = onSecond(parseTime(esc.sla.oncall_at));
  if (renotify === null && oncall === null) return { state: 'none', text: '—' };
  if (!esc.renotified && !esc.oncall_sent && renotify !== null && now < renotify) {
    return { state: 'renotify', text: `Re-alert in ${fmtCountdown(renotify - now)}` };
  }
  if (!esc.oncall_sent && oncall !== null && now < oncall) {
    return { state: 'oncall', text: `On-call in ${fmtCountdown(oncall - now)}` };
  }
  return { state: 'overdue', text: 'overdue' };
}

function validEscalation(esc) {
  return Boolean(esc && typeof esc === 'object' && typeof esc.id === 'string' && esc.id);
}

function isTypingTarget(node) {
  if (!(node instanceof Element)) return false;
  if (node.isContentEditable) return true;
  const tag = node.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (node.getAttribute('type') || 'text').toLowerCase();
  return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image'].includes(type);
}

// ------------------------------------------------------------------ state

const S = {
  user: null,
  csrf: null,
  signedIn: false,
  clockOffset: 0,              // server clock minus local clock, ms
  queue: new Map(),            // id -> { esc, row, refs, cache, seenAt }
  order: [],                   // ids in display order
  tombstones: new Map(),       // id -> updated_at (ms) of escalations known to be closed
  activeId: null,              // the queue row with tabindex 0
  ws: null,
  wsHello: false,
  everHello: false,
  wsOpenedAt: 0,
  attempt: 0,
  reconnectTimer: null,
  lastFrameAt: 0,
  pingSentAt: 0,
  tickTimer: null,
  cur: null,                   // the open escalation (see openEscalation)
  canned: [],
  drafts: new Map(),           // escalation id -> reply draft
  audio: null,
  lastAlertAt: 0,
  alerted: new Set(),          // "id:event" already alerted
  alertShownFor: null,         // the escalation the alert line speaks of
  alertCount: 0,
  alertClearTimer: null,
  bootAttempt: 0,
  lockoutTimer: null,
};

let D = null;   // DOM references, filled by bindDom()

function bindDom() {
  const q = (id) => byTestId(id);
  D = {
    boot: q('boot'),
    signin: q('signin'),
    signinForm: q('signin-form'),
    signinClinic: q('signin-clinic'),
    signinEmail: q('signin-email'),
    signinPassword: q('signin-password'),
    signinSubmit: q('signin-submit'),
    signinSso: q('signin-sso'),
    signinError: q('signin-error'),
    console: q('console'),
    clinicName: q('clinic-name'),
    conn: q('connection-status'),
    connText: q('connection-status').querySelector('.sc-conn-text'),
    userName: q('user-name'),
    userRole: q('user-role'),
    enableAlerts: q('enable-alerts'),
    alertsBanner: q('alerts-banner'),
    alertsBannerOn: q('alerts-banner-on'),
    helpOpen: q('help-open'),
    signout: q('signout'),
    signoutEverywhere: q('signout-everywhere'),
    consoleError: q('console-error'),
    queue: q('queue'),
    queueHeading: document.getElementById('queue-heading'),
    queueCount: q('queue-count'),
    queueEmpty: q('queue-empty'),
    alertLive: q('alert-live'),
    statusLive: q('status-live'),
    detailMessage: q('detail-message'),
    detail: q('detail'),
    detailTitle: document.getElementById('detail-title'),
    detailUrgency: q('detail-urgency'),
    detailReason: q('detail-reason'),
    detailStatus: q('detail-status'),
    detailClaimedBy: q('detail-claimed-by'),
    detailAge: q('detail-age'),
    detailSla: q('detail-sla'),
    detailOutcomeRow: q('detail-outcome-row'),
    detailOutcome: q('detail-outcome'),
    claim: q('claim'),
    claimError: q('claim-error'),
    actionError: q('action-error'),
    actionHint: q('action-hint'),
    resolveOutcome: q('resolve-outcome'),
    resolve: q('resolve'),
    handbackState: q('handback-state'),
    handback: q('handback'),
    redFlags: q('red-flags'),
    transcript: q('transcript'),
    patientTyping: q('patient-typing'),
    composer: q('composer'),
    composerHint: q('composer-hint'),
    canned: q('canned-replies'),
    cannedEn: q('canned-insert-en'),
    cannedEs: q('canned-insert-es'),
    replyText: q('reply-text'),
    replySend: q('reply-send'),
    replyError: q('reply-error'),
    linked: q('linked'),
    linkedUrgency: q('linked-urgency'),
    linkedReason: q('linked-reason'),
    linkedMeta: q('linked-meta'),
    openLinked: q('open-linked'),
    summary: q('summary'),
    intent: q('intent'),
    notes: q('notes'),
    notesEmpty: q('notes-empty'),
    noteForm: q('note-form'),
    noteText: q('note-text'),
    noteAdd: q('note-add'),
    noteError: q('note-error'),
    feedbackForm: q('feedback-form'),
    feedbackCurrent: q('feedback-current'),
    feedbackUrgency: q('feedback-urgency'),
    feedbackIntent: q('feedback-intent'),
    feedbackSend: q('feedback-send'),
    feedbackError: q('feedback-error'),
    help: q('help-dialog'),
  };
  D.redFlagList = D.redFlags.querySelector('.sc-redflag-list');
  D.rationale = D.redFlags.querySelector('.sc-rationale');
  D.summaryBody = D.summary.querySelector('.sc-summary-body');
  D.intentBody = D.intent.querySelector('.sc-intent-body');
}

function nowMs() { return Date.now() + S.clockOffset; }

function role() { return S.user ? str(S.user.role) : ''; }
function canOpen() { return Boolean(S.user) && role() !== 'auditor'; }
function canAct() { return Boolean(S.user) && role() !== 'auditor'; }
function isAdmin() { return role() === 'clinic_admin'; }
function isMine(esc) { return Boolean(esc && esc.claimed_by && S.user && esc.claimed_by.id === S.user.id); }

function showMsg(node, text, kind = 'error') {
  node.textContent = text || '';
  node.dataset.kind = kind;
  node.hidden = !text;
}

let statusClearTimer = null;
function announce(text) {
  clearTimeout(statusClearTimer);
  D.statusLive.textContent = '';
  // Emptied first, then filled a moment later: screen readers announce repeats too.
  setTimeout(() => { D.statusLive.textContent = text; }, 60);
  statusClearTimer = setTimeout(() => { D.statusLive.textContent = ''; }, 8000);
}

// ------------------------------------------------------------------ HTTP

/**
 * One staff API call. Resolves with { ok, status, data, headers } (status 0: network error);
 * never throws. A 401 on an authenticated call shows the sign-in screen unless opts.handle401 is
 * false. A 403 csrf_failed refetches the token and retries once.
 */
async function api(method, path, body, opts = {}) {
  const { handle401 = true, retried = false } = opts;
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['Content-Type'] = 'application/json';
    if (S.csrf) headers['X-CSRF-Token'] = S.csrf;
    init.body = JSON.stringify(body === undefined ? {} : body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, data: { error: 'network' }, headers: new Headers() };
  }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!data || typeof data !== 'object') data = {};
  const out = { ok: res.ok, status: res.status, data, headers: res.headers };
  if (res.status === 403 && data.error === 'csrf_failed' && !retried && S.signedIn) {
    const me = await api('GET', '/api/staff/me', undefined, { handle401 });
    if (me.ok && typeof me.data.csrf === 'string') {
      S.csrf = me.data.csrf;
      return api(method, path, body, { ...opts, retried: true });
    }
    return out;
  }
  if (res.status === 401 && handle401 && S.signedIn) {
    signedOut('Your session ended. Sign in again to continue.');
  }
  return out;
}

/** A readable sentence for a failed call. */
function errorText(r, what = 'That') {
  const code = r.data && r.data.error;
  if (r.status === 0) return 'Cannot reach the server. Check the connection and try again.';
  switch (code) {
    case 'forbidden': return 'Your role cannot do this.';
    case 'not_found': return 'This escalation no longer exists in your clinic.';
    case 'unavailable': return 'The server cannot reach its database right now. Try again in a moment.';
    case 'bad_request': return r.data.field ? `${what} was refused: check the ${humanName(r.data.field).toLowerCase()}.` : `${what} was refused by the server.`;
    case 'csrf_failed': return 'The page is out of date. Reload it and try again.';
    case 'wrong_status': {
      const esc = r.data.escalation;
      return esc ? `Not possible any more: this escalation is now ${statusLabel(esc.status).toLowerCase()}.` : 'Not possible in the escalation\'s current state.';
    }
    case 'signed_out': return 'Your session ended.';
    default: return `${what} did not work (HTTP ${r.status}). Try again.`;
  }
}

function escPath(id, suffix = '') {
  return `/api/staff/escalations/${encodeURIComponent(id)}${suffix}`;
}

// ------------------------------------------------------------------ boot and sign-in

async function boot() {
  bindDom();
  bindEvents();
  const params = new URLSearchParams(location.search);
  D.signinClinic.value = params.get('clinic') || 'demo';

  const error = params.get('error');
  let ssoMessage = '';
  if (error) {
    ssoMessage = known(SSO_ERRORS, error, 'Sign-in did not work. Try again.');
    const subject = params.get('subject') || params.get('sub') || params.get('code') || '';
    if (error === 'sso_unknown_user' && /^[\x21-\x7e]{1,255}$/.test(subject)) {
      ssoMessage = `Your account is not set up yet; give your administrator this code: ${subject}`;
    }
    for (const k of ['error', 'subject', 'sub', 'code']) params.delete(k);
    const qs = params.toString();
    try { history.replaceState(null, '', `${location.pathname}${qs ? `?${qs}` : ''}${location.hash}`); } catch { /* ignore */ }
  }
  await checkMe(ssoMessage);
}

async function checkMe(ssoMessage) {
  const r = await api('GET', '/api/staff/me', undefined, { handle401: false });
  if (r.ok && r.data.user) {
    startConsole(r.data);
    return;
  }
  if (r.status === 401) {
    showSignIn(ssoMessage, 'error');
    return;
  }
  // Server unreachable or unavailable: say so and try again by ourselves.
  const delay = Math.min(BOOT_RETRY_MAX_MS, 1000 * 2 ** S.bootAttempt);
  S.bootAttempt += 1;
  D.boot.hidden = false;
  setText(D.boot, r.status === 0
    ? `Cannot reach the server. Trying again in ${Math.round(delay / 1000)} s…`
    : `The server is not ready (HTTP ${r.status}). Trying again in ${Math.round(delay / 1000)} s…`);
  setTimeout(() => checkMe(ssoMessage), delay);
}

function showSignIn(message = '', kind = 'error') {
  D.boot.hidden = true;
  D.console.hidden = true;
  D.signin.hidden = false;
  document.title = 'Sign in — Staff console';
  D.signinPassword.value = '';
  showMsg(D.signinError, message, kind);
  const target = !D.signinClinic.value ? D.signinClinic : D.signinEmail;
  target.focus();
}

function retryAfterSeconds(headers) {
  const v = headers.get('Retry-After');
  if (!v) return 60;
  if (/^\d+$/.test(v.trim())) return Math.max(1, Number.parseInt(v.trim(), 10));
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(1, Math.ceil((at - Date.now()) / 1000)) : 60;
}

function startLockout(seconds) {
  clearInterval(S.lockoutTimer);
  const until = Date.now() + seconds * 1000;
  const render = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(S.lockoutTimer);
      S.lockoutTimer = null;
      D.signinSubmit.disabled = false;
      showMsg(D.signinError, 'You can try again now.', 'info');
      return;
    }
    setText(D.signinError, `Too many attempts. Try again in ${left} ${left === 1 ? 'second' : 'seconds'}.`);
  };
  D.signinSubmit.disabled = true;
  showMsg(D.signinError, `Too many attempts. Try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`, 'error');
  S.lockoutTimer = setInterval(render, 1000);
}

async function submitSignIn(e) {
  e.preventDefault();
  if (D.signinSubmit.disabled) return;
  const clinic = D.signinClinic.value.trim();
  const email = D.signinEmail.value.trim();
  const password = D.signinPassword.value;
  const missing = !clinic ? D.signinClinic : !email ? D.signinEmail : !password ? D.signinPassword : null;
  if (missing) {
    showMsg(D.signinError, 'Enter your clinic, work email and password.', 'error');
    missing.focus();
    return;
  }
  D.signinSubmit.disabled = true;
  setText(D.signinSubmit, 'Signing in…');
  showMsg(D.signinError, '');
  const r = await api('POST', '/api/staff/login', { clinic, email, password }, { handle401: false });
  setText(D.signinSubmit, 'Sign in');
  D.signinSubmit.disabled = false;
  if (r.ok && r.data.user) {
    D.signinPassword.value = '';
    startConsole(r.data, true);
    return;
  }
  const code = r.data.error;
  if (r.status === 429 || code === 'too_many_attempts') {
    startLockout(retryAfterSeconds(r.headers));
    return;
  }
  let text;
  if (r.status === 401 || code === 'invalid_credentials') text = 'Wrong email or password.';
  else if (r.status === 400) text = r.data.field === 'clinic' ? 'Check the clinic name.' : 'Enter your clinic, work email and password.';
  else if (r.status === 0) text = 'Cannot reach the server. Check the connection and try again.';
  else if (r.status === 503) text = 'Sign-in is unavailable right now. Try again in a moment.';
  else text = `Sign-in did not work (HTTP ${r.status}). Try again.`;
  showMsg(D.signinError, text, 'error');
  D.signinPassword.select();
  D.signinPassword.focus();
}

function startConsole(data, fromSignIn = false) {
  clearInterval(S.lockoutTimer);
  S.user = data.user;
  S.csrf = typeof data.csrf === 'string' ? data.csrf : null;
  S.signedIn = true;
  S.everHello = false;
  S.attempt = 0;
  D.boot.hidden = true;
  D.signin.hidden = true;
  D.console.hidden = false;
  showMsg(D.signinError, '');
  showMsg(D.consoleError, '');
  renderUser();
  setConnection('reconnecting');
  renderQueueMeta();
  resetDetail();
  renderAlertsButton();
  startTicking();
  connectWs();
  refreshQueue();
  if (canAct()) loadCanned();
  if (fromSignIn) focusQueue();
}

/** Focus on the queue: its active row, or its heading while it is empty. */
function focusQueue() {
  if (S.activeId && S.queue.has(S.activeId)) setActive(S.activeId, true);
  else D.queueHeading.focus();
}

function renderUser() {
  const u = S.user || {};
  setText(D.userName, str(u.name) || str(u.email));
  setText(D.userRole, roleLabel(u.role));
  setText(D.clinicName, str(u.clinic_name) || str(u.clinic) || 'Staff console');
  if (u.clinic) D.signinClinic.value = u.clinic;
}

/** Back to the sign-in screen: forget everything about the session (patient data included). */
function teardown() {
  S.signedIn = false;
  S.csrf = null;
  detachWs();
  clearTimeout(S.reconnectTimer);
  S.reconnectTimer = null;
  clearTimeout(S.tickTimer);
  S.tickTimer = null;
  clearTimeout(S.alertClearTimer);
  if (S.cur) clearCurTimers(S.cur);
  S.cur = null;
  S.queue.clear();
  S.order = [];
  S.tombstones.clear();
  S.activeId = null;
  S.drafts.clear();
  S.canned = [];
  D.queue.replaceChildren();
  D.alertLive.textContent = '';
  D.statusLive.textContent = '';
  D.replyText.value = '';
  D.replyText.readOnly = false;
  D.replySend.disabled = false;
  D.noteText.value = '';
  resetDetail();
  renderQueueMeta();
}

function signedOut(message) {
  if (!S.signedIn) return;
  const clinic = S.user && S.user.clinic;
  teardown();
  if (clinic) D.signinClinic.value = clinic;
  S.user = null;
  showSignIn(message, 'info');
}

async function signOut(everywhere) {
  const btn = everywhere ? D.signoutEverywhere : D.signout;
  if (btn.disabled) return;
  D.signout.disabled = true;
  D.signoutEverywhere.disabled = true;
  if (S.cur) stopTyping(S.cur);
  const r = await api('POST', everywhere ? '/api/staff/logout-everywhere' : '/api/staff/logout', {}, { handle401: false });
  D.signout.disabled = false;
  D.signoutEverywhere.disabled = false;
  if (r.ok || r.status === 401) {
    const url = r.data.provider_logout_url;
    const n = Number.isInteger(r.data.sessions_ended) ? r.data.sessions_ended : null;
    const clinic = S.user && S.user.clinic;
    teardown();
    S.user = null;
    if (clinic) D.signinClinic.value = clinic;
    if (typeof url === 'string' && /^https?:\/\//i.test(url)) {
      D.console.hidden = true;
      D.boot.hidden = false;
      setText(D.boot, 'Signing you out at your organisation…');
      location.assign(url);
      return;
    }
    const text = everywhere
      ? `You are signed out on every device${n !== null ? ` (${n} ${n === 1 ? 'session' : 'sessions'} ended)` : ''}.`
      : 'You are signed out.';
    showSignIn(text, 'info');
    return;
  }
  showMsg(D.consoleError, `Could not sign out: ${errorText(r, 'Signing out')}`);
}

// ------------------------------------------------------------------ WebSocket

function wsUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/staff`;
}

function setConnection(state) {
  setData(D.console, 'connection', state);
  setText(D.connText, state === 'live' ? 'Live' : S.everHello ? 'Reconnecting…' : 'Connecting…');
}

function connectWs() {
  clearTimeout(S.reconnectTimer);
  S.reconnectTimer = null;
  if (S.ws || !S.signedIn) return;
  let ws;
  try {
    ws = new WebSocket(wsUrl());
  } catch {
    scheduleReconnect();
    return;
  }
  S.ws = ws;
  S.wsHello = false;
  S.wsOpenedAt = Date.now();
  S.lastFrameAt = Date.now();
  S.pingSentAt = 0;
  ws.onopen = () => {
    if (S.ws !== ws) return;
    S.lastFrameAt = Date.now();
  };
  ws.onmessage = (ev) => {
    if (S.ws !== ws) return;
    S.lastFrameAt = Date.now();
    S.pingSentAt = 0;
    if (typeof ev.data !== 'string') return;
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (msg && typeof msg === 'object') onFrame(msg);
  };
  ws.onclose = (ev) => { if (S.ws === ws) onWsClosed(ev.code); };
  ws.onerror = () => { /* a close event follows */ };
}

function detachWs() {
  const ws = S.ws;
  S.ws = null;
  S.wsHello = false;
  if (!ws) return;
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
  try { ws.close(1000); } catch { /* ignore */ }
}

function onWsClosed(code) {
  const hadHello = S.wsHello;
  detachWs();
  if (!S.signedIn) return;
  setConnection('reconnecting');
  showPatientTyping(false);
  if (code === 4401 || !hadHello) {
    // Refused upgrade, or the server said the session is over: ask whether we are still signed in.
    checkSessionThenReconnect();
    return;
  }
  scheduleReconnect();
}

async function checkSessionThenReconnect() {
  const r = await api('GET', '/api/staff/me', undefined, { handle401: false });
  if (!S.signedIn) return;
  if (r.status === 401) { signedOut('Your session ended. Sign in again to continue.'); return; }
  if (r.ok && r.data.user) {
    S.user = r.data.user;
    if (typeof r.data.csrf === 'string') S.csrf = r.data.csrf;
    renderUser();
  }
  scheduleReconnect();
}

function scheduleReconnect() {
  if (S.reconnectTimer || !S.signedIn) return;
  const cap = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** S.attempt);
  const delay = cap / 2 + Math.random() * (cap / 2);
  S.attempt += 1;
  S.reconnectTimer = setTimeout(() => { S.reconnectTimer = null; connectWs(); }, delay);
}

function wakeWs() {
  if (!S.signedIn || S.ws) return;
  S.attempt = 0;
  connectWs();
}

function sendFrame(obj) {
  const ws = S.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  try { ws.send(JSON.stringify(obj)); return true; } catch { return false; }
}

/** Called from the one-second tick: drop sockets that went silent. */
function watchdog() {
  const ws = S.ws;
  if (!ws) return;
  const now = Date.now();
  if (!S.wsHello) {
    if (now - S.wsOpenedAt > HELLO_TIMEOUT_MS) onWsClosed(0);
    return;
  }
  if (ws.readyState !== WebSocket.OPEN) return;
  if (S.pingSentAt) {
    if (now - S.pingSentAt > PING_TIMEOUT_MS) onWsClosed(0);
    return;
  }
  if (now - S.lastFrameAt > PING_AFTER_MS && sendFrame({ type: 'ping' })) S.pingSentAt = now;
}

function onFrame(msg) {
  switch (msg.type) {
    case 'hello': return onHello(msg);
    case 'escalation': return onEscalationFrame(msg);
    case 'resync': refreshQueue(); if (S.cur) loadDetail(S.cur); return undefined;
    case 'patient_message': return onLiveEntry(msg, 'patient');
    case 'bot_message': return onLiveEntry(msg, 'bot');
    case 'staff_message': return onLiveEntry(msg, 'staff');
    case 'typing': return onPatientTypingFrame(msg);
    case 'signed_out': return onSignedOutFrame(msg);
    default: return undefined;   // pong, error (a refused console frame), anything newer
  }
}

function onHello(msg) {
  const reconnected = S.everHello;
  S.wsHello = true;
  S.everHello = true;
  S.attempt = 0;
  setConnection('live');
  if (msg.user && typeof msg.user === 'object' && msg.user.id) { S.user = { ...S.user, ...msg.user }; renderUser(); }
  applySnapshot(Array.isArray(msg.escalations) ? msg.escalations : [], Date.now());
  if (S.cur && canOpen()) {
    sendFrame({ type: 'watch', escalation: S.cur.id });
    if (reconnected) loadDetail(S.cur);   // catch up on messages missed while away
  }
}

function onSignedOutFrame(msg) {
  const reason = str(msg.reason);
  signedOut(known(SIGNED_OUT_REASONS, reason, `Your session ended${reason ? ` (${reason})` : ''}.`));
}

// ------------------------------------------------------------------ queue

async function refreshQueue() {
  const started = Date.now();
  const r = await api('GET', '/api/staff/escalations');
  const received = Date.now();
  if (!S.signedIn || !r.ok) return;
  const serverTime = parseTime(r.data.server_time);
  if (serverTime !== null) S.clockOffset = serverTime - (started + received) / 2;
  applySnapshot(Array.isArray(r.data.escalations) ? r.data.escalations : [], started);
}

/** Replaces the queue with a snapshot taken at `takenAt` (local ms); newer news is kept. */
function applySnapshot(list, takenAt) {
  const ids = new Set();
  for (const esc of list) {
    if (!validEscalation(esc)) continue;
    ids.add(esc.id);
    const latest = upsert(esc);
    if (latest && S.cur && S.cur.id === esc.id) updateCurEscalation(latest);
  }
  for (const [id, entry] of [...S.queue]) {
    if (ids.has(id) || entry.seenAt > takenAt) continue;
    S.tombstones.set(id, parseTime(entry.esc.updated_at) ?? 0);
    removeEntry(id);
    if (S.cur && S.cur.id === id) loadDetail(S.cur);   // show how it ended
  }
  reorder();
  renderQueueMeta();
}

/** Adds or updates one escalation (or removes it when closed). Returns the escalation now known. */
function upsert(esc) {
  const id = esc.id;
  const updated = parseTime(esc.updated_at) ?? 0;
  const tomb = S.tombstones.get(id);
  if (tomb !== undefined && updated <= tomb) return null;
  const entry = S.queue.get(id);
  if (entry && updated < (parseTime(entry.esc.updated_at) ?? 0)) return entry.esc;
  if (CLOSED.has(esc.status)) {
    S.tombstones.set(id, updated);
    if (S.tombstones.size > 5000) S.tombstones.delete(S.tombstones.keys().next().value);
    if (entry) removeEntry(id);
    return esc;
  }
  if (entry) {
    entry.esc = esc;
    entry.seenAt = Date.now();
    renderRow(entry);
  } else {
    const fresh = buildRow(esc);
    S.queue.set(id, fresh);
    renderRow(fresh);
  }
  return esc;
}

function buildRow(esc) {
  const refs = {
    badge: el('span', { className: 'sc-badge', 'data-testid': 'queue-urgency' }),
    reason: el('span', { className: 'sc-row-reason', 'data-testid': 'queue-reason' }),
    age: el('span', { className: 'sc-row-age', 'data-testid': 'queue-age' }),
    rules: el('span', { className: 'sc-row-rules', 'data-testid': 'queue-rules' }),
    sla: el('span', { className: 'sc-sla', 'data-testid': 'queue-sla', 'data-sla': 'none' }),
    status: el('span', { className: 'sc-row-status', 'data-testid': 'queue-status' }),
    claimed: el('span', { className: 'sc-row-claimed', 'data-testid': 'queue-claimed-by' }),
  };
  const row = el('div', {
    className: 'sc-row', role: 'option', tabindex: '-1', 'aria-selected': 'false',
    'data-testid': 'queue-item', 'data-id': esc.id,
  }, [
    el('div', { className: 'sc-row-line sc-row-line--top' }, [
      refs.badge, refs.reason,
      el('span', { className: 'sc-row-agebox' }, [el('span', { className: 'sc-sr', text: 'waiting ' }), refs.age]),
    ]),
    el('div', { className: 'sc-row-line' }, [refs.rules, refs.sla]),
    el('div', { className: 'sc-row-line sc-row-line--status' }, [
      refs.status, el('span', { className: 'sc-sep', 'aria-hidden': 'true', text: '·' }), refs.claimed,
    ]),
  ]);
  row.addEventListener('click', () => {
    setActive(esc.id, false);
    openEscalation(esc.id);
  });
  return { esc, row, refs, cache: { age: null, sla: null, slaState: null }, seenAt: Date.now() };
}

function claimedText(esc) {
  if (!esc.claimed_by || !esc.claimed_by.name) return 'Not claimed';
  return `Claimed by ${esc.claimed_by.name}${isMine(esc) ? ' (you)' : ''}`;
}

function rulesText(esc) {
  const rules = Array.isArray(esc.rules) ? esc.rules : [];
  return rules.filter((r) => r && typeof r.id === 'string').slice(0, 3).map((r) => r.id).join(', ');
}

function renderRow(entry) {
  const { esc, row, refs } = entry;
  const u = urgencyKey(esc.urgency);
  setData(row, 'urgency', u);
  setData(row, 'status', str(esc.status));
  row.classList.toggle('sc-row--mine', isMine(esc));
  setBadge(refs.badge, u);
  setText(refs.reason, reasonLabel(esc.reason));
  const rules = rulesText(esc);
  setText(refs.rules, rules);
  refs.rules.hidden = !rules;
  setText(refs.status, statusLabel(esc.status));
  setText(refs.claimed, claimedText(esc));
  refs.claimed.classList.toggle('sc-row-claimed--none', !esc.claimed_by);
  entry.cache.age = null;
  entry.cache.sla = null;
  entry.cache.slaState = null;
  tickEntry(entry, nowMs());
}

function setBadge(node, urgency) {
  const u = urgencyKey(urgency);
  const cls = `sc-badge sc-badge--${u}`;
  if (node.className !== cls) node.className = cls;
  setText(node, URGENCIES[u]);
}

function removeEntry(id) {
  const entry = S.queue.get(id);
  if (!entry) return;
  const hadFocus = entry.row.contains(document.activeElement);
  const idx = S.order.indexOf(id);
  S.queue.delete(id);
  S.order = S.order.filter((x) => x !== id);
  entry.row.remove();
  if (S.activeId === id) {
    S.activeId = null;
    const next = S.order[Math.min(Math.max(idx, 0), S.order.length - 1)];
    if (next) setActive(next, hadFocus);
    else if (hadFocus) D.queueHeading.focus();
  }
}

function compareEntries(a, b) {
  return priorityOf(b.esc) - priorityOf(a.esc)
    || (parseTime(a.esc.raised_at) ?? 0) - (parseTime(b.esc.raised_at) ?? 0)
    || (a.esc.id < b.esc.id ? -1 : a.esc.id > b.esc.id ? 1 : 0);
}

/** Puts rows in display order, moving only the rows that are out of place. */
function reorder() {
  const sorted = [...S.queue.values()].sort(compareEntries);
  S.order = sorted.map((e) => e.esc.id);
  const focused = D.queue.contains(document.activeElement) ? document.activeElement : null;
  let ref = D.queue.firstElementChild;
  for (const entry of sorted) {
    if (entry.row === ref) { ref = ref.nextElementSibling; continue; }
    D.queue.insertBefore(entry.row, ref);
  }
  // Moving a focused node blurs it: give focus back.
  if (focused && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
  if (!S.activeId || !S.queue.has(S.activeId)) {
    const first = (S.cur && S.queue.has(S.cur.id)) ? S.cur.id : S.order[0];
    if (first) setActive(first, false);
  }
}

function renderQueueMeta() {
  const n = S.queue.size;
  setText(D.queueCount, String(n));
  D.queueEmpty.hidden = n > 0;
  let emergencies = 0;
  for (const { esc } of S.queue.values()) if (esc.urgency === 'emergency' && WAITING.has(esc.status)) emergencies += 1;
  const clinic = S.user ? (str(S.user.clinic_name) || str(S.user.clinic)) : '';
  const base = `Staff console${clinic ? ` — ${clinic}` : ''}`;
  document.title = S.signedIn
    ? `${emergencies ? `⚠ ${emergencies} unclaimed emergenc${emergencies === 1 ? 'y' : 'ies'} · ` : ''}${n ? `(${n}) ` : ''}${base}`
    : 'Sign in — Staff console';
}

/** Moves the queue's single tab stop to `id` (and focus, when asked). */
function setActive(id, focus) {
  const entry = S.queue.get(id);
  if (!entry) return;
  if (S.activeId && S.activeId !== id) {
    const prev = S.queue.get(S.activeId);
    if (prev) prev.row.setAttribute('tabindex', '-1');
  }
  S.activeId = id;
  entry.row.setAttribute('tabindex', '0');
  if (focus) entry.row.focus();
}

function setSelected(id) {
  for (const entry of S.queue.values()) {
    const sel = entry.esc.id === id ? 'true' : 'false';
    if (entry.row.getAttribute('aria-selected') !== sel) entry.row.setAttribute('aria-selected', sel);
  }
}

/**
 * Focuses the next (delta 1) or previous (-1) queue row: after the focused row, else after the open
 * escalation; from elsewhere with nothing open, the first (or last) row.
 */
function moveActive(delta) {
  if (!S.order.length) { announce('The queue is empty.'); return; }
  const focusedRow = document.activeElement instanceof Element ? document.activeElement.closest('[data-testid="queue-item"]') : null;
  let ref = null;
  if (focusedRow && D.queue.contains(focusedRow)) ref = focusedRow.dataset.id;
  else if (S.cur && S.queue.has(S.cur.id)) ref = S.cur.id;
  const idx = ref ? S.order.indexOf(ref) : -1;
  const next = idx < 0 ? (delta > 0 ? 0 : S.order.length - 1) : Math.min(S.order.length - 1, Math.max(0, idx + delta));
  setActive(S.order[next], true);
}

function onQueueKeydown(e) {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  switch (e.key) {
    case 'ArrowDown': e.preventDefault(); moveActive(1); break;
    case 'ArrowUp': e.preventDefault(); moveActive(-1); break;
    case 'Home': e.preventDefault(); if (S.order.length) setActive(S.order[0], true); break;
    case 'End': e.preventDefault(); if (S.order.length) setActive(S.order[S.order.length - 1], true); break;
    case 'Enter':
    case ' ': {
      // The row that has focus wins: focus can arrive by Tab or a click, not only by our keys.
      const focusedRow = document.activeElement instanceof Element ? document.activeElement.closest('[data-testid="queue-item"]') : null;
      const id = (focusedRow && D.queue.contains(focusedRow) && focusedRow.dataset.id) || S.activeId || S.order[0];
      if (!id) return;
      e.preventDefault();
      setActive(id, false);
      openEscalation(id, { focusDetail: true });
      break;
    }
    default: break;
  }
}

// ------------------------------------------------------------------ the one timer

function startTicking() {
  clearTimeout(S.tickTimer);
  const loop = () => {
    S.tickTimer = null;
    if (!S.signedIn) return;
    tick();
    // Wake just after each second of the server's clock (see onSecond).
    S.tickTimer = setTimeout(loop, 1000 - (((nowMs() % 1000) + 1000) % 1000) + 15);
  };
  loop();
}

function tick() {
  const now = nowMs();
  for (const entry of S.queue.values()) tickEntry(entry, now);
  tickDetail(now);
  watchdog();
}

function tickEntry(entry, now) {
  const raised = onSecond(parseTime(entry.esc.raised_at));
  const age = raised === null ? '—' : fmtAge(now - raised);
  if (entry.cache.age !== age) { entry.cache.age = age; setTickText(entry.refs.age, age); }
  const sla = slaInfo(entry.esc, now);
  if (entry.cache.sla !== sla.text) { entry.cache.sla = sla.text; setTickText(entry.refs.sla, sla.text); }
  if (entry.cache.slaState !== sla.state) { entry.cache.slaState = sla.state; entry.refs.sla.dataset.sla = sla.state; }
}

function tickDetail(now) {
  const cur = S.cur;
  if (!cur || !cur.loaded || !cur.esc) return;
  const raised = onSecond(parseTime(cur.esc.raised_at));
  setTickText(D.detailAge, raised === null ? '—' : `${fmtAge(now - raised)} (since ${fmtClockTime(raised)})`);
  const sla = slaInfo(cur.esc, now);
  setTickText(D.detailSla, sla.text);
  setData(D.detailSla, 'sla', sla.state);
}

// ------------------------------------------------------------------ alerts

function audioContext(create) {
  if (!S.audio && create) {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    try {
      S.audio = new AC();
      S.audio.addEventListener('statechange', renderAlertsButton);
    } catch { S.audio = null; }
  }
  return S.audio;
}

/** Called from user gestures: browsers only let audio start after one. */
function unlockAudio() {
  const ctx = audioContext(true);
  if (ctx && ctx.state === 'suspended') ctx.resume().then(renderAlertsButton, () => {});
  return ctx;
}

function playTone(loud) {
  const ctx = audioContext(false);
  if (!ctx) return false;
  if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  const beep = loud ? 0.34 : 0.16;
  const gap = loud ? 0.14 : 0.1;
  const volume = loud ? 0.55 : 0.25;
  const freqs = loud ? [988, 784] : [880, 880];
  const t0 = ctx.currentTime + 0.02;
  for (let i = 0; i < 2; i++) {
    const start = t0 + i * (beep + gap);
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = loud ? 'triangle' : 'sine';
    osc.frequency.setValueAtTime(freqs[i], start);
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(volume, start + 0.015);
    gain.gain.setValueAtTime(volume, start + beep - 0.04);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + beep);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + beep + 0.02);
  }
  return true;
}

function notificationPermission() {
  return typeof Notification === 'function' ? Notification.permission : 'unsupported';
}

function renderAlertsButton() {
  if (!D) return;
  const audioOn = Boolean(S.audio && S.audio.state === 'running');
  const perm = notificationPermission();
  let state = 'off';
  let text = 'Enable alerts';
  let title = 'Turn on the alert sound and desktop notifications for new emergencies';
  if (audioOn && perm === 'granted') {
    state = 'on';
    text = 'Alerts on';
    title = 'Alert sound and desktop notifications are on. Select to play a test sound.';
  } else if (audioOn && perm === 'default') {
    // Sound was unlocked by some other click; notifications were never asked for.
    state = 'sound-only';
    title = 'The alert sound is on. Select to allow desktop notifications too.';
  } else if (audioOn) {
    state = 'sound-only';
    text = 'Sound alerts on';
    title = perm === 'denied'
      ? 'Desktop notifications are blocked in this browser (allow them in the site settings, then reload). Select to play a test sound.'
      : 'This browser has no desktop notifications. Select to play a test sound.';
  }
  setData(D.enableAlerts, 'state', state);
  setText(D.enableAlerts, text);
  D.enableAlerts.title = title;
  // The banner stays until both the sound and the desktop notifications are on (or the browser
  // has answered for notifications): a quiet desk must be noticed.
  D.alertsBanner.hidden = state === 'on' || (audioOn && perm !== 'default');
}

function requestNotificationPermission() {
  if (typeof Notification !== 'function' || Notification.permission !== 'default') return Promise.resolve(notificationPermission());
  return new Promise((resolve) => {
    try {
      const p = Notification.requestPermission((v) => resolve(v));
      if (p && typeof p.then === 'function') p.then(resolve, () => resolve(Notification.permission));
    } catch {
      resolve(Notification.permission);
    }
  });
}

async function enableAlerts() {
  const ctx = unlockAudio();                  // synchronously inside the click
  const perm = await requestNotificationPermission();
  if (ctx && ctx.state === 'suspended') { try { await ctx.resume(); } catch { /* ignore */ } }
  renderAlertsButton();
  playTone(false);
  if (!ctx) announce('This browser cannot play alert sounds.');
  else if (perm === 'denied') announce('Sound alerts are on. Desktop notifications are blocked in this browser.');
  else if (perm === 'granted') announce('Alerts are on.');
  else announce('Sound alerts are on.');
}

function alertFor(esc, loud) {
  const now = Date.now();
  if (now - S.lastAlertAt > ALERT_MIN_GAP_MS) {
    playTone(loud);
    S.lastAlertAt = now;
  }
  const emergency = esc.urgency === 'emergency';
  const reason = reasonLabel(esc.reason);
  if (notificationPermission() === 'granted') {
    const title = loud ? (emergency ? 'Emergency escalation still waiting' : 'Escalation still waiting') : 'Emergency escalation';
    try {
      const n = new Notification(title, { body: reason, tag: `escalation-${esc.id}`, renotify: true, requireInteraction: emergency });
      n.onclick = () => {
        try { window.focus(); } catch { /* ignore */ }
        if (S.queue.has(esc.id)) { setActive(esc.id, true); openEscalation(esc.id); }
        n.close();
      };
    } catch { /* e.g. browsers that only allow notifications from a service worker */ }
  }
  const rules = rulesText(esc);
  const text = loud
    ? `Still waiting: ${urgencyLabel(esc.urgency)} escalation, ${reason}${rules ? ` (${rules})` : ''}. Nobody has claimed it.`
    : `New emergency escalation: ${reason}${rules ? ` (${rules})` : ''}.`;
  S.alertCount += 1;
  setData(D.alertLive, 'alerts', S.alertCount);
  D.alertLive.textContent = text;
  S.alertShownFor = esc.id;
  clearTimeout(S.alertClearTimer);
  S.alertClearTimer = setTimeout(clearAlertText, ALERT_TEXT_MS);
  const entry = S.queue.get(esc.id);
  if (entry) {
    entry.row.classList.remove('sc-row--flash');
    void entry.row.offsetWidth;               // restart the highlight animation
    entry.row.classList.add('sc-row--flash');
  }
}

function clearAlertText() {
  clearTimeout(S.alertClearTimer);
  S.alertShownFor = null;
  D.alertLive.textContent = '';
}

function onEscalationFrame(msg) {
  const esc = msg.escalation;
  if (!validEscalation(esc)) return;
  const latest = upsert(esc);
  reorder();
  renderQueueMeta();
  // The red alert line goes once someone has taken (or closed) what it announced.
  if (latest && S.alertShownFor === esc.id && !WAITING.has(latest.status)) clearAlertText();
  if (S.cur && S.cur.id === esc.id) {
    if (latest) updateCurEscalation(latest);
    if (msg.event === 'linked') loadDetail(S.cur);
  }
  if (!latest || CLOSED.has(esc.status)) return;
  const loud = msg.event === 'renotified';
  if (!loud && !(msg.event === 'raised' && esc.urgency === 'emergency')) return;
  const key = `${esc.id}:${msg.event}`;
  if (S.alerted.has(key)) return;          // the same news twice (e.g. from two instances)
  S.alerted.add(key);
  if (S.alerted.size > 2000) S.alerted.delete(S.alerted.values().next().value);
  alertFor(esc, loud);
}

// ------------------------------------------------------------------ detail

function clearCurTimers(cur) {
  clearTimeout(cur.typingIdleTimer);
  clearTimeout(cur.patientTypingTimer);
}

function resetDetail() {
  D.detail.hidden = true;
  delete D.detail.dataset.id;
  delete D.detail.dataset.status;
  delete D.detail.dataset.urgency;
  D.transcript.replaceChildren();
  D.notes.replaceChildren();
  D.patientTyping.hidden = true;
  D.detailMessage.hidden = false;
  setText(D.detailMessage, canOpen() || !S.user
    ? 'Select an escalation in the queue to see the conversation.'
    : 'Auditors see the queue only.');
  setSelected(null);
}

/**
 * Opens escalation `id` in the right pane. opts.focusDetail moves focus to its title once loaded
 * (keyboard opening); a click leaves focus where it is.
 */
async function openEscalation(id, opts = {}) {
  if (!id || !S.signedIn) return;
  setSelected(id);
  const same = S.cur && S.cur.id === id;
  if (same && S.cur.loaded) {
    if (opts.focusDetail) D.detailTitle.focus();
    return;
  }
  if (same) {
    S.cur.focusDetail = S.cur.focusDetail || Boolean(opts.focusDetail);
    if (!S.cur.loading) await loadDetail(S.cur);     // an earlier load failed: try again
    return;
  }
  if (S.cur) {
    stopTyping(S.cur);
    saveDraft();
    clearCurTimers(S.cur);
    if (canOpen()) sendFrame({ type: 'unwatch' });
  }
  const entry = S.queue.get(id);
  const cur = {
    id,
    loaded: false,
    focusDetail: Boolean(opts.focusDetail),
    esc: entry ? entry.esc : null,
    data: null,
    entries: new Map(),       // seq -> node
    pending: [],              // live entries that came before the first load
    noteIds: new Set(),
    req: 0,
    loading: false,
    typingOn: false,
    lastTypingSent: 0,
    typingIdleTimer: null,
    patientTypingTimer: null,
    sending: false,
    lastCanned: null,
    claimError: '',
  };
  S.cur = cur;
  // Hide the previous escalation at once so that nothing can act on it by mistake.
  D.detail.hidden = true;
  D.detailMessage.hidden = false;
  setText(D.detailMessage, 'Loading the escalation…');
  if (canOpen()) sendFrame({ type: 'watch', escalation: id });
  await loadDetail(cur);
}

async function loadDetail(cur) {
  const req = ++cur.req;
  cur.loading = true;
  const r = await api('GET', escPath(cur.id));
  if (req === cur.req) cur.loading = false;
  if (S.cur !== cur || req !== cur.req || !S.signedIn) return;
  if (!r.ok) {
    if (cur.loaded && (r.status === 0 || r.status === 503)) return;   // keep what we have; the next event retries
    let text;
    if (r.status === 403) text = 'Auditors see the queue only.';
    else if (r.status === 404) text = 'This escalation is not in your clinic, or no longer exists.';
    else if (r.status === 401) return;
    else text = `The escalation could not be loaded. ${errorText(r, 'Loading')}`;
    if (r.status === 403 || r.status === 404) sendFrame({ type: 'unwatch' });
    D.detail.hidden = true;
    D.detailMessage.hidden = false;
    setText(D.detailMessage, text);
    return;
  }
  renderDetail(cur, r.data);
}

function renderDetail(cur, data) {
  const first = !cur.loaded;
  cur.data = data;
  // The freshest of: this answer, what events said meanwhile, the queue.
  const queued = S.queue.get(cur.id);
  let esc = null;
  for (const cand of [data.escalation, cur.esc, queued && queued.esc]) {
    if (!validEscalation(cand) || cand.id !== cur.id) continue;
    if (!esc || (parseTime(cand.updated_at) ?? 0) > (parseTime(esc.updated_at) ?? 0)) esc = cand;
  }
  if (!esc) esc = { id: cur.id, status: 'raised', urgency: 'none' };
  cur.esc = esc;
  // A snapshot of an escalation we did not know about (or a fresher one) also updates the queue.
  if (validEscalation(data.escalation)) { upsert(data.escalation); reorder(); renderQueueMeta(); }

  if (first) {
    D.transcript.replaceChildren();
    D.notes.replaceChildren();
    cur.entries.clear();
    cur.noteIds.clear();
    D.patientTyping.hidden = true;
    D.replyText.value = S.drafts.get(cur.id) || '';
    D.noteText.value = '';
    showMsg(D.claimError, '');
    showMsg(D.actionError, '');
    showMsg(D.replyError, '');
    showMsg(D.noteError, '');
    D.resolveOutcome.value = '';
    D.canned.value = '';
    D.replyText.readOnly = false;
    D.replySend.disabled = false;
    // Do not read the whole transcript aloud when it is first shown; new messages are announced.
    D.transcript.setAttribute('aria-live', 'off');
    setTimeout(() => { if (S.cur === cur) D.transcript.setAttribute('aria-live', 'polite'); }, 1000);
  }

  renderHead(cur);
  renderRedFlags(cur, data);
  renderLinked(data.linked);
  renderSummary(data.summary);
  renderIntent(data.triage, !D.redFlags.hidden, esc);
  renderHandBackStates(data.hand_back_states);
  renderNotes(cur, Array.isArray(data.notes) ? data.notes : []);
  if (first) renderFeedback(cur, Array.isArray(data.feedback) ? data.feedback : []);

  const wasBottom = first || nearBottom();
  const list = Array.isArray(data.transcript) ? data.transcript : [];
  for (const e of list) addEntry(cur, e);
  cur.loaded = true;
  for (const e of cur.pending) addEntry(cur, e);
  cur.pending = [];
  renderActions(cur);

  D.detailMessage.hidden = true;
  D.detail.hidden = false;
  if (wasBottom) scrollTranscriptToBottom();
  tickDetail(nowMs());
  if (first && cur.focusDetail) D.detailTitle.focus();
  cur.focusDetail = false;
}

function renderHead(cur) {
  const esc = cur.esc;
  setData(D.detail, 'id', cur.id);
  setData(D.detail, 'status', str(esc.status));
  setData(D.detail, 'urgency', urgencyKey(esc.urgency));
  setBadge(D.detailUrgency, esc.urgency);
  setText(D.detailReason, reasonLabel(esc.reason));
  setText(D.detailStatus, statusLabel(esc.status));
  setText(D.detailClaimedBy, esc.claimed_by && esc.claimed_by.name
    ? `${esc.claimed_by.name}${isMine(esc) ? ' (you)' : ''}` : 'Nobody yet');
  const closed = CLOSED.has(esc.status);
  D.detailOutcomeRow.hidden = !(closed && esc.outcome);
  setText(D.detailOutcome, esc.outcome ? outcomeLabel(esc.outcome) : '');
}

function redFlagsOf(data) {
  const summary = data.summary && typeof data.summary === 'object' ? data.summary : {};
  const fromSummary = Array.isArray(summary.red_flags) ? summary.red_flags : [];
  let flags = fromSummary
    .filter((f) => f && typeof f === 'object')
    .map((f) => ({ rule: str(f.rule), urgency: str(f.urgency), matched: str(f.matched) }));
  if (!flags.length && data.triage && Array.isArray(data.triage.rules)) {
    flags = data.triage.rules
      .filter((r) => r && typeof r === 'object' && (r.urgency === 'emergency' || r.urgency === 'urgent'))
      .map((r) => ({ rule: str(r.id), urgency: str(r.urgency), matched: str(r.matched) }));
  }
  return flags;
}

function renderRedFlags(cur, data) {
  const flags = redFlagsOf(data);
  const emergency = cur.esc.urgency === 'emergency' || flags.some((f) => f.urgency === 'emergency');
  D.redFlags.hidden = flags.length === 0;
  D.redFlags.classList.toggle('sc-redflags--emergency', emergency);
  const title = D.redFlags.querySelector('.sc-redflags-title');
  setText(title, emergency ? 'Red flags — emergency' : 'Red flags');
  D.redFlagList.replaceChildren(...flags.map((f) => el('li', { className: 'sc-redflag', 'data-testid': 'red-flag', 'data-rule': f.rule }, [
    el('span', { className: 'sc-rule', text: f.rule || 'rule' }),
    f.urgency ? el('span', { className: `sc-badge sc-badge--${urgencyKey(f.urgency)}`, text: urgencyLabel(f.urgency) }) : null,
    f.matched ? el('q', { className: 'sc-matched', text: f.matched }) : null,
  ])));
  const rationale = str(data.triage && data.triage.rationale) || str(cur.esc.rationale);
  setText(D.rationale, rationale ? `Why: ${rationale}` : '');
  D.rationale.hidden = !rationale;
}

function renderLinked(linked) {
  if (!validEscalation(linked)) {
    D.linked.hidden = true;
    delete D.linked.dataset.id;
    return;
  }
  D.linked.hidden = false;
  setData(D.linked, 'id', linked.id);
  setBadge(D.linkedUrgency, linked.urgency);
  setText(D.linkedReason, reasonLabel(linked.reason));
  const raised = parseTime(linked.raised_at);
  const parts = [];
  if (raised !== null) parts.push(`Raised ${fmtClockTime(raised)} (${fmtAge(nowMs() - raised)} ago)`);
  parts.push(statusLabel(linked.status));
  if (linked.outcome) parts.push(outcomeLabel(linked.outcome));
  if (linked.claimed_by && linked.claimed_by.name) parts.push(`handled by ${linked.claimed_by.name}`);
  setText(D.linkedMeta, parts.join(' · '));
}

function renderSummary(summary) {
  const s = summary && typeof summary === 'object' ? summary : null;
  const body = [];
  if (!s) {
    body.push(el('p', { className: 'sc-hint', text: 'No summary for this escalation.' }));
  } else {
    if (str(s.situation)) body.push(el('p', { className: 'sc-situation', text: s.situation }));
    const list = (title, items, render) => {
      const clean = Array.isArray(items) ? items.filter((x) => x !== null && x !== undefined && x !== '') : [];
      if (!clean.length) return;
      body.push(el('h4', { className: 'sc-subtitle', text: title }));
      body.push(el('ul', { className: 'sc-list' }, clean.map((x) => el('li', {}, render(x)))));
    };
    list('What the patient reported', s.reported, (x) => [String(typeof x === 'string' ? x : JSON.stringify(x))]);
    list('Red flags', s.red_flags, (f) => [
      el('span', { className: 'sc-rule', text: str(f && f.rule) }),
      f && f.urgency ? ` (${urgencyLabel(f.urgency)})` : '',
      f && f.matched ? ' — ' : '',
      f && f.matched ? el('q', { className: 'sc-matched', text: f.matched }) : '',
    ]);
    const answers = Array.isArray(s.answers) ? s.answers.filter((a) => a && typeof a === 'object') : [];
    if (answers.length) {
      body.push(el('h4', { className: 'sc-subtitle', text: 'Answers' }));
      body.push(el('dl', { className: 'sc-answers' }, answers.map((a) => el('div', {}, [
        el('dt', { text: humanName(a.name) }),
        el('dd', { text: a.value === null || a.value === undefined ? '' : String(a.value) }),
      ]))));
    }
    list('What the assistant told them', s.bot_told, (x) => [String(typeof x === 'string' ? x : JSON.stringify(x))]);
    if (!body.length) body.push(el('p', { className: 'sc-hint', text: 'The summary is empty.' }));
  }
  D.summaryBody.replaceChildren(...body);
}

function percent(conf) {
  if (typeof conf !== 'number' || !Number.isFinite(conf)) return null;
  const p = conf <= 1 ? conf * 100 : conf;
  return `${Math.round(Math.max(0, Math.min(100, p)))}%`;
}

function renderIntent(triage, rationaleShown, esc) {
  const t = triage && typeof triage === 'object' ? triage : {};
  const body = [];
  const intent = t.intent && typeof t.intent === 'object' ? t.intent : null;
  if (intent && str(intent.intent)) {
    const pct = percent(intent.confidence);
    body.push(el('p', { className: 'sc-intent-main' }, [
      'Intent: ', el('span', { className: 'sc-code', text: intent.intent }),
      pct ? el('span', { className: 'sc-confidence', text: ` — ${pct} confidence` }) : null,
    ]));
    const alts = Array.isArray(intent.alternatives) ? intent.alternatives : [];
    const altText = alts.map((a) => {
      if (typeof a === 'string') return a;
      if (a && typeof a === 'object' && str(a.intent)) { const p = percent(a.confidence); return p ? `${a.intent} ${p}` : a.intent; }
      return '';
    }).filter(Boolean).slice(0, 3).join(', ');
    if (altText) body.push(el('p', { className: 'sc-hint', text: `Other readings: ${altText}` }));
    if (typeof intent.confidence === 'number' && intent.confidence < 0.6) {
      body.push(el('p', { className: 'sc-hint', text: 'Low confidence: read the transcript yourself.' }));
    }
  } else {
    body.push(el('p', { className: 'sc-hint', text: 'No intent reading.' }));
  }
  if (str(t.urgency)) body.push(el('p', {}, ['Triage urgency: ', el('span', { className: `sc-badge sc-badge--${urgencyKey(t.urgency)}`, text: urgencyLabel(t.urgency) })]));
  const rationale = str(t.rationale) || str(esc && esc.rationale);
  if (rationale && !rationaleShown) body.push(el('p', { className: 'sc-rationale-plain', text: `Why: ${rationale}` }));
  D.intentBody.replaceChildren(...body);
}

function renderHandBackStates(states) {
  const list = Array.isArray(states) ? states.filter((s) => s && typeof s.id === 'string' && s.id) : [];
  const prev = D.handbackState.value;
  const key = JSON.stringify(list.map((s) => [s.id, s.label]));
  if (D.handbackState.dataset.key === key) return;
  D.handbackState.dataset.key = key;
  D.handbackState.replaceChildren(...list.map((s) => el('option', { value: s.id, text: str(s.label) || humanName(s.id) })));
  if (list.some((s) => s.id === prev)) D.handbackState.value = prev;
}

function renderNotes(cur, notes) {
  const sorted = [...notes].filter((n) => n && typeof n === 'object')
    .sort((a, b) => (parseTime(a.created_at) ?? 0) - (parseTime(b.created_at) ?? 0));
  for (const n of sorted) addNote(cur, n);
  D.notesEmpty.hidden = cur.noteIds.size > 0 || D.notes.childElementCount > 0;
}

function addNote(cur, n) {
  const id = n.id === null || n.id === undefined ? null : String(n.id);
  if (id && cur.noteIds.has(id)) return;
  if (id) cur.noteIds.add(id);
  const at = parseTime(n.created_at);
  const author = n.author && typeof n.author === 'object' ? str(n.author.name) : '';
  D.notes.append(el('li', { className: 'sc-note', 'data-testid': 'note', 'data-id': id }, [
    el('p', { className: 'sc-note-meta', text: `${author || 'Staff'}${at !== null ? ` · ${fmtClockTime(at)}` : ''}` }),
    el('p', { className: 'sc-note-text', text: str(n.text) }),
  ]));
  D.notesEmpty.hidden = true;
}

// ------------------------------------------------------------------ transcript

function nearBottom() {
  const t = D.transcript;
  return t.scrollHeight - t.scrollTop - t.clientHeight < 80;
}

function scrollTranscriptToBottom() {
  D.transcript.scrollTop = D.transcript.scrollHeight;
}

function entryWho(author, staff) {
  if (author === 'patient') return 'Patient';
  if (author === 'bot') return 'Assistant';
  const name = staff && typeof staff === 'object' ? str(staff.name) : '';
  const r = staff && typeof staff === 'object' ? str(staff.role) : '';
  return name ? `${name}${r ? ` (${roleLabel(r)})` : ''}` : 'Staff';
}

/** Inserts a transcript entry in seq order; entries already shown (same seq) are skipped. */
function addEntry(cur, e) {
  if (!e || typeof e !== 'object' || !Number.isInteger(e.seq)) return;
  if (cur.entries.has(e.seq)) return;
  const author = ENTRY_AUTHORS.has(e.author) ? e.author : 'bot';
  const urgent = e.urgent === true;
  const node = el('div', {
    className: `sc-entry sc-entry--${author}${urgent ? ' sc-entry--urgent' : ''}`,
    'data-testid': 'entry', 'data-author': author, 'data-seq': e.seq, 'data-urgent': urgent ? 'true' : null,
  }, [
    el('p', { className: 'sc-entry-who' }, [
      entryWho(author, e.staff),
      urgent ? el('span', { className: 'sc-entry-flag', text: 'Urgent' }) : null,
    ]),
    el('p', { className: 'sc-entry-text', text: str(e.text) }),
  ]);
  cur.entries.set(e.seq, node);
  let ref = D.transcript.lastElementChild;
  while (ref && Number(ref.dataset.seq) > e.seq) ref = ref.previousElementSibling;
  if (ref) ref.after(node); else D.transcript.prepend(node);
}

function onLiveEntry(msg, author) {
  const cur = S.cur;
  if (!cur || msg.escalation !== cur.id || !Number.isInteger(msg.seq)) return;
  const entry = { seq: msg.seq, author, text: msg.text, staff: msg.staff, urgent: msg.urgent === true };
  if (author === 'patient') showPatientTyping(false);
  if (!cur.loaded) { cur.pending.push(entry); return; }
  const wasBottom = nearBottom();
  addEntry(cur, entry);
  if (wasBottom || author === 'staff') scrollTranscriptToBottom();
}

function onPatientTypingFrame(msg) {
  const cur = S.cur;
  if (!cur || msg.escalation !== cur.id) return;
  showPatientTyping(msg.on === true);
}

function showPatientTyping(on) {
  const cur = S.cur;
  if (cur) clearTimeout(cur.patientTypingTimer);
  const visible = on && Boolean(cur) && !CLOSED.has(cur.esc && cur.esc.status);
  D.patientTyping.hidden = !visible;
  if (visible) cur.patientTypingTimer = setTimeout(() => { D.patientTyping.hidden = true; }, PATIENT_TYPING_SAFETY_MS);
}

// ------------------------------------------------------------------ actions

/** A newer state of the open escalation (from an event or an action's answer). */
function updateCurEscalation(esc) {
  const cur = S.cur;
  if (!cur || esc.id !== cur.id) return;
  if (cur.esc && (parseTime(esc.updated_at) ?? 0) < (parseTime(cur.esc.updated_at) ?? 0)) return;
  const wasClosed = CLOSED.has(cur.esc && cur.esc.status);
  const prevHolder = cur.esc && cur.esc.claimed_by ? cur.esc.claimed_by.id : null;
  cur.esc = esc;
  if (!cur.loaded) return;
  renderHead(cur);
  renderActions(cur);
  tickDetail(nowMs());
  if (!wasClosed && CLOSED.has(esc.status)) {
    stopTyping(cur);
    showPatientTyping(false);
    announce(`This escalation is now ${statusLabel(esc.status).toLowerCase()}.`);
  } else if (esc.claimed_by && esc.claimed_by.id !== prevHolder && !isMine(esc)) {
    announce(`${esc.claimed_by.name || 'Someone'} claimed this escalation.`);
  }
}

/** Applies an escalation returned by an action to the queue and the open detail. */
function applyEscalation(esc) {
  if (!validEscalation(esc)) return;
  upsert(esc);
  reorder();
  renderQueueMeta();
  updateCurEscalation(esc);
}

function renderActions(cur) {
  const esc = cur.esc;
  const act = canAct();
  const open = !CLOSED.has(esc.status);
  const holder = esc.claimed_by && esc.claimed_by.id ? esc.claimed_by : null;
  const mine = isMine(esc);
  const heldByOther = Boolean(holder) && !mine;

  // Claim
  D.claim.hidden = !act;
  D.claim.disabled = !(act && open && !holder);
  setText(D.claim, mine ? 'Claimed by you' : holder ? `Claimed by ${holder.name || 'someone else'}` : 'Claim');
  if (cur.claimError) showMsg(D.claimError, cur.claimError);
  else showMsg(D.claimError, '');

  // Resolve and hand back: the holder, or a clinic admin on anything open.
  const canClose = act && open && (mine || isAdmin());
  D.resolveOutcome.disabled = !canClose;
  D.resolve.disabled = !canClose;
  const hasStates = D.handbackState.options.length > 0;
  D.handbackState.disabled = !canClose || !hasStates;
  D.handback.disabled = !canClose || !hasStates;

  let hint = '';
  if (!act) hint = 'Your role can read the queue only.';
  else if (!open) hint = `This escalation is ${statusLabel(esc.status).toLowerCase()}${esc.outcome ? ` (${outcomeLabel(esc.outcome)})` : ''}.`;
  else if (!holder) hint = 'Claim it to reply, resolve or hand back.';
  else if (heldByOther && isAdmin()) hint = `${holder.name || 'Someone'} holds this escalation. As a clinic admin you can still resolve it or hand it back.`;
  else if (heldByOther) hint = `${holder.name || 'Someone'} holds this escalation. Only they or a clinic admin can resolve it or hand it back.`;
  else if (!hasStates) hint = 'No hand-back steps are available for this conversation.';
  setText(D.actionHint, hint);
  D.actionHint.hidden = !hint;

  // Composer: the holder only.
  const canReply = act && open && mine;
  const hadFocus = D.composer.contains(document.activeElement);
  D.composer.hidden = !canReply;
  if (!canReply && hadFocus) D.detailTitle.focus();
  let composerHint = '';
  if (!canReply && act) {
    if (!open) composerHint = 'The conversation with staff is over.';
    else if (heldByOther) composerHint = `${holder.name || 'Someone else'} is talking with the patient.`;
    else composerHint = 'Claim this escalation to reply to the patient.';
  }
  setText(D.composerHint, composerHint);
  D.composerHint.hidden = !composerHint;
  renderCannedControls();

  // Notes
  D.noteForm.hidden = !act;
}

async function claim() {
  const cur = S.cur;
  if (!cur || !cur.loaded || D.claim.disabled || D.claim.hidden) return;
  D.claim.disabled = true;
  cur.claimError = '';
  showMsg(D.claimError, '');
  showMsg(D.actionError, '');
  const r = await api('POST', escPath(cur.id, '/claim'), {});
  if (S.cur !== cur) return;
  if (r.ok && validEscalation(r.data.escalation)) {
    applyEscalation(r.data.escalation);
    renderActions(cur);
    announce('You claimed this escalation. The patient sees that you joined.');
    if (!D.composer.hidden) D.replyText.focus();
    return;
  }
  if (r.status === 409 && r.data.error === 'already_claimed') {
    const by = r.data.claimed_by && typeof r.data.claimed_by === 'object' ? r.data.claimed_by : null;
    cur.claimError = `Already taken by ${by && by.name ? by.name : 'someone else'}`;
    if (by && by.id) {
      // Show the holder now; the escalation event that follows brings the rest.
      cur.esc = { ...cur.esc, claimed_by: { id: by.id, name: by.name }, status: WAITING.has(cur.esc.status) ? 'claimed' : cur.esc.status };
      renderHead(cur);
    }
  } else if (r.status === 409 && r.data.error === 'wrong_status') {
    if (validEscalation(r.data.escalation)) applyEscalation(r.data.escalation);
    cur.claimError = errorText(r, 'Claiming');
  } else if (r.status !== 401) {
    cur.claimError = errorText(r, 'Claiming');
  }
  renderActions(cur);
}

async function resolveCurrent() {
  const cur = S.cur;
  if (!cur || !cur.loaded || D.resolve.disabled) return;
  const outcome = D.resolveOutcome.value;
  if (!outcome) {
    showMsg(D.actionError, 'Choose an outcome before resolving.');
    D.resolveOutcome.focus();
    return;
  }
  await closeAction(cur, '/resolve', { outcome }, D.resolve, `Resolved: ${outcomeLabel(outcome)}. The patient's chat has closed.`, 'Resolving');
}

async function handBackCurrent() {
  const cur = S.cur;
  if (!cur || !cur.loaded || D.handback.disabled) return;
  const state = D.handbackState.value;
  if (!state) {
    showMsg(D.actionError, 'Choose where the assistant should resume.');
    D.handbackState.focus();
    return;
  }
  const label = D.handbackState.selectedOptions[0] ? D.handbackState.selectedOptions[0].textContent : state;
  await closeAction(cur, '/hand-back', { state }, D.handback, `Handed back to the assistant at “${label}”.`, 'Handing back');
}

async function closeAction(cur, suffix, body, button, doneText, what) {
  button.disabled = true;
  showMsg(D.actionError, '');
  stopTyping(cur);
  const r = await api('POST', escPath(cur.id, suffix), body);
  if (S.cur !== cur) return;
  if (r.ok && validEscalation(r.data.escalation)) {
    applyEscalation(r.data.escalation);
    S.drafts.delete(cur.id);
    D.replyText.value = '';
    renderActions(cur);
    announce(doneText);
    D.detailTitle.focus();
    return;
  }
  if (r.status === 409 && validEscalation(r.data.escalation)) applyEscalation(r.data.escalation);
  if (r.status !== 401) {
    showMsg(D.actionError, r.status === 403 && r.data.error === 'forbidden'
      ? 'Only the person holding this escalation, or a clinic admin, can do this.'
      : errorText(r, what));
  }
  renderActions(cur);
}

// ------------------------------------------------------------------ composer

function saveDraft() {
  const cur = S.cur;
  if (!cur || !cur.loaded) return;
  const v = D.replyText.value;
  if (v) S.drafts.set(cur.id, v); else S.drafts.delete(cur.id);
}

function canReplyNow(cur) {
  return Boolean(cur && cur.loaded && canAct() && !CLOSED.has(cur.esc.status) && isMine(cur.esc));
}

function onReplyInput() {
  const cur = S.cur;
  saveDraft();
  if (!canReplyNow(cur)) return;
  if (!D.replyText.value.trim()) { stopTyping(cur); return; }
  const now = Date.now();
  if (!cur.typingOn || now - cur.lastTypingSent >= TYPING_THROTTLE_MS) {
    if (sendFrame({ type: 'typing', escalation: cur.id, on: true })) {
      cur.typingOn = true;
      cur.lastTypingSent = now;
    }
  }
  clearTimeout(cur.typingIdleTimer);
  cur.typingIdleTimer = setTimeout(() => stopTyping(cur), TYPING_IDLE_MS);
}

function stopTyping(cur) {
  if (!cur) return;
  clearTimeout(cur.typingIdleTimer);
  cur.typingIdleTimer = null;
  if (!cur.typingOn) return;
  cur.typingOn = false;
  cur.lastTypingSent = 0;
  sendFrame({ type: 'typing', escalation: cur.id, on: false });
}

async function sendReply() {
  const cur = S.cur;
  if (!canReplyNow(cur) || cur.sending) return;
  const text = D.replyText.value.trim();
  if (!text) { D.replyText.focus(); return; }
  if (text.length > MAX_MESSAGE) {
    showMsg(D.replyError, `The message is too long (${text.length} characters; at most ${MAX_MESSAGE}).`);
    return;
  }
  cur.sending = true;
  D.replySend.disabled = true;
  D.replyText.readOnly = true;
  showMsg(D.replyError, '');
  stopTyping(cur);
  const r = await api('POST', escPath(cur.id, '/messages'), { text });
  cur.sending = false;
  D.replySend.disabled = false;
  D.replyText.readOnly = false;
  if (S.cur !== cur) return;
  if (r.ok) {
    D.replyText.value = '';
    cur.lastCanned = null;
    S.drafts.delete(cur.id);
    if (Number.isInteger(r.data.seq)) {
      addEntry(cur, { seq: r.data.seq, author: 'staff', text, staff: { name: S.user.name, role: S.user.role } });
      scrollTranscriptToBottom();
    }
    if (validEscalation(r.data.escalation)) applyEscalation(r.data.escalation);
    if (!D.composer.hidden) D.replyText.focus();
    return;
  }
  if (r.status === 409 && validEscalation(r.data.escalation)) applyEscalation(r.data.escalation);
  if (r.status !== 401) {
    showMsg(D.replyError, `Not sent. ${r.status === 403 && r.data.error === 'forbidden'
      ? 'Only the person holding this escalation can write to the patient.'
      : errorText(r, 'Sending')}`);
  }
  if (!D.composer.hidden) D.replyText.focus();
}

function onReplyKeydown(e) {
  if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.isComposing && e.keyCode !== 229) {
    e.preventDefault();
    sendReply();
  }
}

// ------------------------------------------------------------------ canned replies

async function loadCanned() {
  const r = await api('GET', '/api/staff/canned-replies');
  if (!S.signedIn) return;
  const list = r.ok && Array.isArray(r.data.replies) ? r.data.replies : [];
  S.canned = list
    .filter((c) => c && (typeof c.id === 'string' || typeof c.id === 'number') && (str(c.body_en) || str(c.body_es)))
    .sort((a, b) => (Number(a.position) || 0) - (Number(b.position) || 0));
  const options = [el('option', { value: '', text: S.canned.length ? 'Choose a canned reply…' : 'No canned replies' })];
  for (const c of S.canned) options.push(el('option', { value: String(c.id), text: str(c.title) || str(c.body_en).slice(0, 40) }));
  D.canned.replaceChildren(...options);
  renderCannedControls();
}

function renderCannedControls() {
  const none = S.canned.length === 0;
  D.canned.disabled = none;
  const chosen = selectedCanned();
  D.cannedEn.disabled = !chosen || !str(chosen.body_en);
  D.cannedEs.disabled = !chosen || !str(chosen.body_es);
}

function selectedCanned() {
  const v = D.canned.value;
  return v ? S.canned.find((c) => String(c.id) === v) || null : null;
}

/**
 * Puts the chosen canned reply into the reply box: replaces the previously inserted canned text if
 * it is still there untouched (so switching EN/ES or browsing the list does not pile up), otherwise
 * inserts at the cursor.
 */
function insertCanned(lang) {
  const cur = S.cur;
  const reply = selectedCanned();
  renderCannedControls();
  if (!cur || !reply || D.composer.hidden) return;
  const body = lang === 'es' ? (str(reply.body_es) || str(reply.body_en)) : (str(reply.body_en) || str(reply.body_es));
  if (!body) return;
  const ta = D.replyText;
  const value = ta.value;
  let start;
  let end;
  const last = cur.lastCanned;
  if (last && value.slice(last.start, last.end) === last.text) {
    ({ start, end } = last);
  } else if (!value.trim()) {
    start = 0; end = value.length;
  } else {
    start = typeof ta.selectionStart === 'number' ? ta.selectionStart : value.length;
    end = typeof ta.selectionEnd === 'number' ? ta.selectionEnd : start;
    // Keep it apart from the text around it.
    const before = value.slice(0, start);
    if (before && !/\s$/.test(before)) {
      ta.value = `${before} ${value.slice(start)}`;
      start += 1;
      end += 1;
    }
  }
  ta.value = ta.value.slice(0, start) + body + ta.value.slice(end);
  cur.lastCanned = { start, end: start + body.length, text: body };
  try { ta.setSelectionRange(start + body.length, start + body.length); } catch { /* ignore */ }
  onReplyInput();
}

// ------------------------------------------------------------------ notes

async function addNoteSubmit(e) {
  e.preventDefault();
  const cur = S.cur;
  if (!cur || !cur.loaded || !canAct() || D.noteAdd.disabled) return;
  const text = D.noteText.value.trim();
  if (!text) { showMsg(D.noteError, 'Write the note first.'); D.noteText.focus(); return; }
  if (text.length > MAX_NOTE) { showMsg(D.noteError, `The note is too long (at most ${MAX_NOTE} characters).`); return; }
  D.noteAdd.disabled = true;
  showMsg(D.noteError, '');
  const r = await api('POST', escPath(cur.id, '/notes'), { text });
  D.noteAdd.disabled = false;
  if (S.cur !== cur) return;
  if (r.ok) {
    D.noteText.value = '';
    const note = r.data.note && typeof r.data.note === 'object'
      ? r.data.note
      : { id: null, author: { id: S.user.id, name: S.user.name }, text, created_at: new Date(nowMs()).toISOString() };
    addNote(cur, note);
    announce('Note added. Only staff see it.');
    D.noteText.focus();
    return;
  }
  if (r.status !== 401) showMsg(D.noteError, `Not added. ${errorText(r, 'Adding the note')}`);
}

// ------------------------------------------------------------------ triage feedback

const VERDICT_TEXT = { right: 'right', over_triaged: 'too high', under_triaged: 'too low' };
const URGENCY_ORDER = ['none', 'self_care', 'routine', 'urgent', 'emergency'];

// The form starts from this user's own verdict if there is one, else from what the assistant said.
function renderFeedback(cur, list) {
  const mine = list.find((f) => f && f.author && f.author.id === S.user.id);
  const said = cur.esc && URGENCY_ORDER.includes(cur.esc.urgency) ? cur.esc.urgency : 'urgent';
  for (const r of D.feedbackForm.querySelectorAll('input[name="feedback-verdict"]')) r.checked = mine ? r.value === mine.verdict : false;
  D.feedbackUrgency.value = mine ? mine.urgency : said;
  D.feedbackIntent.value = mine ? mine.intent : (cur.data?.triage?.intent?.intent || 'symptom_report');
  if (!URGENCY_ORDER.includes(D.feedbackUrgency.value)) D.feedbackUrgency.value = said;
  if (!D.feedbackIntent.value) D.feedbackIntent.value = 'symptom_report';
  D.feedbackCurrent.hidden = !mine;
  D.feedbackCurrent.textContent = mine ? `You said the urgency was ${VERDICT_TEXT[mine.verdict] || mine.verdict}.` : '';
  D.feedbackSend.disabled = !canAct();
  showMsg(D.feedbackError, '');
}

async function feedbackSubmit(e) {
  e.preventDefault();
  const cur = S.cur;
  if (!cur || !cur.loaded || !canAct() || D.feedbackSend.disabled) return;
  const chosen = D.feedbackForm.querySelector('input[name="feedback-verdict"]:checked');
  if (!chosen) { showMsg(D.feedbackError, 'Choose whether the urgency was right, too high or too low.'); return; }
  const said = URGENCY_ORDER.indexOf(cur.esc?.urgency);
  const meant = URGENCY_ORDER.indexOf(D.feedbackUrgency.value);
  // Say so before the server does: "right" keeps the urgency, "too high" is a lower one.
  if (said >= 0 && ((chosen.value === 'right' && meant !== said) || (chosen.value === 'over_triaged' && meant >= said) ||
      (chosen.value === 'under_triaged' && meant <= said))) {
    showMsg(D.feedbackError, `The assistant said ${cur.esc.urgency}: choose an urgency that matches your verdict.`);
    D.feedbackUrgency.focus();
    return;
  }
  D.feedbackSend.disabled = true;
  showMsg(D.feedbackError, '');
  const r = await api('POST', escPath(cur.id, '/feedback'),
    { verdict: chosen.value, urgency: D.feedbackUrgency.value, intent: D.feedbackIntent.value });
  D.feedbackSend.disabled = false;
  if (S.cur !== cur) return;
  if (r.ok) {
    const f = r.data.feedback || {};
    D.feedbackCurrent.hidden = false;
    D.feedbackCurrent.textContent = `You said the urgency was ${VERDICT_TEXT[f.verdict] || chosen.value}.` +
      (f.safety_review ? ' A safety review item was opened.' : '');
    announce(f.safety_review ? 'Verdict saved. A safety review item was opened.' : 'Verdict saved.');
    return;
  }
  if (r.status !== 401) showMsg(D.feedbackError, `Not saved. ${errorText(r, 'Saving the verdict')}`);
}

// ------------------------------------------------------------------ keyboard

function openHelp() {
  if (D.help.open) return;
  if (typeof D.help.showModal === 'function') D.help.showModal();
  else D.help.setAttribute('open', '');
}

function backToQueue() {
  const id = (S.cur && S.queue.has(S.cur.id)) ? S.cur.id : S.activeId;
  if (id && S.queue.has(id)) { setActive(id, true); return; }
  focusQueue();
}

function onGlobalKeydown(e) {
  if (!S.signedIn || D.console.hidden || D.help.open) return;
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
  const target = e.target;
  if (e.key === 'Escape') {
    if (target === D.replyText || target === D.noteText) {
      e.preventDefault();
      if (target === D.replyText) stopTyping(S.cur);
      D.detailTitle.focus();
      return;
    }
    if (isTypingTarget(target)) return;
    e.preventDefault();
    backToQueue();
    return;
  }
  if (isTypingTarget(target)) return;
  switch (e.key) {
    case '?':
      e.preventDefault();
      openHelp();
      break;
    case 'j':
      e.preventDefault();
      moveActive(1);
      break;
    case 'k':
      e.preventDefault();
      moveActive(-1);
      break;
    case 'c':
      e.preventDefault();
      if (!S.cur || !S.cur.loaded) announce('Open an escalation first.');
      else if (D.claim.hidden || D.claim.disabled) announce(D.claim.hidden ? 'Your role cannot claim escalations.' : `Cannot claim: ${D.claim.textContent}.`);
      else claim();
      break;
    case 'r':
      e.preventDefault();
      if (S.cur && S.cur.loaded && !D.composer.hidden) D.replyText.focus();
      else announce(S.cur && S.cur.loaded ? (D.composerHint.textContent || 'There is no reply box here.') : 'Open an escalation first.');
      break;
    default:
      break;
  }
}

// ------------------------------------------------------------------ wiring

function bindEvents() {
  D.signinForm.addEventListener('submit', submitSignIn);
  D.signinSso.addEventListener('click', () => { showMsg(D.signinError, 'Opening your organisation\'s sign-in page…', 'info'); });

  D.enableAlerts.addEventListener('click', enableAlerts);
  D.alertsBannerOn.addEventListener('click', enableAlerts);
  D.helpOpen.addEventListener('click', openHelp);
  D.signout.addEventListener('click', () => signOut(false));
  D.signoutEverywhere.addEventListener('click', () => signOut(true));

  D.queue.addEventListener('keydown', onQueueKeydown);
  D.queue.addEventListener('focus', (e) => {
    // The listbox itself only gets focus from script: hand it on to the active row.
    if (e.target === D.queue && S.activeId && S.queue.has(S.activeId)) setActive(S.activeId, true);
  });

  D.claim.addEventListener('click', claim);
  D.resolve.addEventListener('click', resolveCurrent);
  D.handback.addEventListener('click', handBackCurrent);
  D.resolveOutcome.addEventListener('change', () => showMsg(D.actionError, ''));
  D.openLinked.addEventListener('click', () => {
    const id = D.linked.dataset.id;
    if (!id) return;
    if (S.queue.has(id)) setActive(id, false);
    openEscalation(id, { focusDetail: true });
  });

  D.composer.addEventListener('submit', (e) => { e.preventDefault(); sendReply(); });
  D.replyText.addEventListener('keydown', onReplyKeydown);
  D.replyText.addEventListener('input', onReplyInput);
  D.replyText.addEventListener('blur', () => { saveDraft(); });
  D.canned.addEventListener('change', () => insertCanned('en'));
  D.cannedEn.addEventListener('click', () => insertCanned('en'));
  D.cannedEs.addEventListener('click', () => insertCanned('es'));

  D.noteForm.addEventListener('submit', addNoteSubmit);
  D.feedbackForm.addEventListener('submit', feedbackSubmit);

  document.addEventListener('keydown', onGlobalKeydown);
  // Any first gesture unlocks audio (the Enable alerts button also asks for notifications).
  const unlock = () => { if (S.signedIn) unlockAudio(); };
  document.addEventListener('pointerdown', unlock, { capture: true });
  document.addEventListener('keydown', unlock, { capture: true });

  window.addEventListener('online', wakeWs);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') { wakeWs(); if (S.signedIn) tick(); } });
  window.addEventListener('pagehide', () => { if (S.cur) stopTyping(S.cur); });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot, { once: true });
else boot();
