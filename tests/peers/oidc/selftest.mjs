// Self-test for provider.mjs, over plain HTTP with fetch (no browser): starts the provider twice
// (ID tokens RS256, then ES256), drives the real login form, verifies every signature with
// node:crypto against the published JWKS, and stops what it started by PID.
//   node tests/peers/oidc/selftest.mjs        exit 0 when every check passes
import { spawn } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CALLBACK = 'http://127.0.0.1:9/staff/callback'; // never contacted: we stop at the redirect
const FHIR = 'http://127.0.0.1:9/fhir/R4';
let checks = 0;

function check(cond, what, detail) {
  if (!cond) throw new Error(`FAILED: ${what}${detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
  checks += 1;
  console.log(`  ok  ${what}`);
}

const b64u = (b) => Buffer.from(b).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

// --- JWT helpers: what a relying party does, with node:crypto only ---------------------------
const HASH = { RS256: 'sha256', ES256: 'sha256', RS384: 'sha384', ES384: 'sha384' };
const KTY = { RS256: 'RSA', RS384: 'RSA', ES256: 'EC', ES384: 'EC' };

function signJwt(header, payload, key) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  // JWS ECDSA signatures are raw R||S (IEEE P1363), not the DER node produces by default.
  const sig = sign(HASH[header.alg], Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64u(sig)}`;
}

// Verifies against the JWKS: key chosen by kid, alg allow-listed and matching the key's type and pin.
function verifyJwt(jwt, jwks, allowedAlgs) {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  if (!allowedAlgs.includes(header.alg)) throw new Error(`alg ${header.alg} not allowed`);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`unknown kid ${header.kid}`);
  if (jwk.kty !== KTY[header.alg] || (jwk.alg && jwk.alg !== header.alg)) throw new Error('alg does not match key');
  const ok = verify(HASH[header.alg], Buffer.from(`${h}.${p}`), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) throw new Error('bad signature');
  return { header, payload: JSON.parse(Buffer.from(p, 'base64url')) };
}

// --- A browser-ish HTTP client: cookie jar (path-scoped) and manual redirects ------------------
class Browser {
  jar = new Map(); // name -> { value, path }

  async fetch(url, init = {}) {
    const u = new URL(url);
    const cookie = [...this.jar].filter(([, c]) => u.pathname.startsWith(c.path)).map(([n, c]) => `${n}=${c.value}`).join('; ');
    const res = await fetch(u, { ...init, redirect: 'manual', headers: { ...init.headers, ...(cookie ? { cookie } : {}) } });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((x) => x.trim());
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) || '/';
      const expires = attrs.find((a) => /^expires=/i.test(a));
      if (!value || (expires && Date.parse(expires.slice(8)) < Date.now())) this.jar.delete(name);
      else this.jar.set(name, { value, path });
    }
    return res;
  }

  // Follows redirects until a page is shown or the browser is sent to `stopAt` (the RP).
  async follow(url, stopAt, init) {
    let res = await this.fetch(url, init);
    for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops += 1) {
      const next = new URL(res.headers.get('location'), url).href;
      if (next.startsWith(stopAt)) return { res, url: next };
      url = next;
      res = await this.fetch(url);
    }
    return { res, url };
  }
}

const form = (o) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });

async function tokenRequest(cfg, params, basic) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
  const res = await fetch(cfg.token_endpoint, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  return { status: res.status, body: await res.json() };
}

