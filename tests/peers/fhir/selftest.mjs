#!/usr/bin/env node
// Self-test of the FHIR scheduling test server: starts server.mjs three times
// (IHE on, IHE on with a 1 s hold time for the expiry check, --no-ihe), checks
// every feature over real HTTP with fetch, stops the servers by PID, and exits
// 0 only if every check passed.
//
// Usage: node tests/peers/fhir/selftest.mjs

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedStartDay } from './seed.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'fhir-selftest-'));
const children = [];
let passed = 0;
let failed = 0;

function check(name, cond, detail) {
  if (cond) {
    passed++;
    console.log(`ok   - ${name}`);
  } else {
    failed++;
    console.log(`FAIL - ${name}${detail !== undefined ? `: ${typeof detail === 'string' ? detail : JSON.stringify(detail).slice(0, 400)}` : ''}`);
  }
}

async function start(name, extra) {
  const portFile = join(tmp, `${name}.port`);
  const child = spawn(process.execPath, [join(here, 'server.mjs'), '--port-file', portFile, ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  for (let i = 0; i < 200 && !existsSync(portFile); i++) {
    if (child.exitCode !== null) throw new Error(`${name} server exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const base = `http://127.0.0.1:${readFileSync(portFile, 'utf8')}`;
  return { base, fhir: `${base}/fhir`, pid: child.pid };
}

// fetch returning { status, headers, body (parsed JSON or undefined), ms }.
async function http(method, url, body, headers = {}) {
  const t0 = Date.now();
  const r = await fetch(url, {
    method,
    headers: { Accept: 'application/fhir+json', ...(body ? { 'Content-Type': 'application/fhir+json' } : {}), ...headers },
    body: typeof body === 'string' ? body : body ? JSON.stringify(body) : undefined, // strings go raw (bad-JSON test)
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : undefined, ms: Date.now() - t0 };
}
const isOO = (r) => r.body?.resourceType === 'OperationOutcome' && r.body.issue?.length > 0;
const params = (...p) => ({ resourceType: 'Parameters', parameter: p });
const ids = (bundle) => (bundle.entry ?? []).map((e) => e.resource.id);

// A date range covering the first seeded weekday (a full day of 24 slots).
let firstDay = seedStartDay(new Date());
while (firstDay.getUTCDay() === 0 || firstDay.getUTCDay() === 6) firstDay = new Date(firstDay.getTime() + 86400000);
const dayStart = firstDay.toISOString().replace('.000Z', 'Z');
const dayEnd = new Date(firstDay.getTime() + 86400000).toISOString().replace('.000Z', 'Z');

async function testCore(s) {
  const { fhir } = s;
  // --- metadata
  let r = await http('GET', `${fhir}/metadata`);
  const rest = r.body?.rest?.[0];
  const res = (t) => rest?.resource?.find((x) => x.type === t);
  check('metadata: 200 CapabilityStatement, FHIR 4.0.1', r.status === 200 && r.body.resourceType === 'CapabilityStatement' && r.body.fhirVersion === '4.0.1');
  check('metadata: Slot search params schedule/status/start/service-type', ['schedule', 'status', 'start', 'service-type'].every((n) => res('Slot')?.searchParam?.some((p) => p.name === n)));
  check('metadata: Appointment and Patient search params listed', res('Appointment')?.searchParam?.some((p) => p.name === 'slot') && res('Patient')?.searchParam?.some((p) => p.name === 'identifier'));
  check('metadata: Appointment operations $find/$hold/$book', ['find', 'hold', 'book'].every((n) => res('Appointment')?.operation?.some((o) => o.name === n)));
  check('metadata: transaction and batch interactions', ['transaction', 'batch'].every((c) => rest?.interaction?.some((i) => i.code === c)));

  // --- validation
  r = await http('POST', `${fhir}/Patient`, { resourceType: 'Patient', foo: 1 });
  check('validation: unknown element -> 400 OperationOutcome', r.status === 400 && isOO(r), r.body);
  r = await http('POST', `${fhir}/Slot`, { resourceType: 'Slot', status: 'free' });
  check('validation: Slot missing schedule/start/end -> 400 with 3 issues', r.status === 400 && r.body.issue?.length === 3, r.body);
  r = await http('PUT', `${fhir}/Patient/pat-1`, { resourceType: 'Patient', id: 'pat-1', birthDate: '1980-13-45' });
  check('validation: bad date on update -> 400', r.status === 400 && isOO(r), r.body);
  r = await http('POST', `${fhir}/Patient`, '{not json');
  check('invalid JSON body -> 400 OperationOutcome', r.status === 400 && isOO(r));
  r = await http('GET', `${fhir}/NoSuchType?x=1`);
  check('unknown resource type -> 404 OperationOutcome', r.status === 404 && isOO(r));

  // --- create: client id ignored, Location and ETag headers
  r = await http('POST', `${fhir}/Patient`, { resourceType: 'Patient', id: 'client-chosen', name: [{ family: 'Test' }] });
  check('create: 201 with server-assigned id (client id ignored)', r.status === 201 && r.body.id && r.body.id !== 'client-chosen', r.body);
  check('create: Location and ETag headers', /\/fhir\/Patient\/[^/]+\/_history\//.test(r.headers.get('location') ?? '') && /^W\/"[^"]+"$/.test(r.headers.get('etag') ?? ''));

  // --- conditional create
  const tcPatient = { resourceType: 'Patient', identifier: [{ system: 'urn:triage:test:mrn', value: 'COND-1' }], name: [{ family: 'Cond' }] };
  const r1 = await http('POST', `${fhir}/Patient`, tcPatient, { 'If-None-Exist': 'identifier=urn:triage:test:mrn|COND-1' });
  const r2 = await http('POST', `${fhir}/Patient`, tcPatient, { 'If-None-Exist': 'identifier=urn:triage:test:mrn|COND-1' });
  check('conditional create: 201 then 200 with the same id', r1.status === 201 && r2.status === 200 && r1.body.id === r2.body.id, [r1.status, r2.status]);
  // 20 concurrent conditional creates: serialisation means exactly one is stored.
  const conc = await Promise.all(Array.from({ length: 20 }, () => http('POST', `${fhir}/Patient`, { ...tcPatient, identifier: [{ system: 'urn:triage:test:mrn', value: 'COND-2' }] }, { 'If-None-Exist': 'identifier=urn:triage:test:mrn|COND-2' })));
  r = await http('GET', `${fhir}/Patient?identifier=urn:triage:test:mrn|COND-2`);
  check('conditional create: 20 concurrent -> one 201, one resource stored', conc.filter((x) => x.status === 201).length === 1 && r.body.total === 1);

  // --- If-Match
  r = await http('GET', `${fhir}/Patient/pat-2`);
  const etag = r.headers.get('etag');
  const pat2 = r.body;
  check('read: ETag matches meta.versionId', etag === `W/"${pat2.meta.versionId}"`);
  r = await http('PUT', `${fhir}/Patient/pat-2`, { ...pat2, gender: 'unknown' }, { 'If-Match': 'W/"stale-version"' });
  check('If-Match stale (W/"...") -> 412 OperationOutcome', r.status === 412 && isOO(r), r.body);
  r = await http('PUT', `${fhir}/Patient/pat-2`, { ...pat2, gender: 'unknown' }, { 'If-Match': 'stale-version' });
  check('If-Match stale (unquoted) -> 412', r.status === 412 && isOO(r));
  r = await http('PUT', `${fhir}/Patient/pat-2`, { ...pat2, gender: 'unknown' }, { 'If-Match': `"${pat2.meta.versionId}"` });
  check('If-Match current ("v") -> 200 with a new ETag', r.status === 200 && r.headers.get('etag') !== etag, r.body);
  r = await http('PUT', `${fhir}/Patient/pat-2`, { ...pat2, gender: 'male' }, { 'If-Match': etag });
  check('If-Match with the now stale first ETag -> 412', r.status === 412);
  r = await http('DELETE', `${fhir}/Patient/pat-5`, undefined, { 'If-Match': 'W/"nope"' });
  check('If-Match stale on DELETE -> 412', r.status === 412);
  r = await http('GET', `${fhir}/Patient/pat-2/_history`);
  check('history: versions newest first', r.status === 200 && r.body.entry?.length === 2 && r.body.entry[0].resource.gender === 'unknown');

  // --- search + paging
  const q = `schedule=Schedule/sched-1&status=free&start=ge${dayStart}&start=lt${dayEnd}&_sort=start&_count=10`;
  r = await http('GET', `${fhir}/Slot?${q}`);
  const next = r.body.link?.find((l) => l.relation === 'next')?.url;
  check('search Slot by schedule/status/start range: total 24, page of 10', r.status === 200 && r.body.total === 24 && r.body.entry?.length === 10, { total: r.body.total, n: r.body.entry?.length });
  check('search: first page sorted by start, entries have fullUrl', r.body.entry?.[0]?.resource.start === dayStart.replace('T00:00:00Z', 'T09:00:00Z') && r.body.entry.every((e) => e.fullUrl?.startsWith(fhir)));
  const seen = new Set(ids(r.body));
  let url = next;
  let pages = 1;
  while (url) {
    const p = await http('GET', url);
    ids(p.body).forEach((i) => seen.add(i));
    url = p.body.link?.find((l) => l.relation === 'next')?.url;
    pages++;
  }
  check('paging: following next links gives 3 pages, 24 distinct slots', pages === 3 && seen.size === 24, { pages, n: seen.size });
  r = await http('GET', `${fhir}/Slot?schedule=Schedule/sched-1`);
  check('search without _count is paged (default 50) with a next link', r.body.entry?.length === 50 && r.body.link?.some((l) => l.relation === 'next'));
  r = await http('GET', `${fhir}/Slot?service-type=urn:triage:test:service-type|vaccination&_summary=count`);
  check('search Slot by service-type system|code, _summary=count', r.body.total === 360 && !r.body.entry, r.body.total);
  r = await http('GET', `${fhir}/Slot?start=ge${encodeURIComponent(dayStart.replace('Z', '+00:00'))}&start=lt${dayEnd}&_summary=count`);
  check('search start with encoded +00:00 offset', r.body.total === 72, r.body.total);
  r = await fetch(`${fhir}/Slot/_search`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `schedule=Schedule/sched-2&start=ge${dayStart}&start=lt${dayEnd}&_count=5` });
  const ps = await r.json();
  check('POST Slot/_search (form body) is paged like GET', r.status === 200 && ps.total === 24 && ps.entry?.length === 5 && ps.link?.some((l) => l.relation === 'next'), ps.total);
  r = await http('PUT', `${fhir}/Patient/client-put-1`, { resourceType: 'Patient', id: 'client-put-1', name: [{ family: 'Put' }] });
  check('update-as-create (PUT new id) -> 201 with Location', r.status === 201 && (r.headers.get('location') ?? '').includes('/Patient/client-put-1/_history/'));
  r = await http('GET', `${fhir}/Patient?identifier=urn:triage:test:mrn|MRN-0001`);
  check('search Patient by identifier system|value', r.body.total === 1 && r.body.entry[0].resource.id === 'pat-1');
  r = await http('GET', `${fhir}/Patient?family=Morgan&given=Alex&birthdate=1990-06-01`);
  check('seed: two patients share name and birth date (ambiguous)', r.body.total === 2);

  // --- transactions
  const txOk = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: { resourceType: 'Patient', identifier: [{ system: 'urn:triage:test:mrn', value: 'TX-OK' }] }, request: { method: 'POST', url: 'Patient' } },
      {
        resource: { resourceType: 'Appointment', status: 'proposed', participant: [{ actor: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' }, status: 'needs-action' }] },
        request: { method: 'POST', url: 'Appointment' },
      },
    ],
  };
  r = await http('POST', fhir, txOk);
  const apptRef = r.body?.entry?.[1]?.resource?.participant?.[0]?.actor?.reference ?? '';
  check('transaction: 200, urn:uuid reference rewritten to Patient/id', r.status === 200 && r.body.type === 'transaction-response' && /^Patient\/[^/]+$/.test(apptRef), r.body);
  const txBad = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:triage:test:mrn', value: 'TX-HALF' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Slot', status: 'free' }, request: { method: 'POST', url: 'Slot' } },
    ],
  };
  r = await http('POST', fhir, txBad);
  check('transaction with an invalid 2nd entry -> 400 OperationOutcome', r.status === 400 && isOO(r), r.status);
  r = await http('GET', `${fhir}/Patient?identifier=urn:triage:test:mrn|TX-HALF`);
  check('failed transaction left nothing behind', r.body.total === 0, r.body.total);
  r = await http('GET', `${fhir}/Patient/pat-1`);
  const txStale = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:triage:test:mrn', value: 'TX-412' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: { ...r.body, gender: 'unknown' }, request: { method: 'PUT', url: 'Patient/pat-1', ifMatch: 'stale' } },
    ],
  };
  const r412 = await http('POST', fhir, txStale);
  r = await http('GET', `${fhir}/Patient?identifier=urn:triage:test:mrn|TX-412`);
  check('transaction with stale ifMatch -> 412, nothing stored', r412.status === 412 && r.body.total === 0, [r412.status, r.body.total]);
  const batch = { ...txBad, type: 'batch' };
  r = await http('POST', fhir, batch);
  check('batch: per-entry results (201 then 400)', r.status === 200 && r.body.entry?.[0]?.response?.status === '201' && r.body.entry?.[1]?.response?.status === '400', r.body);
}

