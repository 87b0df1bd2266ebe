/**
 * triage-chat — the patient chat widget (plain ES module, no dependencies, no build step).
 *
 * Talks to the triage server over the patient WebSocket protocol (docs/protocol.md, version 1).
 *
 * EMBEDDING
 *   Either as a custom element:
 *
 *     <link rel="stylesheet" href="/chat/chat.css">      <!-- optional: injected if missing -->
 *     <script type="module" src="/chat/chat.js"></script>
 *     <triage-chat clinic="demo" heading="Demo Family Clinic"></triage-chat>
 *
 *   or from a script, into any element you own:
 *
 *     import { init } from '/chat/chat.js';
 *     const chat = init(document.querySelector('#chat'), { clinic: 'demo' });
 *     // chat.restart(); chat.destroy();
 *
 *   The widget fills its container's height (give the element a height; the full-page chat at
 *   /chat/ uses the whole viewport). It is rendered in the light DOM with class names prefixed
 *   `tc-`, and can be themed with the CSS custom properties at the top of chat.css.
 *
 * OPTIONS (init) / ATTRIBUTES (<triage-chat>)
 *   clinic        / clinic         clinic slug; default: the page URL's ?clinic= parameter, else "demo"
 *   lang          / lang           "en" | "es"; default: last choice in this tab, else navigator.language
 *   heading       / heading        title shown in the header; default "Chat with the clinic" (translated)
 *   headingLevel  / heading-level  1–6, level of that title; default 2
 *   wsUrl         / ws-url         WebSocket URL; default ws(s)://<this host>/ws/patient?clinic=<slug>
 *   css           / no-css         set css:false / the no-css attribute to skip injecting chat.css
 *
 * BEHAVIOUR
 *   - Conversation token, chosen language and the outbox (messages not yet acknowledged) live in
 *     sessionStorage under "triage-chat:v1:<clinic>:*": a reload in the same tab resumes the
 *     conversation (resume with last_seq 0 replays the transcript) and resends unacked messages
 *     with their original ids. One widget per clinic per tab.
 *   - Returning contact: a random contact id (32 bytes from crypto.getRandomValues, base64url, 43
 *     characters) is created once and kept in localStorage under "triage-chat:v1:<clinic>:contact".
 *     It is sent as "contact" in every `start` so that the clinic can link a repeat contact from the
 *     same browser within a few days. It is not derived from anything about the patient and holds no
 *     personal data, but it does persist across tabs and visits (until site data is cleared) and is
 *     shared by everyone using the same browser profile. Without localStorage or crypto no id is sent;
 *     a server that rejects the field (unknown_field / invalid_message, field "contact") is sent
 *     `start` again without it.
 *   - Reconnects by itself with exponential backoff and jitter (0.5 s doubling to a 10 s cap).
 *   - Incoming transcript entries (bot, patient and staff) are deduplicated by seq and kept in seq
 *     order; messages that are not acknowledged yet stay at the end. System lines (staff joined /
 *     left, server notices) have no seq: they stay where they arrived, after the entries shown then.
 *   - While the patient types, `{"type":"typing"}` is sent at most once every 2 s (forwarded to staff).
 *   - Live takeover by clinic staff: staff_joined shows a line and a "You are chatting with …" banner
 *     (the banner is also restored by the next live staff message, e.g. after a reload); staff
 *     bubbles carry the person's name and role; typing frames with who:"staff" drive a separate
 *     "… is typing" line; staff_left ("The assistant is back.") and end remove the banner.
 *
 * TEST HOOKS (stable, used by tests/browser)
 *   root            [data-testid="triage-chat"][data-state="connecting|connected|reconnecting|closed"]
 *                   [data-ended="true"] once the conversation has ended
 *                   [data-staff="true"] while a member of staff is in the chat
 *   transcript      [data-testid="transcript"] (role="log", aria-live="polite")
 *   bot bubble      [data-testid="msg-bot"][data-seq] (+ [data-urgent="true"])
 *   patient bubble  [data-testid="msg-patient"][data-id][data-seq once acked]
 *                   [data-status="sending|sent|failed"]; [data-testid="sending-mark"] while sending,
 *                   [data-testid="retry"] when it could not be sent
 *   staff bubble    [data-testid="msg-staff"][data-seq][data-role] with [data-testid="staff-label"]
 *                   (name and role) above the text
 *   quick replies   [data-testid="quick-reply"][data-value]
 *   staff lines     (in the transcript, no data-seq)
 *                   [data-testid="staff-joined"][data-role]   "Ana (front desk) has joined the chat."
 *                   [data-testid="staff-left"][data-reason]   "The assistant is back."
 *                   [data-testid="notice"][data-code]         server notice (staff_alerted, still_waiting)
 *   staff banner    [data-testid="staff-banner"] below the header; present only while staff is in the chat
 *   staff typing    [data-testid="staff-typing"] ([hidden] when off)
 *   ended           [data-testid="ended"][data-reason] (reason of the end frame when known)
 *   others          typing (the assistant's), notice (the widget's own transient notice: no
 *                   data-code, outside the transcript), connection-status, start-again, chat-input,
 *                   send, lang-toggle (names the other language: "Español" / "English")
 */

const PROTOCOL_VERSION = 1;
const MAX_TEXT = 2000;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10000;
const RESEND_MAX_TRIES = 3;          // automatic resends after not_saved / rate_limited / unavailable
const ACK_WATCHDOG_MS = 10000;       // an unacked message this old makes us check the connection
const PING_TIMEOUT_MS = 5000;        // ... and no frame this long after our ping drops the socket
const HELLO_TIMEOUT_MS = 15000;      // no started/resumed this long after open drops the socket
const TYPING_THROTTLE_MS = 2000;     // patient typing frames: at most one per 2 s
const TYPING_SAFETY_MS = 20000;      // hide a typing indicator the server forgot to switch off
const NOTICE_MS = 10000;

