// A staff client for end-to-end tests (docs/staff-api.md): sign in, call the staff HTTP API with
// the session cookie and CSRF token, and open the staff WebSocket. Like patient_client.mjs, every
// WebSocket frame is kept and tests wait for frames by predicate (never by sleeping).
//
//   const s = await login(base, { clinic: 'demo', email: 'nurse@demo.test', password: 'nurse-local-pass' });
//   const r = await api(base, s, 'POST', `/api/staff/escalations/${id}/claim`);   // { status, body, headers }
//   const ws = await openStaffSocket(base, s);
//   const hello = await ws.next((f) => f.type === 'hello', 5000);
//
// A session is { cookie: 'name=value' (for a Cookie header), token, csrf, user }. Pass null for
// "no session". Requests use node:http(s), so tests may set any header (Origin, Cookie) and pick
// the client address (`localAddress`, e.g. '127.0.0.7') to keep login throttling apart.
import http from 'node:http';
import https from 'node:https';
import WebSocket from 'ws';

const COOKIE_NAMES = ['__Host-triage_staff', 'triage_staff'];

// The session cookie from Set-Cookie lines: { name, value, attrs (lower-cased names), line } or null.
export function sessionCookie(setCookies = []) {
  for (const line of setCookies) {
    const [pair, ...rest] = line.split(';').map((x) => x.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    if (!COOKIE_NAMES.includes(name)) continue;
    const attrs = {};
    for (const a of rest) {
      const i = a.indexOf('=');
      attrs[(i < 0 ? a : a.slice(0, i)).toLowerCase()] = i < 0 ? true : a.slice(i + 1);
    }
    return { name, value: pair.slice(eq + 1), attrs, line };
  }
  return null;
}

// One HTTP request. opts: { headers (a header set to null is left out), localAddress, ca }.
// Resolves with { status, body (parsed JSON, or the text when it is not JSON), text, headers,
// setCookies (array) }.
export function request(url, { method = 'GET', headers = {}, body, localAddress, ca } = {}) {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  const hdrs = {};
  for (const [k, v] of Object.entries(headers)) if (v !== null && v !== undefined) hdrs[k] = v;
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    if (!Object.keys(hdrs).some((k) => k.toLowerCase() === 'content-type')) hdrs['Content-Type'] = 'application/json';
    hdrs['Content-Length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = lib.request(u, { method, headers: hdrs, localAddress, ca, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = text;
        try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON: keep the text */ }
        const sc = res.headers['set-cookie'] ?? [];
        resolve({ status: res.statusCode, body: parsed, text, headers: res.headers, setCookies: Array.isArray(sc) ? sc : [sc] });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

// Signs in with a local password. Throws (with .response) unless the answer is 200 with a cookie.
// opts: { headers, localAddress, ca } as for api().
export async function login(base, { clinic, email, password }, opts = {}) {
  const r = await request(`${base}/api/staff/login`, {
    method: 'POST', body: { clinic, email, password }, headers: { Origin: base, ...(opts.headers ?? {}) },
    localAddress: opts.localAddress, ca: opts.ca,
  });
  const c = sessionCookie(r.setCookies);
  if (r.status !== 200 || !c || !c.value) {
    const err = new Error(`login ${email} (${clinic}) failed: HTTP ${r.status} ${r.text}`);
    err.response = r;
    throw err;
  }
  return { cookie: `${c.name}=${c.value}`, token: c.value, csrf: r.body.csrf, user: r.body.user, response: r };
}

// Calls the staff API as `session` (or null). State-changing methods carry X-CSRF-Token and the
// server's own Origin unless opts.headers overrides them (set a header to null to leave it out).
export function api(base, session, method, path, body, opts = {}) {
  const headers = {};
  if (session?.cookie) headers.Cookie = session.cookie;
  if (!['GET', 'HEAD'].includes(method)) {
    headers.Origin = base;
    if (session?.csrf) headers['X-CSRF-Token'] = session.csrf;
  }
  Object.assign(headers, opts.headers ?? {});
  return request(`${base}${path}`, { method, headers, body, localAddress: opts.localAddress, ca: opts.ca });
}

// Opens /ws/staff as `session`. Rejects when the upgrade is refused: the error has .status and
// .body (the refusal's JSON, when there is one). opts: { origin (default base), ca, headers }.
export function openStaffSocket(base, session, opts = {}) {
  const url = base.replace(/^http/, 'ws') + '/ws/staff';
  // origin: null leaves the header out (not `??`, which would put ours back).
  const headers = { Origin: opts.origin === undefined ? base : opts.origin, ...(session?.cookie ? { Cookie: session.cookie } : {}), ...(opts.headers ?? {}) };
  for (const k of Object.keys(headers)) if (headers[k] === null) delete headers[k];
  const ws = new WebSocket(url, { headers, ca: opts.ca });
  const s = new StaffSocket(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(s));
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const err = new Error(`upgrade refused: HTTP ${res.statusCode} ${text}`);
        err.status = res.statusCode;
        try { err.body = JSON.parse(text); } catch { err.body = text; }
        req.destroy();
        reject(err);
      });
    });
  });
}

export class StaffSocket {
  constructor(ws) {
    this.ws = ws;
    this.frames = [];     // every JSON frame received, in order
    this.taken = new Set(); // indexes already returned by next()
    this.waiters = [];
    this.closed = null;   // { code, reason } once closed
    ws.on('message', (data) => {
      let f;
      try { f = JSON.parse(data.toString()); } catch { f = { type: '<not json>', raw: data.toString() }; }
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => !w.check());
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.waiters = this.waiters.filter((w) => !w.check());
    });
  }

  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }

  // Resolves with the first frame (already received or still to come) that matches and that no
  // earlier next() returned. Rejects on timeout, or when the socket closes first.
  next(pred = () => true, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const w = {
        check: () => {
          const i = this.frames.findIndex((f, idx) => !this.taken.has(idx) && pred(f));
          if (i >= 0) { this.taken.add(i); clearTimeout(w.timer); resolve(this.frames[i]); return true; }
          if (this.closed) {
            clearTimeout(w.timer);
            reject(new Error(`socket closed (${this.closed.code}) before a matching frame; frames: ${JSON.stringify(this.frames)}`));
            return true;
          }
          return false;
        },
      };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timeout (${timeoutMs} ms) waiting for a frame; frames: ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      if (!w.check()) this.waiters.push(w);
    });
  }

  // Resolves with { code, reason } when the socket is closed (at once if it already is).
  waitClose(timeoutMs = 5000) {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout (${timeoutMs} ms) waiting for close`)), timeoutMs);
      this.ws.once('close', (code, reason) => { clearTimeout(t); resolve({ code, reason: reason.toString() }); });
    });
  }

  close() { if (!this.closed) this.ws.close(); }
}
