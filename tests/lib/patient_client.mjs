// A patient WebSocket client for end-to-end tests: every frame it receives is kept, and tests
// wait for frames by predicate (never by sleeping).
import WebSocket from 'ws';

export class PatientClient {
  static async connect(base, { clinic = 'demo', origin } = {}) {
    const url = base.replace(/^http/, 'ws') + `/ws/patient?clinic=${clinic}`;
    const ws = new WebSocket(url, { headers: { Origin: origin ?? base } });
    const c = new PatientClient(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return c;
  }

  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.waiters = [];
    this.closed = null;
    ws.on('message', (data, isBinary) => {
      const f = JSON.parse(data.toString());
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => !w.check());
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.waiters = this.waiters.filter((w) => !w.check());
    });
  }

  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }
  sendRaw(data, opts) { this.ws.send(data, opts); }

  // Resolves with the first frame after index `from` that matches.
  waitFor(pred, { from = 0, timeout = 5000, what = 'frame' } = {}) {
    return new Promise((resolve, reject) => {
      const w = {
        check: () => {
          const i = this.frames.findIndex((f, idx) => idx >= from && pred(f));
          if (i >= 0) { clearTimeout(w.timer); resolve(this.frames[i]); return true; }
          if (this.closed) { clearTimeout(w.timer); reject(new Error(`closed (${this.closed.code}) while waiting for ${what}`)); return true; }
          return false;
        },
      };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timeout waiting for ${what}; frames: ${JSON.stringify(this.frames.slice(from))}`));
      }, timeout);
      if (!w.check()) this.waiters.push(w);
    });
  }

  waitClose(timeout = 5000) {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timeout waiting for close')), timeout);
      this.ws.once('close', (code, reason) => { clearTimeout(t); resolve({ code, reason: reason.toString() }); });
    });
  }

  async start(lang = 'en') {
    const from = this.frames.length;
    this.send({ type: 'start', v: 1, lang });
    const started = await this.waitFor((f) => f.type === 'started' || f.type === 'error', { from, what: 'started' });
    if (started.type !== 'started') throw new Error(`start failed: ${JSON.stringify(started)}`);
    await this.waitFor((f) => f.type === 'bot', { from, what: 'welcome' });
    return started;
  }

  // The server handles frames strictly in order and sends all of a turn's frames before it reads
  // the next one, so the pong to a ping sent after a message marks the end of that turn.
  async barrier(timeout = 5000) {
    const from = this.frames.length;
    this.send({ type: 'ping' });
    await this.waitFor((f) => f.type === 'pong', { from, timeout, what: 'pong' });
  }

  // Sends a message; returns its ack (or error) and the bot replies of that turn.
  async say(id, text, { timeout = 5000 } = {}) {
    const from = this.frames.length;
    this.send({ type: 'message', id, text });
    await this.barrier(timeout);
    const turn = this.frames.slice(from);
    const ack = turn.find((f) => f.type === 'ack' && f.id === id);
    const error = turn.find((f) => f.type === 'error' && f.id === id);
    const bots = turn.filter((f) => f.type === 'bot');
    return { ack, error, bots, last: bots[bots.length - 1], frames: turn };
  }

  lastBot() { return [...this.frames].reverse().find((f) => f.type === 'bot'); }
  close() { this.ws.close(); }
}