async function testIhe(s) {
  const { fhir } = s;
  const gp = { name: 'service-type', valueToken: 'urn:triage:test:service-type|general-practice' };
  // $find
  let r = await http('POST', `${fhir}/Appointment/$find`, params({ name: 'start', valueDateTime: dayStart }, { name: 'end', valueDateTime: dayEnd }, gp, { name: '_count', valueInteger: 5 }));
  const found = (r.body?.entry ?? []).map((e) => e.resource);
  check('$find: Bundle of 5 proposed Appointments, each with one slot', r.status === 200 && found.length === 5 && found.every((a) => a.status === 'proposed' && a.slot?.length === 1), r.body);
  check('$find: general practice from sched-1 and sched-2 (48 matching slots)', r.body.total === 48, r.body.total);
  r = await http('POST', `${fhir}/Appointment/$find`, params({ name: 'start', valueDateTime: dayStart }, { name: 'end', valueDateTime: dayEnd }, gp, { name: 'location', valueReference: { reference: 'Location/loc-2' } }));
  check('$find: location filter -> only Dr Haddad (24 slots)', r.body.total === 24 && r.body.entry.every((e) => e.resource.slot[0].reference.startsWith('Slot/slot-2-')), r.body.total);
  r = await http('POST', `${fhir}/Appointment/$find`, params({ name: 'start', valueDateTime: dayStart }, { name: 'end', valueDateTime: dayEnd }, { name: 'service-type', valueCoding: { system: 'urn:triage:test:service-type', code: 'vaccination' } }, { name: '_count', valueInteger: 1 }));
  check('$find: service-type as valueCoding (vaccination -> 24 slots of Dr Haddad)', r.body.total === 24, r.body.total);
  r = await http('GET', `${fhir}/Appointment/$find?start=${dayStart}&end=${dayEnd}&practitioner=Practitioner/prac-3&_count=3`);
  check('$find via GET with practitioner filter', r.status === 200 && r.body.entry?.length === 3 && r.body.entry.every((e) => e.resource.slot[0].reference.startsWith('Slot/slot-3-')), r.body);

  // $hold
  const proposal = found[0];
  const slotRef = proposal.slot[0].reference;
  const withPatient = { ...proposal, participant: [...proposal.participant, { actor: { reference: 'Patient/pat-1' }, status: 'accepted' }] };
  r = await http('POST', `${fhir}/Appointment/$hold`, params({ name: 'appointment-resource', resource: withPatient }));
  const held = r.body;
  check('$hold: 200, stored pending Appointment referencing the slot', r.status === 200 && held.id && held.status === 'pending' && held.slot[0].reference === slotRef, r.body);
  r = await http('GET', `${fhir}/${slotRef}`);
  check('$hold: slot is busy-tentative', r.body.status === 'busy-tentative', r.body.status);
  r = await http('POST', `${fhir}/Appointment/$hold`, params({ name: 'appointment-resource', resource: withPatient }));
  check('$hold on a held slot -> 409 OperationOutcome', r.status === 409 && isOO(r), r.status);
  r = await http('POST', `${fhir}/Appointment/$book`, params({ name: 'appointment-resource', resource: withPatient }));
  check('$book of a new appointment on a slot held by another -> 409', r.status === 409 && isOO(r), r.status);
  r = await http('POST', `${fhir}/Appointment/$find`, params({ name: 'start', valueDateTime: dayStart }, { name: 'end', valueDateTime: dayEnd }, gp, { name: '_count', valueInteger: 100 }));
  check('$find no longer offers the held slot', r.body.total === 47 && !r.body.entry.some((e) => e.resource.slot[0].reference === slotRef), r.body.total);

  // $book the hold
  r = await http('POST', `${fhir}/Appointment/$book`, params({ name: 'appointment-reference', valueReference: { reference: `Appointment/${held.id}` } }));
  check('$book of the held appointment: 200 booked, same id', r.status === 200 && r.body.status === 'booked' && r.body.id === held.id, r.body);
  r = await http('GET', `${fhir}/${slotRef}`);
  check('$book: slot is busy', r.body.status === 'busy');
  r = await http('GET', `${fhir}/Appointment?slot=${slotRef}&status=booked`);
  check('Appointment?slot=&status=booked finds it', r.body.total === 1 && r.body.entry[0].resource.id === held.id);
  r = await http('POST', `${fhir}/Appointment/$book`, params({ name: 'appointment-reference', valueReference: { reference: `Appointment/${held.id}` } }));
  check('$book again -> 409 (already booked)', r.status === 409 && isOO(r));
  r = await http('POST', `${fhir}/Appointment/$hold`, params({ name: 'appointment-resource', resource: { ...withPatient, slot: [{ reference: 'Slot/nope' }] } }));
  check('$hold with an unknown slot -> 400', r.status === 400 && isOO(r));
  r = await http('POST', `${fhir}/Appointment/$book`, params({ name: 'appointment-resource', resource: { ...withPatient, slot: [{ reference: found[1].slot[0].reference }], participant: [] } }));
  check('$book with an invalid Appointment (no participant) -> 400, slot stays free', r.status === 400 && (await http('GET', `${fhir}/${found[1].slot[0].reference}`)).body.status === 'free');

  // 20 parallel $book on one free slot -> exactly one booked
  const target = found[2];
  const appt = { ...target, participant: [...target.participant, { actor: { reference: 'Patient/pat-2' }, status: 'accepted' }] };
  const results = await Promise.all(Array.from({ length: 20 }, () => http('POST', `${fhir}/Appointment/$book`, params({ name: 'appointment-resource', resource: appt })))) ;
  const codes = results.map((x) => x.status);
  r = await http('GET', `${fhir}/Appointment?slot=${target.slot[0].reference}`);
  check('20 parallel $book on one slot: one 200, nineteen 409', codes.filter((c) => c === 200).length === 1 && codes.filter((c) => c === 409).length === 19, codes.join(','));
  check('20 parallel $book: exactly one Appointment stored for the slot', r.body.total === 1 && r.body.entry[0].resource.status === 'booked', r.body.total);
}