const STRINGS = {
  en: {
    heading: 'Chat with the clinic',
    subtitle: 'Automated assistant',
    language: 'Language',
    languageName: 'English',
    transcript: 'Conversation',
    inputLabel: 'Type your message',
    placeholder: 'Type your message',
    send: 'Send',
    sending: 'Sending…',
    notSent: 'Not sent — tap to retry',
    notSentFinal: 'Not sent',
    typing: 'Assistant is typing…',
    connecting: 'Connecting…',
    reconnecting: 'Reconnecting…',
    ended: 'Conversation ended',
    startAgain: 'Start again',
    you: 'You:',
    bot: 'Assistant:',
    important: 'Important',
    callNow: (n) => `Call ${n} now`,
    quickReplies: 'Suggested replies',
    expired: 'Your earlier conversation has expired, so we started a new one.',
    langNext: 'The assistant will switch language when you start a new conversation.',
    dismiss: 'Dismiss',
    endedResolved: 'The clinic staff closed this chat. Take care.',
    roles: { front_desk: 'front desk', nurse: 'nurse', clinic_admin: 'clinic staff' },
    roleOther: 'clinic staff',
    someone: 'a member of the clinic staff',
    staffJoined: (who) => `${who} has joined the chat.`,
    staffBanner: (who) => `You are chatting with ${who}`,
    staffTyping: (name) => (name ? `${name} is typing…` : 'A member of staff is typing…'),
    staffBack: 'The assistant is back.',
    staffLeft: (who) => `${who} has left the chat.`,
  },
  es: {
    heading: 'Chat con la clínica',
    subtitle: 'Asistente automatizado',
    language: 'Idioma',
    languageName: 'Español',
    transcript: 'Conversación',
    inputLabel: 'Escriba su mensaje',
    placeholder: 'Escriba su mensaje',
    send: 'Enviar',
    sending: 'Enviando…',
    notSent: 'No enviado — toque para reintentar',
    notSentFinal: 'No enviado',
    typing: 'El asistente está escribiendo…',
    connecting: 'Conectando…',
    reconnecting: 'Reconectando…',
    ended: 'Conversación terminada',
    startAgain: 'Empezar de nuevo',
    you: 'Usted:',
    bot: 'Asistente:',
    important: 'Importante',
    callNow: (n) => `Llamar al ${n} ahora`,
    quickReplies: 'Respuestas sugeridas',
    expired: 'Su conversación anterior expiró, así que empezamos una nueva.',
    langNext: 'El asistente cambiará de idioma cuando empiece una conversación nueva.',
    dismiss: 'Cerrar',
    endedResolved: 'El personal de la clínica cerró este chat. Cuídese.',
    roles: { front_desk: 'recepción', nurse: 'enfermería', clinic_admin: 'personal de la clínica' },
    roleOther: 'personal de la clínica',
    someone: 'un miembro del personal de la clínica',
    staffJoined: (who) => `${who} se ha unido al chat.`,
    staffBanner: (who) => `Está chateando con ${who}`,
    staffTyping: (name) => (name ? `${name} está escribiendo…` : 'Un miembro del personal está escribiendo…'),
    staffBack: 'El asistente ha vuelto.',
    staffLeft: (who) => `${who} ha salido del chat.`,
  },
};

let instanceCounter = 0;

/** Mounts the chat into `element` (emptied first). Returns { restart(), destroy(), get state }. */
export function init(element, options = {}) {
  if (!(element instanceof Element)) throw new TypeError('init(element, options): element must be a DOM element');
  const chat = new TriageChat(element, options);
  return {
    restart: () => chat.restart(),
    destroy: () => chat.destroy(),
    get state() { return chat.root.dataset.state; },
  };
}

function normLang(value) {
  if (typeof value !== 'string') return null;
  const v = value.toLowerCase();
  if (v.startsWith('es')) return 'es';
  if (v.startsWith('en')) return 'en';
  return null;
}

function langFromNavigator() {
  const l = (typeof navigator !== 'undefined' && navigator.language) || 'en';
  return l.toLowerCase().startsWith('es') ? 'es' : 'en';
}

function defaultWsUrl(clinic) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws/patient?clinic=${encodeURIComponent(clinic)}`;
}

function newMessageId() {
  // Protocol: 1–64 characters of A-Z a-z 0-9 - _
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return `m-${crypto.randomUUID()}`;
  const bytes = new Uint8Array(16);
  if (typeof crypto !== 'undefined' && crypto.getRandomValues) crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return `m-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** sessionStorage with a prefix, falling back to memory when storage is unavailable. */
function makeStore(prefix) {
  const memory = new Map();
  let store = null;
  try {
    store = window.sessionStorage;
    const probe = `${prefix}probe`;
    store.setItem(probe, '1');
    store.removeItem(probe);
  } catch {
    store = null;
  }
  return {
    get(key) {
      try { return store ? store.getItem(prefix + key) : (memory.get(key) ?? null); } catch { return memory.get(key) ?? null; }
    },
    set(key, value) {
      memory.set(key, value);
      try { if (store) store.setItem(prefix + key, value); } catch { /* quota or disabled: memory copy is kept */ }
    },
    remove(key) {
      memory.delete(key);
      try { if (store) store.removeItem(prefix + key); } catch { /* ignore */ }
    },
  };
}

const CONTACT_RE = /^[A-Za-z0-9_-]{43}$/;   // 32 bytes, base64url without padding

function base64url(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The returning-contact id of this browser for `clinic` (see BEHAVIOUR), created on first use.
 * null when it cannot be kept (no localStorage, e.g. blocked or sandboxed) or no secure random source:
 * an id that is not kept would link nothing, and a guessable one must not be made up.
 */
function contactId(clinic) {
  const key = `triage-chat:v1:${clinic}:contact`;
  try {
    const storage = window.localStorage;
    if (!storage) return null;
    const existing = storage.getItem(key);
    if (existing && CONTACT_RE.test(existing)) return existing;
    if (typeof crypto === 'undefined' || typeof crypto.getRandomValues !== 'function') return null;
    const id = base64url(crypto.getRandomValues(new Uint8Array(32)));
    storage.setItem(key, id);
    return storage.getItem(key) === id ? id : null;
  } catch {
    return null;   // SecurityError (storage blocked) or quota
  }
}

/** A staff member's name from a server frame: a trimmed string or '' (shown with textContent only). */
function cleanName(value) {
  return typeof value === 'string' ? value.trim().slice(0, 80) : '';
}

function staffOf(msg) {
  return { name: cleanName(msg.name), role: typeof msg.role === 'string' ? msg.role : '' };
}

function capitalise(text) {
  return text ? text.charAt(0).toLocaleUpperCase() + text.slice(1) : text;
}

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function ensureStylesheet() {
  const href = new URL('./chat.css', import.meta.url).href;
  for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
    if (link.href === href) return;
  }
  document.head.append(el('link', { rel: 'stylesheet', href, 'data-triage-chat-css': true }));
}