// --- Provider process -----------------------------------------------------------------------
async function startProvider(idTokenAlg) {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-selftest-'));
  const child = spawn(process.execPath, [join(here, 'provider.mjs'), '--dir', dir, '--redirect-uri', CALLBACK,
    '--fhir-audience', FHIR, '--id-token-alg', idTokenAlg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((ok) => child.once('exit', ok));
  // As long as tests/peers/stack.sh waits for it (wait_ready, 120 s): on a loaded machine the
  // provider's start has taken over 15 s, and the loop ends at once if the provider exits.
  for (let i = 0; i < 1200 && !existsSync(join(dir, 'oidc.json')); i += 1) {
    if (child.exitCode !== null) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  if (!existsSync(join(dir, 'oidc.json'))) { child.kill('SIGTERM'); throw new Error(`provider did not start:\n${stderr}`); }
  const cfg = JSON.parse(readFileSync(join(dir, 'oidc.json'), 'utf8'));
  return {
    cfg, dir, pid: child.pid, stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) process.kill(child.pid, 'SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- Checks ---------------------------------------------------------------------------------
async function checkDiscoveryAndJwks(cfg, dir) {
  const d = await (await fetch(cfg.discovery)).json();
  check(d.issuer === cfg.issuer, 'discovery issuer matches', d.issuer);
  check(JSON.stringify(d.code_challenge_methods_supported) === '["S256"]', 'discovery: PKCE S256 only', d.code_challenge_methods_supported);
  check(['client_secret_basic', 'private_key_jwt'].every((m) => d.token_endpoint_auth_methods_supported.includes(m)), 'discovery: client_secret_basic and private_key_jwt');
  check(['RS384', 'ES384'].every((a) => d.token_endpoint_auth_signing_alg_values_supported.includes(a)), 'discovery: RS384 and ES384 client assertions');
  check(['RS256', 'ES256'].every((a) => d.id_token_signing_alg_values_supported.includes(a)), 'discovery: RS256 and ES256 ID tokens');
  check(d.end_session_endpoint === cfg.end_session_endpoint, 'discovery: end_session_endpoint', d.end_session_endpoint);
  check(d.scopes_supported.includes('triage') && d.claims_supported.includes('clinic') && d.claims_supported.includes('roles'), 'discovery: triage scope with clinic and roles claims');

  const jwks = await (await fetch(d.jwks_uri)).json();
  const rsa = jwks.keys.find((k) => k.kid === 'rsa-1');
  const ec = jwks.keys.find((k) => k.kid === 'ec-1');
  check(rsa?.kty === 'RSA' && rsa.alg === 'RS256', 'JWKS: rsa-1 is RSA RS256', rsa);
  check(ec?.kty === 'EC' && ec.crv === 'P-256' && ec.alg === 'ES256', 'JWKS: ec-1 is EC P-256 ES256', ec);
  check(jwks.keys.every((k) => !['d', 'p', 'q', 'dp', 'dq', 'qi'].some((m) => m in k)), 'JWKS: no private key members');
  // Compared member by member: the provider serves the same keys with members in another order.
  const canon = (set) => JSON.stringify(set.keys.map((k) => Object.fromEntries(Object.entries(k).sort())).sort((x, y) => x.kid.localeCompare(y.kid)));
  check(canon(JSON.parse(readFileSync(join(dir, 'jwks.json'), 'utf8'))) === canon(jwks), 'DIR/jwks.json holds the served JWKS', { file: readFileSync(join(dir, 'jwks.json'), 'utf8'), jwks });
  return jwks;
}

function pkcePair() {
  const verifier = b64u(randomBytes(32));
  return { verifier, challenge: b64u(createHash('sha256').update(verifier).digest()) };
}

function authorizeUrl(cfg, { state, nonce, challenge, prompt }) {
  const q = new URLSearchParams({ client_id: 'staff-console', response_type: 'code', scope: 'openid profile email triage', redirect_uri: CALLBACK, state, nonce });
  if (challenge) q.set('code_challenge', challenge), q.set('code_challenge_method', 'S256');
  if (prompt) q.set('prompt', prompt);
  return `${cfg.authorization_endpoint}?${q}`;
}

// Signs in through the real form; returns the code and the ID token (verified) and the browser.
async function signIn(cfg, jwks, idTokenAlg, user) {
  const b = new Browser();
  const console_ = cfg.clients['staff-console'];
  const state = b64u(randomBytes(12)), nonce = b64u(randomBytes(12));
  const { verifier, challenge } = pkcePair();

  let step = await b.follow(authorizeUrl(cfg, { state, nonce, challenge }), CALLBACK);
  const html = await step.res.text();
  check(step.res.status === 200 && /name="login"/.test(html) && /name="password"/.test(html) && />Sign in</.test(html), `${user.login}: authorize -> login form (login, password, "Sign in")`);
  const action = new URL(html.match(/action="([^"]+)"/)[1], step.url).href;

  const bad = await b.fetch(action, form({ login: user.login, password: 'wrong' }));
  const badHtml = await bad.text();
  check(bad.status === 401 && /Wrong login or password/.test(badHtml), `${user.login}: wrong password refused, form shown again`);

  step = await b.follow(action, CALLBACK, form({ login: user.login, password: user.password }));
  const cb = new URL(step.url);
  check(step.url.startsWith(CALLBACK) && cb.searchParams.get('code'), `${user.login}: login -> auto consent -> redirect with code`, step.url);
  check(cb.searchParams.get('state') === state && cb.searchParams.get('iss') === cfg.issuer, 'redirect carries state and iss (RFC 9207)');
  const code = cb.searchParams.get('code');

  const noBasic = await tokenRequest(cfg, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier, client_id: 'staff-console' });
  check(noBasic.status === 401 && noBasic.body.error === 'invalid_client', 'token without client secret refused', noBasic.body);
  // The code is single-use and the failed attempt above did not consume it (client auth fails first).
  const tok = await tokenRequest(cfg, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier }, ['staff-console', console_.client_secret]);
  check(tok.status === 200 && tok.body.id_token && tok.body.access_token, 'code + PKCE verifier + client_secret_basic -> tokens', tok.body);

  const { header, payload } = verifyJwt(tok.body.id_token, jwks, [idTokenAlg]);
  check(header.alg === idTokenAlg && header.kid === (idTokenAlg === 'RS256' ? 'rsa-1' : 'ec-1'), `ID token signed ${idTokenAlg} with kid ${header.kid}, signature verified`);
  check(payload.iss === cfg.issuer && payload.aud === 'staff-console' && payload.nonce === nonce, 'ID token iss, aud, nonce', payload);
  check(payload.exp > now() && payload.iat <= now() + 5 && payload.sub === user.sub, 'ID token exp, iat, sub', payload);
  check(payload.clinic === user.clinic && JSON.stringify(payload.roles) === JSON.stringify(user.roles) && payload.name === user.name,
    `ID token clinic=${payload.clinic} roles=${JSON.stringify(payload.roles)}`, payload);

  const ui = await (await fetch(cfg.userinfo_endpoint, { headers: { authorization: `Bearer ${tok.body.access_token}` } })).json();
  check(ui.sub === user.sub && ui.clinic === user.clinic, 'userinfo with the access token', ui);
  return { browser: b, idToken: tok.body.id_token };
}

async function checkPkceRules(cfg, browser) {
  const console_ = cfg.clients['staff-console'];
  // No code_challenge at all: refused at the authorization endpoint (redirected back with an error).
  let step = await browser.follow(authorizeUrl(cfg, { state: 's1', nonce: 'n1' }), CALLBACK);
  const err = new URL(step.url).searchParams;
  check(err.get('error') === 'invalid_request' && /PKCE/.test(err.get('error_description')), 'authorize without PKCE refused', step.url);

  // Signed-in session, consent recorded: a second authorize returns a code at once; a wrong verifier fails.
  const { challenge } = pkcePair();
  step = await browser.follow(authorizeUrl(cfg, { state: 's2', nonce: 'n2', challenge }), CALLBACK);
  const code = new URL(step.url).searchParams.get('code');
  check(code, 'existing session: authorize -> code without the form');
  const wrong = await tokenRequest(cfg, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: pkcePair().verifier }, ['staff-console', console_.client_secret]);
  check(wrong.status === 400 && wrong.body.error === 'invalid_grant', 'token with wrong code_verifier refused', wrong.body);
}

async function checkLogout(cfg, browser, idToken) {
  const postLogout = cfg.clients['staff-console'].post_logout_redirect_uris[0];
  const q = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: postLogout, state: 'bye' });
  const page = await browser.fetch(`${cfg.end_session_endpoint}?${q}`);
  const html = await page.text();
  check(page.status === 200 && />Sign out</.test(html), 'end_session shows a "Sign out" confirmation');
  const xsrf = html.match(/name="xsrf" value="([^"]+)"/)[1];
  const action = html.match(/action="([^"]+)"/)[1];
  const step = await browser.follow(action, postLogout, form({ xsrf, logout: 'yes' }));
  check(step.url === `${postLogout}?state=bye`, 'logout -> post_logout_redirect_uri with state', step.url);
  const after = await browser.follow(authorizeUrl(cfg, { state: 's3', nonce: 'n3', challenge: pkcePair().challenge, prompt: 'none' }), CALLBACK);
  check(new URL(after.url).searchParams.get('error') === 'login_required', 'after logout, prompt=none -> login_required', after.url);
}

