// Deterministic seed data for the FHIR scheduling test server.
//
// Everything has a fixed, readable id so tests can address resources directly
// (e.g. Schedule/sched-1, Slot/slot-1-20250106-0900). Dates are relative to
// "now" in UTC: the first slot day is tomorrow (UTC), so every seeded slot lies
// in the future whatever time the tests start, and a run near midnight UTC
// still gets 3 full weeks.

/** Code system of the service-type codes used on Slots, Schedules and HealthcareServices. */
export const SERVICE_TYPE_SYSTEM = 'urn:triage:test:service-type';
/** Identifier system of patient medical record numbers. */
export const MRN_SYSTEM = 'urn:triage:test:mrn';

export const SLOT_MINUTES = 20;
export const DAY_START_HOUR = 9; // 09:00 UTC, first slot
export const DAY_END_HOUR = 17; // 17:00 UTC, end of the last slot
export const SEED_DAYS = 21; // calendar days of slots, weekdays only (3 weeks)

const SERVICES = {
  'general-practice': { id: 'hs-gp', display: 'General practice' },
  vaccination: { id: 'hs-vacc', display: 'Vaccination' },
  telehealth: { id: 'hs-tele', display: 'Telehealth consultation' },
};

const serviceType = (code) => ({
  coding: [{ system: SERVICE_TYPE_SYSTEM, code, display: SERVICES[code].display }],
  text: SERVICES[code].display,
});

// Who works where, and which services their slots offer. Practitioner 2 offers
// two services on the same slots so a service-type search that matches one of
// several codings is exercised; practitioner 3 has no physical location.
const PRACTITIONERS = [
  { n: 1, family: 'Smith', given: 'Jane', prefix: 'Dr', location: 'loc-1', services: ['general-practice'] },
  { n: 2, family: 'Haddad', given: 'Omar', prefix: 'Dr', location: 'loc-2', services: ['general-practice', 'vaccination'] },
  { n: 3, family: 'Lee', given: 'Min', prefix: 'Dr', location: undefined, services: ['telehealth'] },
];

const pad = (n) => String(n).padStart(2, '0');

