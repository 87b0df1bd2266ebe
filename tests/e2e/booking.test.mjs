// Booking in the EHR through the default flow, over a real WebSocket, against the FHIR test
// server (tests/peers/fhir): instance "a" uses the IHE operations with a SMART backend token from
// the OpenID provider; instance "c" uses Slot search and transaction Bundles on a server without
// the IHE operations. What the patient is told is checked against what the EHR holds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadStack } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { psql } from '../lib/db.mjs';

let stack;
let fhirA;
let fhirC;
before(() => {
  stack = loadStack();
  assert.ok(stack);
  fhirA = process.env.TRIAGE_TEST_FHIR_BASE;
  fhirC = process.env.TRIAGE_TEST_FHIR_C_BASE;
});
after(async () => {
  for (const base of [fhirA, fhirC]) await fetch(`${base.replace(/\/fhir$/, '')}/__test/delay?ms=0`, { method: 'POST' }).catch(() => {});
});

const hooks = (base) => base.replace(/\/fhir$/, '/__test');
async function fhirGet(base, path) {
  const r = await fetch(`${base}/${path}`, { headers: { accept: 'application/fhir+json' } });
  assert.equal(r.status, 200, `GET ${path}`);
  return r.json();
}

// A weekday at least `ahead` days after today (UTC), as MM/DD/YYYY: the seed has slots on every
// weekday of the next three weeks, 09:00-17:00 UTC (London time in winter; the demo clinic's zone
// in the test stack).
function weekday(ahead) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + ahead);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  const p = (n) => String(n).padStart(2, '0');
  return { typed: `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()}`,
           iso: `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}` };
}

const PATIENTS = {
  maria: { name: 'Maria Garcia', dob: '02/14/1980', phone: '555-0101', id: 'pat-1' },
  chidi: { name: 'Chidi Okafor', dob: '11/30/1975', phone: '+1 555 0102', id: 'pat-2' },
  linh: { name: 'Linh Thi Nguyen', dob: '09/09/2012', phone: '(555) 0105', id: 'pat-5' },
  alex: { name: 'Alex Morgan', dob: '06/01/1990', phone: '', id: null },
};

function reply(bot, re) {
  const q = (bot?.quick_replies ?? []).find((r) => re.test(r.label) || re.test(r.value));
  assert.ok(q, `no quick reply matching ${re} in ${JSON.stringify(bot)}`);
  return q.value;
}

// Drives a new conversation to the list of free times (or whatever comes instead).
async function toOffers(base, who, { day, time = 'Any time', type = 'At the clinic', tz = 'Europe/London', lang = 'en' } = {}) {
  const c = await PatientClient.connect(base);
  c.send({ type: 'start', v: 1, lang, time_zone: tz });
  const started = await c.waitFor((f) => f.type === 'started');
  await c.waitFor((f) => f.type === 'bot');
  let n = 0;
  const say = async (text) => {
    const t = await c.say(`m${++n}`, text, { timeout: 15000 });
    assert.ok(t.ack, `not acknowledged: ${JSON.stringify(t.frames)}`);
    return t;
  };
  await say('yes');
  await say(lang === 'es' ? 'Pedir una cita' : 'Book a visit');
  await say(type);
  await say(day.typed);
  await say(time);
  await say(who.name);
  await say(who.dob);
  const t = await say(who.phone || '555 010 9999');
  return { c, say, started, turn: t };
}

async function audits(conversation, action) {
  const rows = psql(stack, `SELECT detail::text FROM audit_events WHERE conversation_id = '${conversation}' AND action = '${action}' ORDER BY id`);
  return rows ? rows.split('\n').map((r) => JSON.parse(r)) : [];
}