async function testHoldExpiry(s) {
  const { fhir } = s;
  let r = await http('GET', `${fhir}/Appointment/$find?start=${dayStart}&end=${dayEnd}&practitioner=prac-1&_count=1`);
  const proposal = { ...r.body.entry[0].resource };
  proposal.participant = [...proposal.participant, { actor: { reference: 'Patient/pat-3' }, status: 'accepted' }];
  const slotRef = proposal.slot[0].reference;
  r = await http('POST', `${fhir}/Appointment/$hold`, params({ name: 'appointment-resource', resource: proposal }));
  const held = r.body;
  check('expiry: $hold with --hold-seconds 1 -> pending', r.status === 200 && held.status === 'pending');
  await new Promise((res) => setTimeout(res, 1500));
  r = await http('GET', `${fhir}/${slotRef}`);
  check('expiry: after 1.5 s the slot is free again', r.body.status === 'free', r.body.status);
  r = await http('GET', `${fhir}/Appointment/${held.id}`);
  check('expiry: the held Appointment is cancelled', r.body.status === 'cancelled', r.body.status);
  r = await http('POST', `${fhir}/Appointment/$hold`, params({ name: 'appointment-resource', resource: proposal }));
  check('expiry: another client can hold the released slot', r.status === 200);
}

async function testHooks(s) {
  const { base, fhir } = s;
  let r = await http('POST', `${base}/__test/delay?ms=300`);
  r = await http('GET', `${fhir}/Patient/pat-1`);
  check('hook delay: responses take >= 300 ms', r.status === 200 && r.ms >= 300, r.ms);
  await http('POST', `${base}/__test/delay?ms=0`);
  await http('POST', `${base}/__test/fail?status=503&count=2`);
  const f1 = await http('GET', `${fhir}/Patient/pat-1`);
  const f2 = await http('POST', `${fhir}/Patient`, { resourceType: 'Patient', identifier: [{ system: 'urn:triage:test:mrn', value: 'FAILED' }] });
  const f3 = await http('GET', `${fhir}/Patient/pat-1`);
  check('hook fail: next 2 requests 503 OperationOutcome with Retry-After, 3rd OK', f1.status === 503 && f2.status === 503 && isOO(f1) && f1.headers.get('retry-after') === '1' && f3.status === 200);
  r = await http('GET', `${fhir}/Patient?identifier=urn:triage:test:mrn|FAILED`);
  check('hook fail: a failed create stored nothing', r.body.total === 0);
  r = await http('GET', `${base}/__test/requests`);
  const log = r.body.requests;
  check('hook requests: log has method, path, status (incl. the 503s)', log.some((e) => e.method === 'GET' && e.path === '/fhir/Patient/pat-1' && e.status === 503) && log.some((e) => e.method === 'POST' && e.status === 503));
  check('hook requests: /__test calls are not logged', !log.some((e) => e.path.startsWith('/__test')));
  r = await http('POST', `${base}/__test/reset`);
  r = await http('GET', `${fhir}/Patient?identifier=urn:triage:test:mrn|COND-1`);
  const slotsBooked = await http('GET', `${fhir}/Slot?status=busy,busy-tentative&_summary=count`);
  const pat2 = await http('GET', `${fhir}/Patient/pat-2`);
  check('hook reset: created data gone, slots free, edits undone', r.body.total === 0 && slotsBooked.body.total === 0 && pat2.body.gender === 'male');
  r = await http('GET', `${base}/__test/requests`);
  check('hook reset: request log cleared (only the 3 requests since reset)', r.body.requests.length === 3, r.body.requests.length);
  r = await http('GET', `${base}/__test/nope`);
  check('unknown hook -> 404', r.status === 404);
}