/** First slot day: tomorrow at 00:00 UTC. */
export function seedStartDay(now = new Date()) {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/**
 * Builds the seed as an array of resources with ids.
 * @param {Date} now - reference time; the same "now" date gives the same seed.
 */
export function buildSeed(now = new Date()) {
  const out = [];
  const org = { reference: 'Organization/org-1', display: 'Triage Test Health' };

  out.push({
    resourceType: 'Organization',
    id: 'org-1',
    active: true,
    name: 'Triage Test Health',
    identifier: [{ system: 'urn:triage:test:org', value: 'ORG-1' }],
  });

  out.push(
    {
      resourceType: 'Location',
      id: 'loc-1',
      status: 'active',
      name: 'Main Street Clinic',
      address: { line: ['1 Main Street'], city: 'Springfield', postalCode: '11111', country: 'US' },
      managingOrganization: org,
    },
    {
      resourceType: 'Location',
      id: 'loc-2',
      status: 'active',
      name: 'Riverside Clinic',
      address: { line: ['20 River Road'], city: 'Springfield', postalCode: '22222', country: 'US' },
      managingOrganization: org,
    }
  );

  for (const [code, s] of Object.entries(SERVICES)) {
    out.push({
      resourceType: 'HealthcareService',
      id: s.id,
      active: true,
      providedBy: org,
      type: [serviceType(code)],
      name: s.display,
      // Telehealth is not tied to a building.
      ...(code === 'telehealth' ? {} : { location: [{ reference: 'Location/loc-1' }, { reference: 'Location/loc-2' }] }),
    });
  }

  for (const p of PRACTITIONERS) {
    const pracRef = { reference: `Practitioner/prac-${p.n}`, display: `${p.prefix} ${p.given} ${p.family}` };
    const locRef = p.location ? [{ reference: `Location/${p.location}` }] : [];
    const hsRefs = p.services.map((c) => ({ reference: `HealthcareService/${SERVICES[c].id}` }));
    out.push({
      resourceType: 'Practitioner',
      id: `prac-${p.n}`,
      active: true,
      identifier: [{ system: 'urn:triage:test:practitioner', value: `P${p.n}` }],
      name: [{ family: p.family, given: [p.given], prefix: [p.prefix] }],
    });
    out.push({
      resourceType: 'PractitionerRole',
      id: `role-${p.n}`,
      active: true,
      practitioner: pracRef,
      organization: org,
      location: locRef,
      healthcareService: hsRefs,
      code: [{ text: 'Doctor' }],
    });
    out.push({
      resourceType: 'Schedule',
      id: `sched-${p.n}`,
      active: true,
      // The actors are what $find filters on (practitioner / location).
      actor: [pracRef, ...locRef, ...hsRefs],
      serviceType: p.services.map(serviceType),
      comment: `Weekdays ${pad(DAY_START_HOUR)}:00-${pad(DAY_END_HOUR)}:00 UTC, ${SLOT_MINUTES}-minute slots`,
    });
  }

  // Slots: weekdays only, 09:00-17:00 UTC, 20 minutes each, all free.
  const day0 = seedStartDay(now);
  for (let d = 0; d < SEED_DAYS; d++) {
    const day = new Date(day0.getTime() + d * 86400000);
    const wd = day.getUTCDay();
    if (wd === 0 || wd === 6) {
      continue;
    }
    const ymd = `${day.getUTCFullYear()}${pad(day.getUTCMonth() + 1)}${pad(day.getUTCDate())}`;
    for (const p of PRACTITIONERS) {
      for (let m = DAY_START_HOUR * 60; m < DAY_END_HOUR * 60; m += SLOT_MINUTES) {
        const start = new Date(day.getTime() + m * 60000);
        const end = new Date(start.getTime() + SLOT_MINUTES * 60000);
        out.push({
          resourceType: 'Slot',
          id: `slot-${p.n}-${ymd}-${pad(Math.floor(m / 60))}${pad(m % 60)}`,
          schedule: { reference: `Schedule/sched-${p.n}` },
          status: 'free',
          serviceType: p.services.map(serviceType),
          // Whole-second UTC "Z" times: Medplum sorts dates as text, so one format everywhere.
          start: start.toISOString().replace('.000Z', 'Z'),
          end: end.toISOString().replace('.000Z', 'Z'),
        });
      }
    }
  }

  // Patients. pat-3 and pat-4 share name and birth date (ambiguous demographic
  // match); only their MRN, phone and address tell them apart.
  const patients = [
    { id: 'pat-1', mrn: 'MRN-0001', family: 'Garcia', given: ['Maria'], birthDate: '1980-02-14', gender: 'female', phone: '+1-555-0101' },
    { id: 'pat-2', mrn: 'MRN-0002', family: 'Okafor', given: ['Chidi'], birthDate: '1975-11-30', gender: 'male', phone: '+1-555-0102' },
    { id: 'pat-3', mrn: 'MRN-0003', family: 'Morgan', given: ['Alex'], birthDate: '1990-06-01', gender: 'other', phone: '+1-555-0103', city: 'Springfield' },
    { id: 'pat-4', mrn: 'MRN-0004', family: 'Morgan', given: ['Alex'], birthDate: '1990-06-01', gender: 'other', phone: '+1-555-0104', city: 'Shelbyville' },
    { id: 'pat-5', mrn: 'MRN-0005', family: 'Nguyen', given: ['Linh', 'Thi'], birthDate: '2012-09-09', gender: 'female', phone: '+1-555-0105' },
  ];
  for (const p of patients) {
    out.push({
      resourceType: 'Patient',
      id: p.id,
      active: true,
      identifier: [{ use: 'usual', system: MRN_SYSTEM, value: p.mrn }],
      name: [{ use: 'official', family: p.family, given: p.given }],
      gender: p.gender,
      birthDate: p.birthDate,
      telecom: [
        { system: 'phone', value: p.phone, use: 'mobile' },
        { system: 'email', value: `${p.id}@example.test`, use: 'home' },
      ],
      ...(p.city ? { address: [{ city: p.city, country: 'US' }] } : {}),
    });
  }
  return out;
}
