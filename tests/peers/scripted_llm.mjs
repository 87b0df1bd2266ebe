// A SCRIPTED stand-in for an OpenAI-compatible chat-completions endpoint, for the remote intent
// tests. There is no model here: answers are fixed and chosen by markers in the patient's text
// (below). Every request body is appended to a log, so the tests can prove what left triaged.
//   node scripted_llm.mjs PORT_FILE LOG_FILE
//   SCRIPT_SLOW     answers after 1.5 s (beyond the client's deadline)
//   SCRIPT_BROKEN   HTTP 500
//   SCRIPT_JUNK     an answer that is not an intent
//   SCRIPT_URGENT   {"intent": "symptom_report", "urgency": "urgent"}
//   SCRIPT_CALM     {"intent": "other", "urgency": "none"}
//   SCRIPT_BILLING  {"intent": "billing", "urgency": "none"}
//   anything else   {"intent": "book_appointment", "urgency": "none"}
import http from 'node:http';
import { appendFileSync, writeFileSync } from 'node:fs';

const [portFile, logFile] = process.argv.slice(2);

function reply(res, content, status = 200) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: 'scripted', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    appendFileSync(logFile, JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }) + '\n');
    if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) { res.writeHead(404); res.end(); return; }
    let text = '';
    try { text = JSON.parse(body).messages.find((m) => m.role === 'user').content; } catch { res.writeHead(400); res.end(); return; }
    if (text.includes('SCRIPT_SLOW')) { setTimeout(() => reply(res, '{"intent":"billing"}'), 1500); return; }
    if (text.includes('SCRIPT_BROKEN')) { res.writeHead(500); res.end('{"error":"scripted failure"}'); return; }
    if (text.includes('SCRIPT_JUNK')) return reply(res, 'banana');
    if (text.includes('SCRIPT_URGENT')) return reply(res, '{"intent":"symptom_report","urgency":"urgent"}');
    if (text.includes('SCRIPT_CALM')) return reply(res, '{"intent":"other","urgency":"none"}');
    if (text.includes('SCRIPT_BILLING')) return reply(res, '{"intent":"billing","urgency":"none"}');
    return reply(res, '{"intent":"book_appointment","urgency":"none"}');
  });
});
server.listen(0, '127.0.0.1', () => writeFileSync(portFile, String(server.address().port)));