test('a patient books through the default flow; the Appointment is in the EHR and the Slot is busy (IHE, SMART)', async () => {
  const day = weekday(3);
  const { c, say, started, turn } = await toOffers(stack.base, PATIENTS.maria, { day, time: 'Afternoon' });
  const offers = turn.last;
  assert.match(offers.text, /These times are free on that day/, JSON.stringify(turn.bots));
  const times = offers.quick_replies.filter((q) => q.value !== 'other_day');
  assert.ok(times.length >= 1 && times.length <= 5, 'one to five times');
  for (const q of times) assert.match(q.label, /(12|1|2|3|4):\d\d\s?PM/, 'afternoon, in London time');
  assert.equal(new Set(times.map((q) => q.label)).size, times.length, 'no time offered twice');

  const confirm = (await say(times[0].value)).last;
  assert.match(confirm.text, /Shall I book this visit for you\?/);
  const done = await say('yes');
  const booked = done.bots.find((b) => /You're booked/.test(b.text));
  assert.ok(booked, JSON.stringify(done.bots));
  assert.match(booked.text, /at Main Street|at .*Clinic|at /);
  assert.match(booked.text, /How|cancel or change it/);

  // What the EHR holds: the audit trail names the slot and the appointment; both are read back.
  const [book] = await audits(started.conversation, 'scheduling.book_slot');
  assert.equal(book.outcome, 'booked');
  assert.equal(book.patient, 'Patient/pat-1');
  assert.equal(book.strategy, 'ihe_operations');
  const appt = await fhirGet(fhirA, book.appointment);
  assert.equal(appt.status, 'booked');
  assert.ok(appt.participant.some((p) => p.actor?.reference === 'Patient/pat-1'), 'the right patient');
  assert.equal(appt.slot[0].reference, book.slot, 'the right slot');
  assert.ok(appt.identifier.some((i) => i.system === 'urn:triage:test:booking'), 'carries our identifier');
  const slot = await fhirGet(fhirA, book.slot);
  assert.equal(slot.status, 'busy');
  assert.ok(booked.text.includes(appt.id), 'the reference is the EHR appointment id');
  // The time told is the time held, in the patient's zone (London = UTC in winter, +1 in summer).
  const hour = Number(new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone: 'Europe/London' }).format(new Date(appt.start)));
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  assert.match(booked.text, new RegExp(`\\b${h12}:\\d\\d\\s?PM`), booked.text);
  // The whole scheduling transaction is in the audit trail, PHI-free.
  const actions = psql(stack, `SELECT string_agg(action, ',' ORDER BY id) FROM audit_events WHERE conversation_id = '${started.conversation}' AND action LIKE 'scheduling.%'`);
  assert.equal(actions, 'scheduling.find_patient,scheduling.find_slots,scheduling.hold_slot,scheduling.book_slot');
  const allAudit = psql(stack, `SELECT string_agg(detail::text, ' ') FROM audit_events WHERE conversation_id = '${started.conversation}'`);
  assert.ok(!/Garcia|1980-02-14|555-?0101/.test(allAudit), 'no name, birth date or phone in the audit details');
  c.close();
});

test('the patient cancels the visit they booked, after it is checked to be theirs; the slot is free again', async () => {
  const day = weekday(4);
  const first = await toOffers(stack.base, PATIENTS.chidi, { day, time: 'Morning' });
  await first.say(first.turn.last.quick_replies[0].value);
  await first.say('yes');
  const [book] = await audits(first.started.conversation, 'scheduling.book_slot');
  assert.equal(book.outcome, 'booked');
  first.c.close();

  const c = await PatientClient.connect(stack.base);
  c.send({ type: 'start', v: 1, lang: 'en', time_zone: 'Europe/London' });
  const started = await c.waitFor((f) => f.type === 'started');
  await c.waitFor((f) => f.type === 'bot');
  await c.say('x1', 'yes');
  await c.say('x2', 'Change or cancel a visit');
  await c.say('x3', PATIENTS.chidi.name);
  await c.say('x4', PATIENTS.chidi.dob);
  const list = (await c.say('x5', PATIENTS.chidi.phone, { timeout: 15000 })).last;
  assert.match(list.text, /Which visit is it about\?/, JSON.stringify(list));
  const visits = list.quick_replies.filter((q) => q.value !== 'not_listed');
  assert.ok(visits.length >= 1);
  await c.say('x6', visits[0].value);
  const ask = (await c.say('x7', 'Cancel it')).last;
  assert.match(ask.text, /^Cancel your visit on /);
  const done = await c.say('x8', 'yes', { timeout: 15000 });
  assert.ok(done.bots.some((b) => /is cancelled/.test(b.text)), JSON.stringify(done.bots));
  const [cancel] = await audits(started.conversation, 'scheduling.cancel_appointment');
  assert.equal(cancel.outcome, 'cancelled');
  assert.equal(cancel.appointment, book.appointment);
  assert.equal((await fhirGet(fhirA, book.appointment)).status, 'cancelled');
  assert.equal((await fhirGet(fhirA, book.slot)).status, 'free');
  c.close();
});

