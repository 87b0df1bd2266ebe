// A REAL OpenID Connect / OAuth 2.0 provider (panva's oidc-provider, OpenID-certified) for the
// staff sign-in tests and the SMART Backend Services (FHIR) tests. Everything is in memory and
// every key is generated at start, so each run is isolated; the tests learn the issuer, clients,
// users and key files from DIR/oidc.json (written last, atomically: its presence means "ready").
//
//   node provider.mjs --dir DIR --redirect-uri URI [--redirect-uri URI ...] --fhir-audience URL
//                     [--id-token-alg RS256|ES256] [--post-logout-uri URI ...]
//                     [--client-secret S] [--port N]
//
// See README.md next to this file for the clients, users and files.
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Provider, { errors } from 'oidc-provider';

// Each stage of the start is logged with its time since the process started, so that a slow start
// on a CI machine says where the time went (one once took over 30 s before it was ready).
const stage = (what) => process.stderr.write(`oidc provider: ${what} (${Math.round(performance.now())} ms)\n`);
stage('modules loaded');

const { values: opt } = parseArgs({
  options: {
    dir: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-uri': { type: 'string', multiple: true },
    'fhir-audience': { type: 'string' },
    'id-token-alg': { type: 'string', default: 'RS256' },
    'client-secret': { type: 'string' },
    port: { type: 'string', default: '0' },
  },
});
function usage(why) {
  process.stderr.write(`provider.mjs: ${why}\nusage: node provider.mjs --dir DIR --redirect-uri URI... --fhir-audience URL [--id-token-alg RS256|ES256]\n`);
  process.exit(2);
}
if (!opt.dir) usage('--dir is required');
if (!opt['redirect-uri']?.length) usage('at least one --redirect-uri is required (the staff console callback)');
// Required rather than defaulted: a made-up audience would let a FHIR server that checks `aud` pass by accident.
if (!opt['fhir-audience']) usage('--fhir-audience is required (the FHIR base URL the access tokens are for)');
if (!['RS256', 'ES256'].includes(opt['id-token-alg'])) usage('--id-token-alg must be RS256 or ES256');

const dir = opt.dir;
const redirectUris = opt['redirect-uri'];
const fhirAudience = opt['fhir-audience'];
const idTokenAlg = opt['id-token-alg'];
// Log out returns to the console's own origin unless told otherwise ("the same host" as the callbacks).
const postLogoutUris = opt['post-logout-uri']?.length
  ? opt['post-logout-uri']
  : [...new Set(redirectUris.map((u) => `${new URL(u).origin}/`))];
const clientSecret = opt['client-secret'] ?? randomBytes(24).toString('base64url');

// --- Keys -----------------------------------------------------------------------------------
// The provider's signing keys. `alg` is pinned on each JWK so a verifier can allow-list alg by kid
// and the provider never signs with the RSA key under another alg (PS256, ...).
function jwkPair(type, options, kid, alg) {
  const { privateKey, publicKey } = generateKeyPairSync(type, options);
  // Each pair is timed: a start that stalls here (seen twice under a loaded CI machine) names its key.
  stage(`key ${kid}`);
  const meta = { kid, alg, use: 'sig' };
  return {
    privateKey,
    privateJwk: { ...privateKey.export({ format: 'jwk' }), ...meta },
    publicJwk: { ...publicKey.export({ format: 'jwk' }), ...meta },
  };
}
const signing = [
  jwkPair('rsa', { modulusLength: 2048 }, 'rsa-1', 'RS256'),
  jwkPair('ec', { namedCurve: 'P-256' }, 'ec-1', 'ES256'),
];

// The FHIR backend clients' own key pairs. In real life the client generates them and registers only
// the public half; here we generate both so the tests (and the C++ FHIR adapter) can sign assertions.
// ES384 needs a P-384 key (the curve is tied to the alg).
const backendClients = [
  { client_id: 'fhir-backend', alg: 'RS384', kid: 'fhir-backend-rs384', file: 'fhir-backend-rs384.pem',
    pair: jwkPair('rsa', { modulusLength: 2048 }, 'fhir-backend-rs384', 'RS384') },
  { client_id: 'fhir-backend-es', alg: 'ES384', kid: 'fhir-backend-es384', file: 'fhir-backend-es384.pem',
    pair: jwkPair('ec', { namedCurve: 'P-384' }, 'fhir-backend-es384', 'ES384') },
];
stage('keys generated');
const backendScope = 'system/Slot.read system/Appointment.write system/Patient.read';