function assertion(cfg, clientId, alg, kid, key, extra = {}) {
  return signJwt({ alg, kid, typ: 'JWT' }, { iss: clientId, sub: clientId, aud: cfg.token_endpoint, iat: now(), exp: now() + 240, jti: b64u(randomBytes(16)), ...extra }, key);
}

async function checkBackendServices(cfg, jwks) {
  const scope = 'system/Slot.read system/Appointment.write system/Patient.read';
  for (const clientId of ['fhir-backend', 'fhir-backend-es']) {
    const c = cfg.clients[clientId];
    const alg = c.token_endpoint_auth_signing_alg;
    const key = createPrivateKey(readFileSync(c.private_key_file));
    const ccParams = (a, s = scope) => ({ grant_type: 'client_credentials', scope: s, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a });

    const a = assertion(cfg, clientId, alg, c.kid, key);
    const ok = await tokenRequest(cfg, ccParams(a));
    check(ok.status === 200 && ok.body.token_type === 'Bearer' && ok.body.scope === scope, `${clientId}: client_credentials with ${alg} private_key_jwt`, ok.body);
    const at = verifyJwt(ok.body.access_token, jwks, ['RS256']);
    check(at.header.typ === 'at+jwt' && at.payload.aud === FHIR && at.payload.iss === cfg.issuer && at.payload.client_id === clientId && at.payload.scope === scope && at.payload.exp - at.payload.iat <= 300,
      `${clientId}: access token is a verified at+jwt for the FHIR audience, <= 5 min`, at);

    const replay = await tokenRequest(cfg, ccParams(a));
    check(replay.status === 401 && replay.body.error === 'invalid_client', `${clientId}: replayed assertion (same jti) refused`, replay.body);

    // Same kid and alg, but a key the provider has never seen.
    const stranger = alg === 'RS384' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const wrong = await tokenRequest(cfg, ccParams(assertion(cfg, clientId, alg, c.kid, stranger.privateKey)));
    check(wrong.status === 401 && wrong.body.error === 'invalid_client', `${clientId}: assertion signed with the wrong key refused`, wrong.body);

    const badAud = await tokenRequest(cfg, ccParams(assertion(cfg, clientId, alg, c.kid, key, { aud: 'http://elsewhere.test/token' })));
    check(badAud.status === 401 && badAud.body.error === 'invalid_client', `${clientId}: assertion for another audience refused`, badAud.body);

    const narrow = await tokenRequest(cfg, ccParams(assertion(cfg, clientId, alg, c.kid, key), 'system/Slot.read system/Patient.write'));
    check(narrow.status === 200 && narrow.body.scope === 'system/Slot.read', `${clientId}: unregistered scope left out of the token`, narrow.body);
  }
  // An RS384 client may not authenticate with another alg (its alg is pinned).
  const c = cfg.clients['fhir-backend'];
  const rs256 = await tokenRequest(cfg, { grant_type: 'client_credentials', scope, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion(cfg, 'fhir-backend', 'RS256', c.kid, createPrivateKey(readFileSync(c.private_key_file))) });
  check(rs256.status === 401 && rs256.body.error === 'invalid_client', 'fhir-backend: RS256 assertion refused (pinned RS384)', rs256.body);
}