async function testNoIhe(s) {
  const { fhir } = s;
  let r = await http('GET', `${fhir}/metadata`);
  const appt = r.body.rest[0].resource.find((x) => x.type === 'Appointment');
  check('--no-ihe: metadata lists no operations', r.status === 200 && !appt.operation);
  for (const op of ['$find', '$hold', '$book']) {
    r = await http('POST', `${fhir}/Appointment/${op}`, params());
    check(`--no-ihe: POST Appointment/${op} -> 404 OperationOutcome`, r.status === 404 && isOO(r), r.status);
  }
  r = await http('GET', `${fhir}/Slot?schedule=Schedule/sched-2&status=free&_count=1`);
  check('--no-ihe: plain REST search still works', r.status === 200 && r.body.total === 360);
}

try {
  const t0 = Date.now();
  const [main, shortHold, noIhe] = await Promise.all([start('main', []), start('hold', ['--hold-seconds', '1']), start('noihe', ['--no-ihe'])]);
  console.log(`servers started in ${Date.now() - t0} ms (pids ${main.pid}, ${shortHold.pid}, ${noIhe.pid})`);
  console.log('# core REST');
  await testCore(main);
  console.log('# IHE scheduling operations');
  await testIhe(main);
  console.log('# hold expiry');
  await testHoldExpiry(shortHold);
  console.log('# test hooks');
  await testHooks(main);
  console.log('# --no-ihe');
  await testNoIhe(noIhe);
} catch (err) {
  failed++;
  console.log(`FAIL - exception: ${err.stack}`);
} finally {
  for (const c of children) if (c.exitCode === null) process.kill(c.pid, 'SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