// --- Users ----------------------------------------------------------------------------------
// Password is "<local part>-pass". `sub` is stable across runs so tests can refer to it.
const users = [
  { login: 'frontdesk@demo.test', password: 'frontdesk-pass', sub: 'frontdesk-demo', name: 'Fran Desk', clinic: 'demo', roles: ['front_desk'] },
  { login: 'nurse@demo.test', password: 'nurse-pass', sub: 'nurse-demo', name: 'Nora Nurse', clinic: 'demo', roles: ['nurse'] },
  { login: 'admin@demo.test', password: 'admin-pass', sub: 'admin-demo', name: 'Ada Admin', clinic: 'demo', roles: ['clinic_admin'] },
  { login: 'auditor@demo.test', password: 'auditor-pass', sub: 'auditor-demo', name: 'Audrey Auditor', clinic: 'demo', roles: ['auditor'] },
  { login: 'frontdesk@other.test', password: 'frontdesk-pass', sub: 'frontdesk-other', name: 'Otto Other', clinic: 'other', roles: ['front_desk'] },
];
const bySub = new Map(users.map((u) => [u.sub, u]));

// Clients whose consent is implied (our own console): the consent prompt is answered without a page.
const firstParty = new Set(['staff-console']);

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// Plain pages with no external resources: the library's default pages @import Google Fonts,
// which a sandboxed browser test would try to fetch.
const page = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`;

// --- Server ---------------------------------------------------------------------------------
// Listen first: the issuer must contain the port, and port 0 is only known after listen.
const server = http.createServer();
await new Promise((ok, fail) => { server.once('error', fail); server.listen(Number(opt.port), '127.0.0.1', ok); });
const port = server.address().port;
stage(`listening on port ${port}`);
const issuer = `http://127.0.0.1:${port}`;

const isBackendClient = (client) => backendClients.some((b) => b.client_id === client?.clientId);

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'staff-console',
      client_secret: clientSecret,
      client_name: 'Triage staff console',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutUris,
      id_token_signed_response_alg: idTokenAlg,
      scope: 'openid profile email triage',
    },
    ...backendClients.map((b) => ({
      client_id: b.client_id,
      client_name: `FHIR adapter (${b.alg})`,
      token_endpoint_auth_method: 'private_key_jwt',
      // Pinned so an assertion signed with any other alg is refused ("alg mismatch").
      token_endpoint_auth_signing_alg: b.alg,
      jwks: { keys: [b.pair.publicJwk] },
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: backendScope,
    })),
  ],
  // The SMART scopes must be listed here too: a client's `scope` may only hold scopes the provider knows.
  scopes: ['openid', ...backendScope.split(' ')],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
    triage: ['clinic', 'roles'],
  },
  // Off so scope-granted claims (clinic, roles, name) go into the ID token of the code flow too;
  // with the default (true) they would only be served by the userinfo endpoint.
  conformIdTokenClaims: false,
  async findAccount(_ctx, sub) {
    const u = bySub.get(sub);
    if (!u) return undefined;
    return {
      accountId: u.sub,
      async claims() {
        return { sub: u.sub, name: u.name, email: u.login, email_verified: true, clinic: u.clinic, roles: u.roles };
      },
    };
  },
  jwks: { keys: signing.map((k) => k.privateJwk) },
  pkce: { required: () => true }, // every client, confidential too; the library only supports S256
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'ES256'],
    // RS384/ES384 are NOT in the library's default list; without this the backend clients are rejected.
    clientAuthSigningAlgValues: ['RS256', 'RS384', 'ES256', 'ES384'],
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  ttl: { AccessToken: 600, AuthorizationCode: 60, ClientCredentials: 300, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
  features: {
    devInteractions: { enabled: false }, // we serve our own login page below
    clientCredentials: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out', `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`);
      },
      async postLogoutSuccessSource(ctx) { ctx.body = page('Signed out', '<p>You are signed out.</p>'); },
    },
    resourceIndicators: {
      enabled: true,
      // SMART backend clients do not send `resource`, so it defaults to the FHIR base for them;
      // without a resource the library would drop the system/* scopes and issue an opaque token.
      async defaultResource(ctx, client, oneOf) {
        if (isBackendClient(client ?? ctx.oidc.client)) return fhirAudience;
        return oneOf;
      },
      async getResourceServerInfo(_ctx, resource, client) {
        if (resource !== fhirAudience || !isBackendClient(client)) throw new errors.InvalidTarget();
        return {
          scope: client.scope, // the token carries only scopes this client is registered for
          audience: fhirAudience,
          accessTokenFormat: 'jwt', // typ at+jwt, signed with rsa-1
          accessTokenTTL: 300, // SMART asks for at most five minutes
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Sign-in error', `<p id="error">${esc(out.error)}</p><p id="error_description">${esc(out.error_description ?? '')}</p>`);
  },
});
stage('provider configured');