test('two records fit the name and birth date and neither has the phone given: nothing is booked, staff call back', async () => {
  const { c, started, turn } = await toOffers(stack.base, PATIENTS.alex, { day: weekday(5) });
  assert.ok(turn.bots.some((b) => /couldn't match your details to one patient record/.test(b.text)), JSON.stringify(turn.bots));
  const [m] = await audits(started.conversation, 'scheduling.find_patient');
  assert.equal(m.outcome, 'ambiguous');
  assert.equal(m.candidates, 2);
  const esc = psql(stack, `SELECT reason FROM escalations WHERE conversation_id = '${started.conversation}'`);
  assert.equal(esc, 'patient_not_matched');
  c.close();
});

test('a Sunday asked for: the patient is told there is nothing that day, and which day has free times', async () => {
  // The seeded EHR has weekday slots only (tests/peers/fhir/seed.mjs). Issue 18: a Sunday
  // silently offered Monday.
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 8);
  while (d.getUTCDay() !== 0) d.setUTCDate(d.getUTCDate() + 1);
  const p = (n) => String(n).padStart(2, '0');
  const sunday = { typed: `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()}` };
  const { c, turn } = await toOffers(stack.base, PATIENTS.chidi, { day: sunday });
  const text = turn.last.text;
  assert.match(text, /These times are free on Monday, [A-Z][a-z]+ \d+ \(there are none on Sunday, [A-Z][a-z]+ \d+\)\./, text);
  assert.ok(turn.last.quick_replies.some((q) => /^Mon/.test(q.label)), JSON.stringify(turn.last.quick_replies));
  c.close();
});

test('in Spanish, the times are offered in Spanish and in the patient\'s own time zone', async () => {
  const { c, turn } = await toOffers(stack.base, PATIENTS.linh, { day: weekday(6), lang: 'es', type: 'Videollamada', time: 'Cualquier hora', tz: 'America/New_York' });
  const offers = turn.last;
  assert.match(offers.text, /Estas horas están libres/);
  const times = offers.quick_replies.filter((q) => q.value !== 'other_day');
  assert.ok(times.length > 0);
  // 09:00-17:00 UTC is 04:00-12:00 (winter) or 05:00-13:00 (summer) in New York, written the Spanish way.
  for (const q of times) assert.match(q.label, /(lun|mar|mié|jue|vie)/, q.label);
  assert.ok(times.every((q) => !/AM|PM/.test(q.label)), 'no English AM/PM');
  c.close();
});

// Two patients pick the same time at the same moment, many times over: exactly one appointment per
// slot, and the other patient is told and offered other times.
// Video visits: one practitioner, so one slot per time and both patients want the very same slot.
async function race(base, fhir, rounds, dayAhead) {
  const day = weekday(dayAhead);
  const type = 'Video visit';
  for (let round = 0; round < rounds; round++) {
    const [x, y] = await Promise.all([toOffers(base, PATIENTS.maria, { day, type }), toOffers(base, PATIENTS.chidi, { day, type })]);
    const vx = x.turn.last.quick_replies[0];
    const vy = y.turn.last.quick_replies[0];
    assert.equal(vx.label, vy.label, 'both were offered the same first time');
    const [px, py] = await Promise.all([x.say(vx.value), y.say(vy.value)]);
    const [dx, dy] = await Promise.all([
      /Shall I book/.test(px.last.text) ? x.say('yes') : Promise.resolve(px),
      /Shall I book/.test(py.last.text) ? y.say('yes') : Promise.resolve(py),
    ]);
    const bookedX = dx.bots.some((b) => /You're booked/.test(b.text));
    const bookedY = dy.bots.some((b) => /You're booked/.test(b.text));
    assert.ok(bookedX !== bookedY, `round ${round}: exactly one of the two booked (${bookedX}, ${bookedY})`);
    const loser = bookedX ? dy : dx;
    assert.ok(loser.bots.some((b) => /just taken by someone else/.test(b.text)), JSON.stringify(loser.bots));
    assert.match(loser.last.text, /These times are free/, 'the other patient is offered the next free times');
    assert.ok(!loser.last.quick_replies.some((q) => q.label === vx.label), 'the taken time is not offered again');
    const winner = bookedX ? x : y;
    const [book] = await audits(winner.started.conversation, 'scheduling.book_slot');
    const finds = await audits((bookedX ? y : x).started.conversation, 'scheduling.find_slots');
    assert.equal(finds.length, 2, 'the other patient got a second search');
    assert.ok(!finds[1].slots.includes(book.slot), 'the booked slot is not offered again');
    const appts = await fhirGet(fhir, `Appointment?slot=${book.slot}&status=booked,pending,proposed&_count=50`);
    assert.equal((appts.entry ?? []).length, 1, `round ${round}: exactly one appointment for ${book.slot}`);
    x.c.close();
    y.c.close();
  }
}

test('racing patients, IHE operations: exactly one appointment per slot, every time', async () => {
  await race(stack.base, fhirA, 5, 7);
});

test('racing patients, transaction Bundles: exactly one appointment per slot, every time', async () => {
  await race(process.env.TRIAGE_TEST_REMOTE_BASE_URL, fhirC, 5, 7);
});

test('the Slot search follows next links: afternoon times are found beyond the first page', async () => {
  // The adapter reads Slots 20 to a page. Two practitioners see patients at the clinic, so a
  // day's first 20 free slots run from 09:00 to 12:00 and hold a single afternoon time: the
  // adapter must follow the `next` link to find five (checked in the server's request log).
  await fetch(`${hooks(fhirC)}/reset`, { method: 'POST' });
  const { c, turn } = await toOffers(process.env.TRIAGE_TEST_REMOTE_BASE_URL, PATIENTS.linh, { day: weekday(8), time: 'Afternoon', type: 'At the clinic' });
  assert.equal(turn.last.quick_replies.filter((q) => q.value !== 'other_day').length, 5);
  assert.match(turn.last.text, /These times are free/, JSON.stringify(turn.bots));
  const log = await (await fetch(`${hooks(fhirC)}/requests`)).json();
  const searches = log.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/fhir/Slot?'));
  assert.ok(searches.length >= 2, `more than one page read: ${JSON.stringify(searches.map((s) => s.path))}`);
  assert.ok(searches.slice(1).some((s) => /_offset=/.test(s.path)), 'a next link was followed');
  c.close();
});

test('slow EHR beyond the timeout: the patient is told plainly and staff get the request', async () => {
  const { c, say, started, turn } = await toOffers(process.env.TRIAGE_TEST_REMOTE_BASE_URL, PATIENTS.maria, { day: weekday(9) });
  assert.match(turn.last.text, /These times are free/);
  await fetch(`${hooks(fhirC)}/delay?ms=2500`, { method: 'POST' });
  try {
    const t0 = Date.now();
    const picked = await say(turn.last.quick_replies[0].value);
    assert.ok(Date.now() - t0 < 8000, 'the patient is not kept waiting long');
    assert.ok(picked.bots.some((b) => /can't reach our booking system right now/.test(b.text)), JSON.stringify(picked.bots));
  } finally {
    await fetch(`${hooks(fhirC)}/delay?ms=0`, { method: 'POST' });
  }
  const esc = psql(stack, `SELECT reason FROM escalations WHERE conversation_id = '${started.conversation}'`);
  assert.equal(esc, 'booking_system_unavailable');
  const [hold] = await audits(started.conversation, 'scheduling.hold_slot');
  assert.equal(hold.outcome, 'unavailable');
  assert.equal(hold.failure, 'timeout_or_network');
  c.close();
});

test('an OperationOutcome error: told plainly, staff get the request, the issue code is audited', async () => {
  const { c, say, started, turn } = await toOffers(process.env.TRIAGE_TEST_REMOTE_BASE_URL, PATIENTS.chidi, { day: weekday(9) });
  await say(turn.last.quick_replies[0].value);
  await fetch(`${hooks(fhirC)}/fail?status=500&count=10`, { method: 'POST' });
  let done;
  try {
    done = await say('yes');
  } finally {
    await fetch(`${hooks(fhirC)}/fail?status=500&count=0`, { method: 'POST' });
  }
  assert.ok(done.bots.some((b) => /can't reach our booking system right now/.test(b.text)), JSON.stringify(done.bots));
  assert.ok(!done.bots.some((b) => /booked:/.test(b.text)));
  const [book] = await audits(started.conversation, 'scheduling.book_slot');
  assert.equal(book.outcome, 'unavailable');
  assert.equal(book.status, 500);
  assert.equal(book.issue_codes, 'exception');
  assert.equal(psql(stack, `SELECT reason FROM escalations WHERE conversation_id = '${started.conversation}'`), 'booking_system_unavailable');
  c.close();
});

test('the patient\'s name never reaches our logs; a red flag mid-booking still comes first', async () => {
  const canary = `Canary${randomBytes(4).toString('hex')}`;
  const { c, say, turn } = await toOffers(stack.base, { name: `Maria ${canary}`, dob: '02/14/1980', phone: '555-0101' }, { day: weekday(5) });
  assert.ok(turn.bots.some((b) => /couldn't match your details/.test(b.text)), JSON.stringify(turn.bots));
  const red = await say('I have crushing chest pain and can\'t breathe');
  assert.match(red.bots[0].text, /This may be an emergency/);
  assert.ok(!readFileSync(stack.serverLog, 'utf8').includes(canary), 'the name is not in the server log');
  c.close();
});

test('a red flag sent while an earlier message waits on a slow EHR gets the safety instruction at once', async () => {
  await fetch(`${hooks(fhirC)}/reset`, { method: 'POST' });
  const { c, turn } = await toOffers(process.env.TRIAGE_TEST_REMOTE_BASE_URL, PATIENTS.chidi, { day: weekday(10) });
  assert.match(turn.last.text, /These times are free/, JSON.stringify(turn.bots));
  await fetch(`${hooks(fhirC)}/delay?ms=2500`, { method: 'POST' });
  try {
    const from = c.frames.length;
    // Picking a time makes the server hold it in the EHR, which now answers slowly.
    c.send({ type: 'message', id: 'pick', text: turn.last.quick_replies[0].value });
    c.send({ type: 'message', id: 'flag', text: 'I suddenly have crushing chest pain spreading to my left arm' });
    const notice = await c.waitFor((f) => f.type === 'notice' && f.code === 'emergency', { from, timeout: 8000, what: 'early notice' });
    assert.match(notice.text, /911/);
    const pickAck = await c.waitFor((f) => f.type === 'ack' && f.id === 'pick', { from, timeout: 15000, what: 'ack of the pick' });
    assert.ok(c.frames.indexOf(notice) < c.frames.indexOf(pickAck),
      'the instruction came before the slow turn finished');
    // The red-flag message is still handled in full afterwards: acknowledged, answered urgently.
    await c.waitFor((f) => f.type === 'ack' && f.id === 'flag', { from, timeout: 15000, what: 'ack of the red flag' });
    await c.waitFor((f) => f.type === 'bot' && f.urgent && /911/.test(f.text), { from, timeout: 15000, what: 'urgent bot reply' });
  } finally {
    await fetch(`${hooks(fhirC)}/delay?ms=0`, { method: 'POST' });
  }
  c.close();
});

test('FHIR server stopped mid-booking: the patient is told plainly and offered a callback; nothing is lost', async () => {
  const base = process.env.TRIAGE_TEST_REMOTE_BASE_URL;
  const { c, say, started, turn } = await toOffers(base, PATIENTS.linh, { day: weekday(10) });
  await say(turn.last.quick_replies[0].value);
  // The EHR goes away between the patient choosing a time and confirming it.
  const pid = Number(readFileSync(process.env.TRIAGE_TEST_FHIR_C_PID_FILE, 'utf8'));
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100; i++) {
    try { process.kill(pid, 0); } catch { break; }
    await new Promise((r) => setTimeout(r, 50));
  }
  const done = await say('yes');
  assert.ok(done.ack, 'the message is stored');
  assert.ok(done.bots.some((b) => /can't reach our booking system right now.*call you at 5550105/.test(b.text)), JSON.stringify(done.bots));
  assert.equal(psql(stack, `SELECT reason FROM escalations WHERE conversation_id = '${started.conversation}'`), 'booking_system_unavailable');
  // Staff have what the patient asked for: the conversation's transcript holds every answer.
  const n = Number(psql(stack, `SELECT count(*) FROM messages WHERE conversation_id = '${started.conversation}' AND author = 'patient'`));
  assert.equal(n, 10);
  c.close();
});

test('moving a visit books the new time first, then cancels the old one', async () => {
  const first = await toOffers(stack.base, PATIENTS.linh, { day: weekday(11), type: 'Video visit' });
  await first.say(first.turn.last.quick_replies[0].value);
  await first.say('yes');
  const [oldBook] = await audits(first.started.conversation, 'scheduling.book_slot');
  assert.equal(oldBook.outcome, 'booked');
  first.c.close();

  const c = await PatientClient.connect(stack.base);
  c.send({ type: 'start', v: 1, lang: 'en', time_zone: 'Europe/London' });
  const started = await c.waitFor((f) => f.type === 'started');
  await c.waitFor((f) => f.type === 'bot');
  let n = 0;
  const say = async (text) => (await c.say(`r${++n}`, text, { timeout: 15000 }));
  await say('yes');
  await say('I need to move my appointment');
  await say(PATIENTS.linh.name);
  await say(PATIENTS.linh.dob);
  const list = (await say(PATIENTS.linh.phone)).last;
  const visits = list.quick_replies.filter((q) => q.value !== 'not_listed');
  await say(visits[visits.length - 1].value);
  await say('Move it');
  await say('Video visit');
  await say(weekday(12).typed);
  // Already identified in this conversation: no second round of name, birth date and phone.
  const offers = (await say('Any time')).last;
  assert.match(offers.text, /These times are free/, JSON.stringify(offers));
  await say(offers.quick_replies[0].value);
  const done = await say('yes');
  assert.ok(done.bots.some((b) => /^Done\. Your new visit is .* and the visit on .* is cancelled\./.test(b.text)), JSON.stringify(done.bots));
  const [newBook] = await audits(started.conversation, 'scheduling.book_slot');
  const [cancel] = await audits(started.conversation, 'scheduling.cancel_appointment');
  assert.equal(newBook.outcome, 'booked');
  assert.equal(cancel.outcome, 'cancelled');
  assert.notEqual(cancel.appointment, newBook.appointment, 'the old visit is the one cancelled');
  assert.equal((await fhirGet(fhirA, cancel.appointment)).status, 'cancelled');
  assert.equal((await fhirGet(fhirA, newBook.appointment)).status, 'booked');
  const ids = psql(stack, `SELECT string_agg(action, ',' ORDER BY id) FROM audit_events WHERE conversation_id = '${started.conversation}' AND action LIKE 'scheduling.%'`);
  assert.ok(ids.indexOf('scheduling.book_slot') < ids.indexOf('scheduling.cancel_appointment'), ids);
  c.close();
});

// Urgent symptoms: a nurse calls back today in any case; a visit is offered only today.
async function urgentToVisit(base) {
  const c = await PatientClient.connect(base);
  c.send({ type: 'start', v: 1, lang: 'en', time_zone: 'Europe/London' });
  const started = await c.waitFor((f) => f.type === 'started');
  await c.waitFor((f) => f.type === 'bot');
  let n = 0;
  const say = async (text) => (await c.say(`u${++n}`, text, { timeout: 15000 }));
  await say('yes');
  const urgent = await say('I twisted my ankle playing football, it is really swollen and I cannot put weight on it');
  assert.match(urgent.last.text, /call you back today/, JSON.stringify(urgent.bots));
  const offer = await say('555-0102');
  assert.match(offer.last.text, /look for a visit at the clinic today/);
  await say('yes');
  await say(PATIENTS.chidi.name);
  await say(PATIENTS.chidi.dob);
  const result = await say(PATIENTS.chidi.phone);
  return { c, started, result };
}

test('urgent symptoms: with no visit free today, the patient is told the nurse will still call today', async () => {
  // The seed's first slots are tomorrow (UTC).
  const { c, started, result } = await urgentToVisit(stack.base);
  assert.ok(result.bots.some((b) => /There is no free visit left today\. Our nurses will call you today at 15550102/.test(b.text)), JSON.stringify(result.bots));
  const [find] = await audits(started.conversation, 'scheduling.find_slots');
  assert.equal(find.same_day, true);
  assert.equal(find.outcome, 'none');
  assert.match(psql(stack, `SELECT string_agg(reason, ',') FROM escalations WHERE conversation_id = '${started.conversation}'`), /same_day_callback/);
  c.close();
});

test('urgent symptoms: a slot free later today is offered, and only today\'s', async (t) => {
  // A free slot in 90 minutes, if that is still today in London (the demo clinic's zone in the stack).
  const start = new Date(Math.ceil((Date.now() + 90 * 60000) / 60000) * 60000);
  const londonDay = (d) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(d);
  if (londonDay(start) !== londonDay(new Date())) return t.skip('too late in the day to add a slot for today');
  const slot = {
    resourceType: 'Slot',
    schedule: { reference: 'Schedule/sched-1' },
    status: 'free',
    serviceType: [{ coding: [{ system: 'urn:triage:test:service-type', code: 'general-practice' }] }],
    start: start.toISOString().replace('.000Z', 'Z'),
    end: new Date(start.getTime() + 20 * 60000).toISOString().replace('.000Z', 'Z'),
  };
  const created = await fetch(`${fhirA}/Slot`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(slot) });
  assert.equal(created.status, 201);
  const { id } = await created.json();
  try {
    const { c, started, result } = await urgentToVisit(stack.base);
    assert.match(result.last.text, /These times are free today/, JSON.stringify(result.bots));
    const times = result.last.quick_replies.filter((q) => q.value !== 'other_day');
    assert.equal(times.length, 1, 'only the slot of today');
    const [find] = await audits(started.conversation, 'scheduling.find_slots');
    assert.deepEqual(find.slots, [`Slot/${id}`]);
    c.close();
  } finally {
    await fetch(`${fhirA}/Slot/${id}`, { method: 'DELETE' });
  }
});

test('a patient who leaves while a time is held for them (IHE $hold) lets it go at once', async () => {
  const { c, say, started, turn } = await toOffers(stack.base, PATIENTS.maria, { day: weekday(13), type: 'Video visit' });
  const confirm = await say(turn.last.quick_replies[0].value);
  assert.match(confirm.last.text, /Shall I book/);
  const [hold] = await audits(started.conversation, 'scheduling.hold_slot');
  assert.equal(hold.outcome, 'held');
  assert.equal((await fhirGet(fhirA, hold.slot)).status, 'busy-tentative');
  c.ws.terminate();
  // The server notices the closed socket and releases the hold; wait for the slot to be free.
  let status;
  for (let i = 0; i < 100 && status !== 'free'; i++) {
    status = (await fhirGet(fhirA, hold.slot)).status;
    if (status !== 'free') await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(status, 'free', 'the held slot is free again well before the hold would expire');
  const released = psql(stack, `SELECT detail->>'reason' FROM audit_events WHERE action = 'scheduling.release_hold' AND detail->>'conversation' = '${started.conversation}'`);
  assert.equal(released, 'patient_left');
});

