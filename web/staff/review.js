// The review sample page (docs/staff-guide.md, "Review sample"): lists the sampled conversations
// that raised no escalation (GET /api/staff/review-sample), opens one with its transcript and
// takes a verdict on it (POST .../{id}/feedback). Plain ES module, no dependencies.
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const URGENCY = { emergency: 'Emergency', urgent: 'Urgent', routine: 'Routine', self_care: 'Self-care', none: 'Nothing clinical' };
const LANGUAGES = { en: 'English', es: 'Spanish' };
const VERDICT = { right: 'right', over_triaged: 'too high', under_triaged: 'too low' };
let csrf = null;
let current = null;

function fail(text, signedOut = false) {
  const e = $('rv-error');
  if (signedOut) e.replaceChildren('You are signed out. ', Object.assign(document.createElement('a'), { href: '/staff/', textContent: 'Sign in at the desk' }), ', then come back.');
  else e.textContent = text;
  e.hidden = false;
  $('rv-status').textContent = '';
}

async function call(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  return { status: res.status, data };
}

function when(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

async function loadList() {
  const r = await call('GET', '/api/staff/review-sample');
  if (r.status === 401) return fail('', true);
  if (r.status !== 200) return fail('The sample could not be read just now. Try again in a moment.');
  const tbody = $('rv-list').querySelector('tbody');
  tbody.replaceChildren();
  for (const c of r.data.conversations) {
    const tr = tbody.insertRow();
    tr.dataset.conversation = c.conversation;
    for (const v of [when(c.started_at), LANGUAGES[c.lang] ?? c.lang, URGENCY[c.urgency] ?? c.urgency, c.patient_messages, c.verdicts])
      tr.insertCell().textContent = String(v);
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'sc-btn sc-btn--ghost';
    b.textContent = 'Open';
    b.setAttribute('aria-label', `Open the conversation of ${when(c.started_at)}`);
    b.addEventListener('click', () => open(c.conversation));
    tr.insertCell().append(b);
  }
  $('rv-status').textContent = r.data.conversations.length
    ? `${r.data.conversations.length} ${r.data.conversations.length === 1 ? 'conversation' : 'conversations'} to review.`
    : 'Nothing in the sample this week.';
}

async function open(id) {
  const r = await call('GET', `/api/staff/review-sample/${id}`);
  if (r.status === 401) return fail('', true);
  if (r.status !== 200) return fail('That conversation could not be opened just now.');
  current = r.data;
  const panel = $('rv-detail');
  panel.hidden = false;
  $('rv-said').textContent = `Started ${when(current.started_at)} in ${LANGUAGES[current.lang] ?? current.lang}. The assistant's urgency: ${URGENCY[current.urgency] ?? current.urgency}.`;
  const list = $('rv-transcript');
  list.replaceChildren();
  for (const e of current.transcript) {
    const li = document.createElement('li');
    li.className = `rv-entry rv-entry--${e.author}`;
    const who = document.createElement('strong');
    who.textContent = e.author === 'patient' ? 'Patient: ' : e.author === 'bot' ? 'Assistant: ' : 'Staff: ';
    li.append(who, document.createTextNode(e.text));
    list.append(li);
  }
  const mine = current.feedback.at(-1);
  for (const input of document.querySelectorAll('input[name="rv-verdict"]')) input.checked = mine ? input.value === mine.verdict : false;
  $('rv-urgency').value = mine ? mine.urgency : current.urgency;
  $('rv-intent').value = mine ? mine.intent : 'symptom_report';
  $('rv-result').textContent = mine ? `Verdict given: the urgency was ${VERDICT[mine.verdict]}.` : '';
  document.getElementById('rv-detail-h').focus();
}

$('rv-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!current) return;
  const chosen = document.querySelector('input[name="rv-verdict"]:checked');
  const body = { verdict: chosen.value, urgency: $('rv-urgency').value, intent: $('rv-intent').value };
  const r = await call('POST', `/api/staff/review-sample/${current.conversation}/feedback`, body);
  const result = $('rv-result');
  if (r.status === 200) {
    result.textContent = r.data.feedback.safety_review
      ? 'Saved. A safety review item was opened for the clinic\'s safety lead.' : 'Saved. Thank you.';
    loadList();
  } else if (r.data.error === 'inconsistent_feedback') {
    result.textContent = '"Right" means the same urgency, "too high" a lower one, "too low" a higher one. Check the urgency you chose.';
  } else if (r.status === 403) {
    result.textContent = 'Your role cannot give verdicts.';
  } else {
    result.textContent = 'The verdict could not be saved just now. Try again in a moment.';
  }
});

const me = await call('GET', '/api/staff/me');
if (me.status === 401) fail('', true);
else {
  csrf = me.data.csrf;
  loadList();
}