// --- Login and consent ----------------------------------------------------------------------
function loginForm(uid, { login = '', error = '' } = {}) {
  return page('Sign in', `${error ? `<p id="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label>Login <input name="login" type="text" value="${esc(login)}" autofocus></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button>
</form>`);
}

function readForm(req) {
  return new Promise((ok, fail) => {
    let body = '';
    req.on('data', (d) => { body += d; if (body.length > 16384) fail(new Error('form too large')); });
    req.on('end', () => ok(new URLSearchParams(body)));
    req.on('error', fail);
  });
}

function sendHtml(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

// Records consent for what the request asked and was not yet granted (the library lists it).
async function autoConsent(details) {
  const { prompt: { details: missing }, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grant.save();
  return { consent: details.grantId ? {} : { grantId } };
}

async function interaction(req, res, path) {
  const [, , uid, action] = path.split('/'); // /interaction/:uid[/login]
  // interactionDetails finds the interaction by its cookie; the uid in the path must agree.
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return sendHtml(res, 400, page('Sign-in error', '<p>Stale sign-in link.</p>'));
  const prompt = details.prompt.name;

  if (req.method === 'GET' && !action) {
    if (prompt === 'login') return sendHtml(res, 200, loginForm(uid));
    if (prompt === 'consent' && firstParty.has(details.params.client_id)) {
      return provider.interactionFinished(req, res, await autoConsent(details), { mergeWithLastSubmission: true });
    }
    return sendHtml(res, 403, page('Sign-in error', `<p>No consent page for prompt ${esc(prompt)}.</p>`));
  }
  if (req.method === 'POST' && action === 'login' && prompt === 'login') {
    const form = await readForm(req);
    const login = (form.get('login') ?? '').trim().toLowerCase();
    const user = users.find((u) => u.login === login);
    // Plain comparison is fine for fixed test passwords; this is not a production account store.
    if (!user || user.password !== form.get('password')) {
      return sendHtml(res, 401, loginForm(uid, { login, error: 'Wrong login or password.' }));
    }
    return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
  }
  return sendHtml(res, 405, page('Sign-in error', '<p>Unexpected request.</p>'));
}

const oidcCallback = provider.callback();
server.on('request', (req, res) => {
  const path = new URL(req.url, issuer).pathname;
  if (!path.startsWith('/interaction/')) return oidcCallback(req, res);
  interaction(req, res, path).catch((err) => {
    // SessionNotFound and friends: the browser lost its interaction cookie or it expired.
    if (!res.headersSent) sendHtml(res, err.statusCode ?? 500, page('Sign-in error', `<p>${esc(err.error_description ?? err.message)}</p>`));
    else res.destroy();
  });
});

// --- Files for the tests --------------------------------------------------------------------
function writeAtomic(name, text) {
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, join(dir, name));
}
const publicJwks = { keys: signing.map((k) => k.publicJwk) };
writeAtomic('jwks.json', JSON.stringify(publicJwks, null, 2) + '\n');
for (const b of backendClients) writeAtomic(b.file, b.pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));

const url = (p) => `${issuer}${p}`;
writeAtomic('oidc.json', JSON.stringify({
  issuer,
  port,
  pid: process.pid,
  discovery: url('/.well-known/openid-configuration'),
  authorization_endpoint: url('/auth'),
  token_endpoint: url('/token'),
  userinfo_endpoint: url('/me'),
  jwks_uri: url('/jwks'),
  end_session_endpoint: url('/session/end'),
  fhir_audience: fhirAudience,
  keys: { jwks_file: join(dir, 'jwks.json'), signing: signing.map(({ publicJwk: { kid, alg, kty } }) => ({ kid, alg, kty })) },
  clients: {
    'staff-console': {
      client_id: 'staff-console',
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutUris,
      id_token_signed_response_alg: idTokenAlg,
      scope: 'openid profile email triage',
      pkce: 'S256 required',
    },
    ...Object.fromEntries(backendClients.map((b) => [b.client_id, {
      client_id: b.client_id,
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: b.alg,
      kid: b.kid,
      private_key_file: join(dir, b.file),
      public_jwk: b.pair.publicJwk,
      scope: backendScope,
      client_assertion_aud: url('/token'),
    }])),
  },
  users: users.map(({ login, password, sub, name, clinic, roles }) => ({ login, password, sub, name, clinic, roles })),
}, null, 2) + '\n');

process.stderr.write(`oidc provider ready at ${issuer} (id tokens ${idTokenAlg})\n`);
// Stop cleanly on the signal the test scripts send by PID.
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); server.closeAllConnections(); process.exit(0); });