async function run(idTokenAlg, user) {
  console.log(`\n== provider with --id-token-alg ${idTokenAlg} (user ${user.login})`);
  const p = await startProvider(idTokenAlg);
  try {
    console.log(`  started pid ${p.pid} at ${p.cfg.issuer}`);
    const jwks = await checkDiscoveryAndJwks(p.cfg, p.dir);
    const u = p.cfg.users.find((x) => x.login === user.login);
    check(u && u.clinic === user.clinic, `oidc.json lists ${user.login}`);
    const { browser, idToken } = await signIn(p.cfg, jwks, idTokenAlg, u);
    await checkPkceRules(p.cfg, browser);
    await checkLogout(p.cfg, browser, idToken);
    await checkBackendServices(p.cfg, jwks);
  } catch (err) {
    console.error(`provider stderr:\n${p.stderr()}`);
    throw err;
  } finally {
    await p.stop();
    console.log(`  stopped pid ${p.pid}`);
  }
}

try {
  await run('RS256', { login: 'frontdesk@demo.test', clinic: 'demo' });
  await run('ES256', { login: 'frontdesk@other.test', clinic: 'other' });
  console.log(`\nPASS: ${checks} checks`);
} catch (err) {
  console.error(`\n${err.message}`);
  process.exit(1);
}