class TriageChat {
  constructor(host, opts) {
    this.host = host;
    const params = new URLSearchParams(location.search);
    this.clinic = opts.clinic || params.get('clinic') || 'demo';
    this.wsUrl = opts.wsUrl || defaultWsUrl(this.clinic);
    this.customHeading = opts.heading || null;
    const level = Number.parseInt(opts.headingLevel, 10);
    this.headingLevel = level >= 1 && level <= 6 ? level : 2;
    this.store = makeStore(`triage-chat:v1:${this.clinic}:`);
    this.lang = normLang(opts.lang) || normLang(this.store.get('lang')) || langFromNavigator();
    this.token = this.store.get('token');
    this.outbox = this.loadOutbox();

    this.ws = null;
    this.ready = false;          // the connection has a conversation (started / resumed)
    this.everReady = false;
    this.ended = false;
    this.destroyed = false;
    this.attempt = 0;
    this.reconnectTimer = null;
    this.connectingTimer = null;
    this.openedAt = 0;
    this.lastFrameAt = 0;
    this.pingSentAt = 0;
    this.lastTypingSent = 0;
    this.seqEls = new Map();     // seq -> bubble
    this.idEls = new Map();      // client message id -> patient bubble
    this.maxSeq = 0;
    this.resendTimers = new Map();
    this.tries = new Map();
    this.qrOwner = null;
    this.typingTimer = null;
    this.noticeTimer = null;
    this.endedTimer = null;
    this.staff = null;           // { name, role } while a member of staff is in the chat
    this.staffName = '';         // last known staff name (for "… is typing")
    this.staffTypingTimer = null;
    this.bannerEl = null;
    this.replayUntil = 0;        // entries with seq <= this, after `resumed`, are replayed (not live)
    this.contactRefused = false; // the server rejected the `contact` field of start
    this.endReason = this.token ? this.store.get('end_reason') : null;

    if (opts.css !== false) ensureStylesheet();
    this.build();
    for (const item of this.outbox) this.renderPatient({ id: item.id, text: item.label || item.text, status: item.failed ? 'failed' : 'sending' });
    this.setState('connecting');

    this.onOnline = () => this.wake(true);
    this.onVisible = () => { if (document.visibilityState === 'visible') this.wake(false); };
    window.addEventListener('online', this.onOnline);
    window.addEventListener('pageshow', this.onVisible);
    document.addEventListener('visibilitychange', this.onVisible);
    this.watchdog = setInterval(() => this.checkConnection(), 2500);

    this.connect();
  }

  get t() { return STRINGS[this.lang] || STRINGS.en; }

  // ---------------------------------------------------------------- DOM

  build() {
    const n = ++instanceCounter;
    const inputId = `tc-input-${n}`;
    this.host.replaceChildren();

    this.headingEl = el(`h${this.headingLevel}`, { className: 'tc-heading', id: `tc-heading-${n}` });
    this.subtitleEl = el('p', { className: 'tc-subtitle' });
    // One toggle button naming the other language (in that language): compact enough for 320 px.
    this.langBtn = el('button', { type: 'button', className: 'tc-lang-btn', 'data-testid': 'lang-toggle' });
    this.langBtn.addEventListener('click', () => this.chooseLang(this.lang === 'es' ? 'en' : 'es'));
    const icon = el('span', { className: 'tc-avatar', 'aria-hidden': 'true' });
    icon.innerHTML = '<svg viewBox="0 0 24 24" width="20" height="20" focusable="false"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-4.5 3.6A.9.9 0 0 1 3 20.9V6a2 2 0 0 1 1-2Zm3 6.5a1.25 1.25 0 1 0 0 .01Zm5 0a1.25 1.25 0 1 0 0 .01Zm5 0a1.25 1.25 0 1 0 0 .01Z"/></svg>';
    const header = this.headerEl = el('header', { className: 'tc-header' }, [
      el('div', { className: 'tc-title' }, [icon, el('div', {}, [this.headingEl, this.subtitleEl])]),
      this.langBtn,
    ]);

    this.statusEl = el('p', { className: 'tc-status', role: 'status', 'data-testid': 'connection-status' });
    this.logEl = el('div', {
      className: 'tc-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
      tabindex: '0', 'data-testid': 'transcript',
    });
    this.typingEl = el('p', { className: 'tc-typing', 'data-testid': 'typing', hidden: true });
    this.typingText = el('span');
    this.typingEl.append(el('span', { className: 'tc-dots', 'aria-hidden': 'true' }, [el('span'), el('span'), el('span')]), this.typingText);
    this.staffTypingEl = el('p', { className: 'tc-typing tc-typing--staff', 'data-testid': 'staff-typing', hidden: true });
    this.staffTypingText = el('span');
    this.staffTypingEl.append(el('span', { className: 'tc-dots', 'aria-hidden': 'true' }, [el('span'), el('span'), el('span')]), this.staffTypingText);

    this.noticeText = el('span', { className: 'tc-notice-text' });
    this.noticeAction = el('button', { type: 'button', className: 'tc-linkbtn', hidden: true });
    this.noticeEl = el('div', { className: 'tc-notice', role: 'status', 'data-testid': 'notice', hidden: true }, [this.noticeText, this.noticeAction]);

    this.endedText = el('p', { className: 'tc-ended-text' });
    this.startAgainBtn = el('button', { type: 'button', className: 'tc-btn', 'data-testid': 'start-again' });
    this.startAgainBtn.addEventListener('click', () => this.restart(true));
    this.endedEl = el('div', { className: 'tc-ended', 'data-testid': 'ended', hidden: true }, [this.endedText, this.startAgainBtn]);

    this.qrEl = el('div', { className: 'tc-qr', role: 'group', 'data-testid': 'quick-replies', hidden: true });

    this.labelEl = el('label', { className: 'tc-sr', for: inputId });
    this.inputEl = el('textarea', {
      id: inputId, className: 'tc-input', rows: '1', maxlength: String(MAX_TEXT), autocomplete: 'off',
      enterkeyhint: 'send', 'data-testid': 'chat-input',
    });
    this.sendBtn = el('button', { type: 'submit', className: 'tc-btn tc-send', 'data-testid': 'send' });
    this.formEl = el('form', { className: 'tc-form', 'data-testid': 'composer' }, [this.labelEl, this.inputEl, this.sendBtn]);
    this.formEl.addEventListener('submit', (e) => { e.preventDefault(); this.submitInput(); });
    this.inputEl.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this.submitInput();
      }
    });
    this.inputEl.addEventListener('input', () => { this.autosize(); this.sendTyping(); });

    this.root = el('section', { className: 'tc', 'data-testid': 'triage-chat', 'aria-labelledby': this.headingEl.id },
      [header, this.statusEl, this.logEl, this.typingEl, this.staffTypingEl, this.noticeEl, this.endedEl, this.qrEl, this.formEl]);
    this.host.append(this.root);
    this.applyStrings();

    // Keep the latest message in view when the widget is resized (rotation, on-screen keyboard).
    this.stickBottom = true;
    this.logEl.addEventListener('scroll', () => { this.stickBottom = this.nearBottom(); }, { passive: true });
    if (typeof ResizeObserver === 'function') {
      this.resizeObserver = new ResizeObserver(() => { if (this.stickBottom) this.scrollToBottom(); });
      this.resizeObserver.observe(this.logEl);
    }
  }

  applyStrings() {
    const t = this.t;
    this.root.setAttribute('lang', this.lang);
    this.headingEl.textContent = this.customHeading || t.heading;
    this.subtitleEl.textContent = t.subtitle;
    const other = this.lang === 'es' ? 'en' : 'es';
    this.langBtn.textContent = STRINGS[other].languageName;
    this.langBtn.setAttribute('lang', other);
    this.langBtn.title = `${t.language}: ${STRINGS[other].languageName}`;
    this.logEl.setAttribute('aria-label', t.transcript);
    this.typingText.textContent = t.typing;
    this.staffTypingText.textContent = t.staffTyping(this.staffTypingName());
    this.noticeAction.textContent = this.noticeAction.dataset.kind === 'restart' ? t.startAgain : t.dismiss;
    this.renderEnded();
    this.startAgainBtn.textContent = t.startAgain;
    this.qrEl.setAttribute('aria-label', t.quickReplies);
    this.labelEl.textContent = t.inputLabel;
    this.inputEl.placeholder = t.placeholder;
    this.sendBtn.textContent = t.send;
    for (const b of this.logEl.querySelectorAll('.tc-msg--patient')) this.renderPatientMeta(b);
    for (const s of this.logEl.querySelectorAll('.tc-who')) s.textContent = s.dataset.who === 'bot' ? t.bot : t.you;
    for (const s of this.logEl.querySelectorAll('.tc-urgent-label span')) s.textContent = t.important;
    for (const a of this.logEl.querySelectorAll('.tc-call')) a.textContent = t.callNow(a.dataset.number);
    for (const b of this.logEl.querySelectorAll('.tc-msg--staff')) this.renderStaffLabel(b);
    for (const l of this.logEl.querySelectorAll('.tc-sys')) this.renderSystemLine(l);
    this.renderBanner();
    this.renderStatus();
  }

  autosize() {
    this.inputEl.style.height = 'auto';
    this.inputEl.style.height = `${Math.min(this.inputEl.scrollHeight + 2, 160)}px`;
  }

  nearBottom() {
    const l = this.logEl;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 80;
  }

  scrollToBottom() {
    this.logEl.scrollTop = this.logEl.scrollHeight;
  }

  setState(state) {
    this.root.dataset.state = state;
    this.renderStatus();
  }

  renderStatus() {
    const state = this.root.dataset.state;
    clearTimeout(this.connectingTimer);
    let text = '';
    if (state === 'reconnecting') text = this.t.reconnecting;
    if (state === 'connecting') {
      // Show "Connecting…" only if it takes a moment: no flash on a normal load.
      this.connectingTimer = setTimeout(() => {
        if (this.root.dataset.state === 'connecting') { this.statusEl.textContent = this.t.connecting; this.statusEl.classList.add('tc-status--on'); }
      }, 1000);
    }
    this.statusEl.textContent = text;
    this.statusEl.classList.toggle('tc-status--on', Boolean(text));
  }

  /** Inserts a bubble that has a seq at its place in seq order (unacked messages stay last). */
  placeBySeq(node, seq) {
    const log = this.logEl;
    let ref = log.lastElementChild;
    while (ref) {
      if (ref === node) { ref = ref.previousElementSibling; continue; }
      const pending = ref.classList.contains('tc-msg--patient') && !ref.dataset.seq;
      // A system line (no seq) sits between the entry it followed (data-after) and the next one.
      let s = null;
      if (ref.dataset.seq) s = Number(ref.dataset.seq);
      else if (ref.dataset.after) s = Number(ref.dataset.after) + 0.5;
      if (pending || (s !== null && s > seq)) { ref = ref.previousElementSibling; continue; }
      break;
    }
    const before = ref ? ref.nextElementSibling : log.firstElementChild;
    if (before === node) return;                 // already in place: do not move (keeps live region calm)
    if (ref === null) log.prepend(node);
    else ref.after(node);
  }

  assignSeq(node, seq) {
    if (!Number.isInteger(seq) || seq < 1) return;
    node.dataset.seq = String(seq);
    this.seqEls.set(seq, node);
    if (seq > this.maxSeq) this.maxSeq = seq;
  }

  /** The tap-to-call button of an emergency instruction: first in the card, large, a real tel: link. */
  callButton(number) {
    const digits = String(number).replace(/[^0-9+]/g, '');
    if (!digits) return null;
    return el('a', { className: 'tc-call', href: `tel:${digits}`, 'data-testid': 'call-emergency', 'data-number': number, text: this.t.callNow(number) });
  }

  renderBot({ seq, text, quickReplies, urgent, call }) {
    const t = this.t;
    const node = el('div', {
      className: `tc-msg tc-msg--bot${urgent ? ' tc-msg--urgent' : ''}`,
      'data-testid': 'msg-bot', role: urgent ? 'alert' : null, 'data-urgent': urgent ? 'true' : null,
    });
    node.append(el('span', { className: 'tc-sr tc-who', 'data-who': 'bot', text: t.bot }));
    if (urgent) {
      const label = el('p', { className: 'tc-urgent-label' });
      label.innerHTML = '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 2 1 21h22L12 2Zm1 15h-2v-2h2v2Zm0-4h-2V9h2v4Z"/></svg>';
      label.append(el('span', { text: t.important }));
      node.append(label);
      const button = typeof call === 'string' ? this.callButton(call) : null;
      if (button) node.append(button);
    }
    node.append(el('p', { className: 'tc-text', text }));
    node._qr = Array.isArray(quickReplies) ? quickReplies.filter((q) => q && typeof q.value === 'string') : [];
    if (Number.isInteger(seq)) {
      this.assignSeq(node, seq);
      this.placeBySeq(node, seq);
    } else {
      // No seq (an emergency instruction sent before it is stored): show it now, just before any unsent messages.
      this.insertBeforePending(node);
    }
    return node;
  }

  /** Appends `node` to the transcript, but before any patient message that is not acknowledged yet. */
  insertBeforePending(node) {
    const firstPending = [...this.logEl.children].find((c) => c.classList.contains('tc-msg--patient') && !c.dataset.seq);
    if (firstPending) firstPending.before(node); else this.logEl.append(node);
  }

  // ---------------------------------------------------------------- staff takeover (DOM)

  roleLabel(role) {
    const roles = this.t.roles;
    return Object.prototype.hasOwnProperty.call(roles, role) ? roles[role] : this.t.roleOther;
  }

  /** "Ana (front desk)", or "a member of the clinic staff" without a name. */
  staffWho(staff) {
    if (!staff || !staff.name) return this.t.someone;
    return `${staff.name} (${this.roleLabel(staff.role)})`;
  }

  staffTypingName() {
    return (this.staff && this.staff.name) || this.staffName || '';
  }

  renderStaff({ seq, text, staff }) {
    const node = el('div', { className: 'tc-msg tc-msg--staff', 'data-testid': 'msg-staff', 'data-role': staff.role || null });
    node._staff = staff;
    node.append(el('p', { className: 'tc-staff-label', 'data-testid': 'staff-label' }), el('p', { className: 'tc-text', text }));
    this.renderStaffLabel(node);
    if (Number.isInteger(seq)) {
      this.assignSeq(node, seq);
      this.placeBySeq(node, seq);
    } else {
      this.insertBeforePending(node);
    }
    return node;
  }

  /** Name and role above a staff bubble (re-rendered when the language changes). */
  renderStaffLabel(node) {
    const label = node.querySelector('.tc-staff-label');
    const { name, role } = node._staff || {};
    const roleText = this.roleLabel(role);
    const parts = name
      ? [el('span', { className: 'tc-staff-name', text: name }), el('span', { className: 'tc-staff-role', text: roleText })]
      : [el('span', { className: 'tc-staff-name', text: capitalise(roleText) })];
    parts.push(el('span', { className: 'tc-sr', text: ':' }));
    label.replaceChildren(...parts);
  }

  /**
   * A system line in the transcript (no seq): kind is "staff-joined", "staff-left" or "notice".
   * Anchored after the highest seq shown when it arrived, before any unacknowledged patient message.
   */
  addSystemLine(kind, data, attrs = {}) {
    const node = el('p', { className: `tc-sys tc-sys--${kind}`, 'data-testid': kind, ...attrs });
    node._sys = { kind, ...data };
    node.dataset.after = String(this.maxSeq);
    this.renderSystemLine(node);
    const wasBottom = this.nearBottom();
    this.insertBeforePending(node);
    if (wasBottom) this.scrollToBottom();
    return node;
  }

  renderSystemLine(node) {
    const d = node._sys;
    if (!d) return;
    const t = this.t;
    let text = '';
    if (d.kind === 'staff-joined') text = t.staffJoined(capitalise(this.staffWho(d.staff)));
    else if (d.kind === 'staff-left') text = !d.reason || d.reason === 'handed_back' ? t.staffBack : t.staffLeft(capitalise(this.staffWho(d.staff)));
    else text = d.text;   // a notice: the server's own (already localised) words
    node.textContent = text;
  }

  /** The "You are chatting with …" line under the header: present only while staff is in the chat. */
  renderBanner() {
    if (!this.staff) {
      if (this.bannerEl) { this.bannerEl.remove(); this.bannerEl = null; }
      delete this.root.dataset.staff;
      this.subtitleEl.hidden = false;
      return;
    }
    if (!this.bannerEl) {
      this.bannerEl = el('p', { className: 'tc-staff-banner', 'data-testid': 'staff-banner' });
      this.headerEl.after(this.bannerEl);
    }
    this.bannerEl.textContent = this.t.staffBanner(this.staffWho(this.staff));
    this.root.dataset.staff = 'true';
    this.subtitleEl.hidden = true;   // "Automated assistant" is not who is answering now
  }

  setStaff(staff) {
    this.staff = staff;
    if (staff && staff.name) this.staffName = staff.name;
    this.renderBanner();
    if (!this.staffTypingEl.hidden) this.staffTypingText.textContent = this.t.staffTyping(this.staffTypingName());
  }

  showStaffTyping(on) {
    clearTimeout(this.staffTypingTimer);
    const wasBottom = this.nearBottom();
    this.staffTypingEl.hidden = !on || this.ended;
    if (on) {
      this.staffTypingText.textContent = this.t.staffTyping(this.staffTypingName());
      this.staffTypingTimer = setTimeout(() => { this.staffTypingEl.hidden = true; }, TYPING_SAFETY_MS);
    }
    if (wasBottom) this.scrollToBottom();
  }

  renderPatient({ id, text, status, seq }) {
    const node = el('div', { className: 'tc-msg tc-msg--patient', 'data-testid': 'msg-patient', 'data-id': id || null });
    node.append(el('span', { className: 'tc-sr tc-who', 'data-who': 'patient', text: this.t.you }));
    node.append(el('p', { className: 'tc-text', text }));
    node.append(el('span', { className: 'tc-meta' }));
    node.dataset.status = status;
    if (id) this.idEls.set(id, node);
    if (Number.isInteger(seq)) {
      this.assignSeq(node, seq);
      this.placeBySeq(node, seq);
    } else {
      this.logEl.append(node);
    }
    this.renderPatientMeta(node);
    return node;
  }

  renderPatientMeta(node) {
    const meta = node.querySelector('.tc-meta');
    if (!meta) return;
    const status = node.dataset.status;
    meta.replaceChildren();
    if (status === 'sending') {
      meta.append(el('span', { 'data-testid': 'sending-mark', text: this.t.sending }));
    } else if (status === 'failed') {
      if (this.ended) {
        meta.append(el('span', { 'data-testid': 'not-sent', text: this.t.notSentFinal }));
      } else {
        const b = el('button', { type: 'button', className: 'tc-retry', 'data-testid': 'retry', text: this.t.notSent });
        b.addEventListener('click', () => this.retry(node.dataset.id));
        meta.append(b);
      }
    }
    meta.hidden = status === 'sent';
  }

  setPatientStatus(node, status) {
    if (!node || node.dataset.status === status) return;
    node.dataset.status = status;
    this.renderPatientMeta(node);
  }

  /** Quick replies of the latest bot turn (the trailing run of bot messages), unless the patient answered. */
  updateQuickReplies() {
    let owner = null;
    if (!this.ended) {
      for (let c = this.logEl.lastElementChild; c; c = c.previousElementSibling) {
        if (c.classList.contains('tc-msg--patient') || c.classList.contains('tc-msg--staff')
          || c.classList.contains('tc-sys--staff-joined')) break;   // staff answered / took over: stale
        if (c._qr && c._qr.length) { owner = c; break; }
      }
    }
    if (owner === this.qrOwner) return;
    const hadFocus = this.qrEl.contains(document.activeElement);
    this.qrOwner = owner;
    this.qrEl.replaceChildren();
    this.qrEl.hidden = !owner;
    if (!owner) {
      // The focused quick reply is gone: park focus on the transcript (next Tab reaches the next quick
      // replies or the input) without opening the on-screen keyboard.
      if (hadFocus) this.logEl.focus({ preventScroll: true });
      return;
    }
    for (const q of owner._qr) {
      const label = typeof q.label === 'string' && q.label ? q.label : q.value;
      const b = el('button', { type: 'button', className: 'tc-qr-btn', 'data-testid': 'quick-reply', 'data-value': q.value, text: label });
      b.addEventListener('click', (e) => {
        this.sendText(q.value, label);
        // Keyboard activation: keep the keyboard user in the composer rather than on <body>.
        if (e.detail === 0) this.inputEl.focus();
      });
      this.qrEl.append(b);
    }
  }

  /** For replayed patient entries: a quick-reply value is shown with the label the patient tapped. */
  labelForReplay(text, seq) {
    for (const [s, node] of [...this.seqEls.entries()].sort((a, b) => b[0] - a[0])) {
      if (s >= seq) continue;
      if (!node.classList.contains('tc-msg--bot')) return text;
      const hit = (node._qr || []).find((q) => q.value === text);
      if (hit && hit.label) return hit.label;
    }
    return text;
  }

  showTyping(on) {
    clearTimeout(this.typingTimer);
    const wasBottom = this.nearBottom();
    this.typingEl.hidden = !on || this.ended;
    if (on) this.typingTimer = setTimeout(() => { this.typingEl.hidden = true; }, TYPING_SAFETY_MS);
    if (wasBottom) this.scrollToBottom();
  }

  showNotice(text, { action = null, persist = false } = {}) {
    clearTimeout(this.noticeTimer);
    if (!text) { this.noticeEl.hidden = true; return; }
    this.noticeText.textContent = text;
    this.noticeAction.hidden = !action;
    this.noticeAction.dataset.kind = action || '';
    this.noticeAction.textContent = action === 'restart' ? this.t.startAgain : this.t.dismiss;
    this.noticeAction.onclick = action === 'restart' ? () => this.restart(true) : () => this.showNotice(null);
    this.noticeEl.hidden = false;
    if (!persist && !action) this.noticeTimer = setTimeout(() => { this.noticeEl.hidden = true; }, NOTICE_MS);
  }

  clearTranscript() {
    this.logEl.replaceChildren();
    this.seqEls.clear();
    this.idEls.clear();
    this.maxSeq = 0;
    this.qrOwner = null;
    this.updateQuickReplies();
    this.qrEl.hidden = true;
    this.qrEl.replaceChildren();
    this.showTyping(false);
    this.showStaffTyping(false);
    this.setStaff(null);
    this.staffName = '';
    this.replayUntil = 0;
  }

  /** reason: the end frame's reason; undefined keeps the one known (e.g. after a reload). */
  setEnded(on, reason) {
    this.ended = on;
    if (!on) this.setEndReason(null);
    else if (reason !== undefined) this.setEndReason(reason);
    this.renderEnded();
    if (on) this.root.dataset.ended = 'true'; else delete this.root.dataset.ended;
    const focusWasInComposer = this.formEl.contains(document.activeElement) || this.qrEl.contains(document.activeElement);
    this.endedEl.hidden = !on;
    this.formEl.hidden = on;
    this.showTyping(false);
    this.showStaffTyping(false);
    if (on) this.setStaff(null);
    this.updateQuickReplies();
    clearTimeout(this.endedTimer);
    if (on) {
      if (focusWasInComposer) this.startAgainBtn.focus();
      // Messages still unacknowledged once the replay is over cannot be delivered any more.
      this.endedTimer = setTimeout(() => {
        for (const item of [...this.outbox]) {
          this.dropFromOutbox(item.id);
          this.setPatientStatus(this.idEls.get(item.id), 'failed');
        }
      }, 1500);
      this.scrollToBottom();
    }
  }

  setEndReason(reason) {
    this.endReason = typeof reason === 'string' && reason ? reason.slice(0, 64) : null;
    if (this.endReason) this.store.set('end_reason', this.endReason); else this.store.remove('end_reason');
  }

  renderEnded() {
    this.endedText.textContent = this.endReason === 'resolved' ? this.t.endedResolved : this.t.ended;
    if (this.endReason) this.endedEl.dataset.reason = this.endReason; else delete this.endedEl.dataset.reason;
  }

  // ---------------------------------------------------------------- outbox

  loadOutbox() {
    try {
      const list = JSON.parse(this.store.get('outbox') || '[]');
      return Array.isArray(list)
        ? list.filter((m) => m && typeof m.id === 'string' && typeof m.text === 'string')
          .map((m) => ({ id: m.id, text: m.text, label: typeof m.label === 'string' ? m.label : null, failed: Boolean(m.failed) }))
        : [];
    } catch {
      return [];
    }
  }

  saveOutbox() {
    if (this.outbox.length) {
      this.store.set('outbox', JSON.stringify(this.outbox.map(({ id, text, label, failed }) => ({ id, text, label, failed }))));
    } else {
      this.store.remove('outbox');
    }
  }

  findOutbox(id) { return this.outbox.find((m) => m.id === id) || null; }

  dropFromOutbox(id) {
    clearTimeout(this.resendTimers.get(id));
    this.resendTimers.delete(id);
    this.tries.delete(id);
    const before = this.outbox.length;
    this.outbox = this.outbox.filter((m) => m.id !== id);
    if (this.outbox.length !== before) this.saveOutbox();
  }

  submitInput() {
    const text = this.inputEl.value.trim();
    if (!text) { this.inputEl.focus(); return; }
    this.inputEl.value = '';
    this.autosize();
    this.sendText(text.slice(0, MAX_TEXT), null);
  }

  sendText(text, label) {
    if (this.ended || !text) return;
    const item = { id: newMessageId(), text, label: label || null, failed: false };
    this.outbox.push(item);
    this.saveOutbox();
    this.renderPatient({ id: item.id, text: label || text, status: 'sending' });
    this.updateQuickReplies();
    this.scrollToBottom();
    if (this.ready) this.transmit(item);
    else if (!this.ws) this.wake(true);
  }

  transmit(item) {
    if (!this.ready || item.failed) return;
    if (this.sendFrame({ type: 'message', id: item.id, text: item.text })) item.sentAt = Date.now();
  }

  flushOutbox() {
    for (const item of this.outbox) if (!item.failed) this.transmit(item);
  }

  retry(id) {
    const item = this.findOutbox(id);
    const node = this.idEls.get(id);
    if (!item || !node || this.ended) return;
    item.failed = false;
    this.tries.delete(id);
    this.saveOutbox();
    this.setPatientStatus(node, 'sending');
    if (this.ready) this.transmit(item); else this.wake(true);
  }

  scheduleResend(item, code) {
    item.sentAt = 0;
    const n = (this.tries.get(item.id) || 0) + 1;
    this.tries.set(item.id, n);
    if (n > RESEND_MAX_TRIES) { this.markFailed(item); return; }
    const base = code === 'rate_limited' ? 1500 : 1000;
    const delay = base * 2 ** (n - 1) * (0.75 + Math.random() * 0.5);
    clearTimeout(this.resendTimers.get(item.id));
    this.resendTimers.set(item.id, setTimeout(() => {
      this.resendTimers.delete(item.id);
      if (this.findOutbox(item.id) === item) this.transmit(item);
    }, delay));
  }

  markFailed(item) {
    item.failed = true;
    item.sentAt = 0;
    this.saveOutbox();
    this.setPatientStatus(this.idEls.get(item.id), 'failed');
  }

  // ---------------------------------------------------------------- connection

  connect() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.ws || this.destroyed) return;
    let ws;
    try {
      ws = new WebSocket(this.wsUrl);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.ready = false;
    this.openedAt = 0;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.openedAt = Date.now();
      this.lastFrameAt = this.openedAt;
      this.pingSentAt = 0;
      if (this.token) this.sendFrame({ type: 'resume', v: PROTOCOL_VERSION, token: this.token, last_seq: this.maxSeq });
      else this.sendFrame(this.startFrame());
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      this.pingSentAt = 0;
      if (typeof ev.data !== 'string') return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (msg && typeof msg === 'object') this.onFrame(msg);
    };
    ws.onclose = () => { if (this.ws === ws) this.onDrop(); };
    ws.onerror = () => { /* a close event follows */ };
  }

  // The browser's time zone, so appointment times read on the patient's own clock, and the
  // returning-contact id (see BEHAVIOUR).
  startFrame() {
    const frame = { type: 'start', v: PROTOCOL_VERSION, lang: this.lang };
    // Picked with the language button: what the patient writes does not switch it.
    if (normLang(this.store.get('lang')) === this.lang) frame.lang_chosen = true;
    try {
      const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (tz) frame.time_zone = tz;
    } catch { /* no Intl time zone: the clinic's zone is used */ }
    if (!this.contactRefused) {
      const contact = contactId(this.clinic);
      if (contact) frame.contact = contact;
    }
    return frame;
  }

  sendFrame(obj) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    try { this.ws.send(JSON.stringify(obj)); return true; } catch { return false; }
  }

  /** Forget the current socket now (without waiting for a close handshake on a dead link). */
  detachSocket() {
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(1000); } catch { /* ignore */ }
  }

  onDrop() {
    this.detachSocket();
    for (const t of this.resendTimers.values()) clearTimeout(t);
    this.resendTimers.clear();
    for (const item of this.outbox) item.sentAt = 0;
    this.showTyping(false);
    this.showStaffTyping(false);
    if (this.destroyed) return;
    if (this.ended && !this.outbox.length) { this.setState('closed'); return; }
    this.setState(this.everReady ? 'reconnecting' : 'connecting');
    this.scheduleReconnect();
  }

  forceDrop() {
    if (!this.ws) return;
    this.onDrop();
  }

  scheduleReconnect() {
    if (this.reconnectTimer || this.destroyed) return;
    const cap = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.attempt);
    const delay = cap / 2 + Math.random() * (cap / 2);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => { this.reconnectTimer = null; this.connect(); }, delay);
  }

  /** The network is back / the tab is visible again / the patient wants to send: try now. */
  wake(resetBackoff) {
    if (this.destroyed) return;
    if (this.ws) {
      if (this.ready && !this.pingSentAt && this.sendFrame({ type: 'ping' })) this.pingSentAt = Date.now();
      return;
    }
    if (this.ended && !this.outbox.length) return;
    if (resetBackoff) this.attempt = 0;
    this.connect();
  }

  checkConnection() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const now = Date.now();
    if (!this.ready) {
      if (this.openedAt && now - this.openedAt > HELLO_TIMEOUT_MS) this.forceDrop();
      return;
    }
    if (this.pingSentAt) {
      if (now - this.pingSentAt > PING_TIMEOUT_MS && this.lastFrameAt < this.pingSentAt) this.forceDrop();
      return;
    }
    const waiting = this.outbox.some((m) => m.sentAt && now - m.sentAt > ACK_WATCHDOG_MS);
    if (waiting && now - this.lastFrameAt > ACK_WATCHDOG_MS && this.sendFrame({ type: 'ping' })) this.pingSentAt = now;
  }

  sendTyping() {
    const now = Date.now();
    if (!this.ready || this.ended || now - this.lastTypingSent < TYPING_THROTTLE_MS) return;
    if (this.sendFrame({ type: 'typing' })) this.lastTypingSent = now;
  }

  // ---------------------------------------------------------------- frames

  onFrame(msg) {
    switch (msg.type) {
      case 'started': return this.onStarted(msg);
      case 'resumed': return this.onResumed(msg);
      case 'ack': return this.onAck(msg);
      case 'patient': return this.onPatient(msg);
      case 'bot': return this.onBot(msg);
      case 'typing': return msg.who === 'staff' ? this.showStaffTyping(msg.on === true) : this.showTyping(msg.on === true);
      case 'language': return this.onLanguage(msg);
      case 'error': return this.onError(msg);
      case 'end': return this.setEnded(true, typeof msg.reason === 'string' ? msg.reason : null);
      case 'staff_joined': return this.onStaffJoined(msg);
      case 'staff': return this.onStaff(msg);
      case 'staff_left': return this.onStaffLeft(msg);
      case 'notice': return this.onNotice(msg);
      default: return undefined; // pong and anything newer
    }
  }

  becameReady(lang) {
    this.ready = true;
    this.everReady = true;
    this.attempt = 0;
    const l = normLang(lang);
    if (l && l !== this.lang) { this.lang = l; this.applyStrings(); }
    this.setState('connected');
  }

  /** The conversation switched language because of what the patient wrote: follow it. */
  onLanguage(msg) {
    const l = normLang(msg.lang);
    if (l && l !== this.lang) { this.lang = l; this.applyStrings(); }
  }

  onStarted(msg) {
    this.replayUntil = 0;        // a new conversation: nothing is replayed
    if (typeof msg.token === 'string' && msg.token) {
      this.token = msg.token;
      this.store.set('token', msg.token);
    }
    this.becameReady(msg.lang);
    this.setEnded(false);
    this.flushOutbox();
  }

  onResumed(msg) {
    this.replayUntil = Number.isInteger(msg.last_seq) ? msg.last_seq : this.maxSeq;
    this.becameReady(msg.lang);
    if (msg.ended === true) {
      this.setEnded(true);
    } else {
      if (this.ended) this.setEnded(false);
      this.flushOutbox();
    }
  }

  onAck(msg) {
    if (typeof msg.id !== 'string') return;
    const item = this.findOutbox(msg.id);
    this.dropFromOutbox(msg.id);
    const node = this.idEls.get(msg.id);
    if (!node) return;
    if (Number.isInteger(msg.seq)) {
      const existing = this.seqEls.get(msg.seq);
      if (existing && existing !== node) {
        // Already shown (replayed): keep that one, drop the local copy.
        node.remove();
        this.idEls.set(msg.id, existing);
        this.setPatientStatus(existing, 'sent');
        return;
      }
      if (!node.dataset.seq) {
        const wasBottom = this.nearBottom();
        this.assignSeq(node, msg.seq);
        this.placeBySeq(node, msg.seq);
        if (wasBottom) this.scrollToBottom();
      }
    }
    if (item || node.dataset.status !== 'sent') this.setPatientStatus(node, 'sent');
  }

  onPatient(msg) {
    if (!Number.isInteger(msg.seq) || this.seqEls.has(msg.seq)) return;
    const wasBottom = this.nearBottom();
    const node = typeof msg.id === 'string' ? this.idEls.get(msg.id) : null;
    if (node) {
      this.dropFromOutbox(msg.id);
      if (!node.dataset.seq) {
        this.assignSeq(node, msg.seq);
        this.placeBySeq(node, msg.seq);
      }
      this.setPatientStatus(node, 'sent');
    } else {
      const text = typeof msg.text === 'string' ? msg.text : '';
      this.renderPatient({ id: msg.id, text: this.labelForReplay(text, msg.seq), status: 'sent', seq: msg.seq });
    }
    this.updateQuickReplies();
    if (wasBottom) this.scrollToBottom();
  }

  onBot(msg) {
    const seq = Number.isInteger(msg.seq) ? msg.seq : null;
    if (seq !== null && this.seqEls.has(seq)) return;
    const text = typeof msg.text === 'string' ? msg.text : '';
    const urgent = msg.urgent === true;
    const wasBottom = this.nearBottom();
    this.showTyping(false);
    if (urgent && seq !== null) {
      // The same emergency instruction may have been shown before it had a seq.
      const early = [...this.logEl.querySelectorAll('.tc-msg--urgent:not([data-seq])')]
        .find((n) => n.querySelector('.tc-text').textContent === text);
      if (early) {
        this.assignSeq(early, seq);
        this.placeBySeq(early, seq);
        return;
      }
    }
    this.renderBot({ seq, text, quickReplies: msg.quick_replies, urgent, call: msg.call });
    this.updateQuickReplies();
    if (wasBottom || urgent) this.scrollToBottom();
  }

  onStaffJoined(msg) {
    if (this.ended) return;
    const staff = staffOf(msg);
    const same = this.staff && this.staff.name === staff.name && this.staff.role === staff.role;
    this.setStaff(staff);
    // The same person announced again (e.g. after a reconnect): the banner is refreshed, no second line.
    if (!same) this.addSystemLine('staff-joined', { staff }, { 'data-role': staff.role || null });
    this.updateQuickReplies();
  }

  onStaff(msg) {
    const seq = Number.isInteger(msg.seq) ? msg.seq : null;
    if (seq !== null && this.seqEls.has(seq)) return;
    const text = typeof msg.text === 'string' ? msg.text : '';
    const staff = staffOf(msg);
    if (staff.name) this.staffName = staff.name;
    const wasBottom = this.nearBottom();
    this.showStaffTyping(false);
    // A live message (not a replayed one) means staff is in the chat now, even if staff_joined was
    // missed (a reload or a reconnect in the middle of a takeover): show the banner.
    const live = seq === null || seq > this.replayUntil;
    if (live && !this.staff && !this.ended) this.setStaff(staff);
    this.renderStaff({ seq, text, staff });
    this.updateQuickReplies();
    if (wasBottom) this.scrollToBottom();
  }

  onStaffLeft(msg) {
    const reason = typeof msg.reason === 'string' ? msg.reason : '';
    const staff = this.staff;
    this.showStaffTyping(false);
    this.setStaff(null);
    this.addSystemLine('staff-left', { reason, staff }, { 'data-reason': reason || null });
    this.updateQuickReplies();
  }

  onNotice(msg) {
    const text = typeof msg.text === 'string' ? msg.text.trim() : '';
    if (!text) return;
    const code = typeof msg.code === 'string' ? msg.code.slice(0, 64) : '';
    // The same notice again with nothing in between (e.g. re-sent after a reconnect): show it once.
    const pending = [...this.logEl.children].find((c) => c.classList.contains('tc-msg--patient') && !c.dataset.seq);
    const prev = pending ? pending.previousElementSibling : this.logEl.lastElementChild;
    if (prev && prev._sys && prev._sys.kind === 'notice' && prev._sys.code === code && prev._sys.text === text) return;
    this.addSystemLine('notice', { code, text }, { 'data-code': code || null });
  }

  onError(msg) {
    const code = msg.code;
    const item = typeof msg.id === 'string' ? this.findOutbox(msg.id) : null;
    const text = typeof msg.message === 'string' ? msg.message : '';
    if ((code === 'unknown_field' || code === 'invalid_message') && msg.field === 'contact' && !this.ready && !this.contactRefused) {
      // A server that does not take the returning-contact id (yet): start without it.
      this.contactRefused = true;
      if (!this.sendFrame(this.startFrame())) this.forceDrop();
      return;
    }
    switch (code) {
      case 'not_saved':
      case 'rate_limited':
        if (item) { this.scheduleResend(item, code); return; }
        break;
      case 'unavailable':
        if (item) { this.scheduleResend(item, code); return; }
        if (!this.ready) {
          // start / resume could not be served: try again later on a new connection.
          this.showNotice(text);
          this.forceDrop();
          return;
        }
        break;
      case 'unknown_conversation':
        this.onUnknownConversation();
        return;
      case 'conversation_ended':
        if (item) { this.dropFromOutbox(item.id); this.setPatientStatus(this.idEls.get(item.id), 'failed'); }
        this.setEnded(true);
        return;
      case 'already_started':
        return;
      case 'not_started':
        this.forceDrop();   // reconnecting sends start / resume again; the message is resent after it
        return;
      default:
        // Invalid input of ours: resending the same frame would fail again.
        if (item) this.markFailed(item);
    }
    if (text) this.showNotice(text);
  }

  onUnknownConversation() {
    this.token = null;
    this.store.remove('token');
    // Unsent typed text belongs to the old conversation; hand it back to the patient rather than lose it.
    const typed = this.outbox.filter((m) => !m.label).map((m) => m.text);
    for (const item of [...this.outbox]) this.dropFromOutbox(item.id);
    this.outbox = [];
    this.saveOutbox();
    this.clearTranscript();
    this.setEnded(false);
    if (typed.length && !this.inputEl.value) { this.inputEl.value = typed.join('\n'); this.autosize(); }
    this.showNotice(this.t.expired);
    this.ready = false;
    if (!this.sendFrame(this.startFrame())) this.forceDrop();
  }

  // ---------------------------------------------------------------- actions

  chooseLang(code) {
    if (code === this.lang) return;
    this.lang = code;
    this.store.set('lang', code);
    this.applyStrings();
    const spoken = this.logEl.querySelector('.tc-msg--patient, .tc-msg--staff') || this.staff;
    if (!spoken && !this.ended) this.restart(false);        // nothing to lose: start over in that language
    else if (!this.ended) this.showNotice(this.t.langNext, { action: 'restart' });
  }

  /** Starts a new conversation (drops the current one from this tab). */
  restart(focusTranscript = false) {
    if (this.destroyed) return;
    this.token = null;
    this.store.remove('token');
    for (const item of [...this.outbox]) this.dropFromOutbox(item.id);
    this.outbox = [];
    this.saveOutbox();
    this.clearTranscript();
    this.showNotice(null);
    this.setEnded(false);
    this.detachSocket();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.attempt = 0;
    this.setState('connecting');
    this.connect();
    if (focusTranscript) this.logEl.focus();
  }

  destroy() {
    this.destroyed = true;
    this.detachSocket();
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.connectingTimer);
    clearTimeout(this.typingTimer);
    clearTimeout(this.staffTypingTimer);
    clearTimeout(this.noticeTimer);
    clearTimeout(this.endedTimer);
    for (const t of this.resendTimers.values()) clearTimeout(t);
    clearInterval(this.watchdog);
    if (this.resizeObserver) this.resizeObserver.disconnect();
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('pageshow', this.onVisible);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.host.replaceChildren();
  }
}

/** <triage-chat clinic="demo" lang="en" heading="…" heading-level="2" ws-url="…" no-css> */
export class TriageChatElement extends HTMLElement {
  connectedCallback() {
    if (this._chat) return;
    this._chat = init(this, {
      clinic: this.getAttribute('clinic') || undefined,
      lang: this.getAttribute('lang') || undefined,
      heading: this.getAttribute('heading') || undefined,
      headingLevel: this.getAttribute('heading-level') || undefined,
      wsUrl: this.getAttribute('ws-url') || undefined,
      css: !this.hasAttribute('no-css'),
    });
  }

  disconnectedCallback() {
    if (this._chat) { this._chat.destroy(); this._chat = null; }
  }

  restart() { if (this._chat) this._chat.restart(); }
}

if (typeof customElements !== 'undefined' && !customElements.get('triage-chat')) {
  customElements.define('triage-chat', TriageChatElement);
}
