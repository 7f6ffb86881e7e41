// A real OpenID Provider for the tests: `oidc-provider` (OpenID-certified) with a login page
// of its own that checks passwords, so the tests sign in the way a browser does.
//
// Usage: node oidc_provider.mjs CONFIG.json   (see tests/infra/oidc.py, which writes it)
// CONFIG: {port, issuer, module, clients: [...], accounts_file}
// The accounts file is read on every login and token request, so a test can disable a user
// ({"disabled": true}) or change their groups while the provider runs.
import fs from 'node:fs';
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { default: Provider, errors } = await import(pathToFileURL(config.module).href);

const accounts = () => JSON.parse(fs.readFileSync(config.accounts_file, 'utf8'));
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(config.issuer, {
  clients: config.clients,
  async findAccount(_ctx, id) {
    const account = accounts()[id];
    if (!account || account.disabled) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account.claims }; } };
  },
  claims: {
    acr: null,
    amr: null,
    // acr and amr in every ID token, as Keycloak and AD FS put them there
    openid: ['sub', 'acr', 'amr'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  // the groups and the username go into the ID token itself, as Keycloak's mappers do
  conformIdTokenClaims: false,
  // the authentication context of a login: the account record's `acr` and `amr` (a test
  // makes a person log in "with" a second factor or without one)
  acrValues: ['urn:akte:test:loa:1', 'urn:akte:test:loa:2'],
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    // service accounts: a client fetches an access token for akte's API for itself
    clientCredentials: { enabled: true },
    // access tokens for akte's API (CONFIG.api_resource): JWTs with that audience, as a
    // Keycloak client scope with an audience mapper gives them
    resourceIndicators: {
      enabled: true,
      useGrantedResource: () => true,
      async getResourceServerInfo(_ctx, resource) {
        if (resource !== config.api_resource) throw new errors.InvalidTarget();
        return { scope: 'api', audience: resource, accessTokenFormat: 'jwt',
          accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // first-party clients: no consent page, every requested scope is granted
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
    if (ctx.oidc.params.resource) grant.addResourceScope(ctx.oidc.params.resource, 'api');
    await grant.save();
    return grant;
  },
  // as Keycloak does: a refresh token for every client allowed the grant (akte re-checks
  // its sessions with it; disabled accounts and ended sessions make it fail)
  async issueRefreshToken(_ctx, client) { return client.grantTypeAllowed('refresh_token'); },
  cookies: { keys: ['akte-test-oidc-cookie-key'] },
  // the relying party lives on loopback here: lift the provider's guard against requests
  // to special-use addresses (SSRF) for its back-channel logout calls
  fetch: (url, options) => globalThis.fetch(url, { ...options, dispatcher: undefined }),
  // per client, how long its ID tokens live (`id_token_ttl`, seconds) and whom they are
  // issued to (`id_token_audience`: as a provider whose client or audience mapper names
  // another application does); see the wrapper of IdToken.issue below
  extraClientMetadata: { properties: ['id_token_ttl', 'id_token_audience'] },
  ttl: { IdToken: (_ctx, _token, client) => client?.id_token_ttl || config.id_token_ttl || 3600 },
});

// ID tokens of a client with `id_token_audience` are signed, by the provider's own keys and
// code, for that audience instead of the client (oidc-provider always uses the client id)
const issueIdToken = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = function issue(options) {
  const audience = this.client?.id_token_audience;
  if (options?.use === 'idtoken' && audience) {
    const client = this.client;
    this.client = new Proxy(client, {
      get: (target, key) => (key === 'clientId' ? audience : Reflect.get(target, key, target)),
    });
  }
  return issueIdToken.call(this, options);
};

function loginPage(uid, error) {
  return `<!doctype html><html lang="en"><head><title>Sign-in</title></head><body>
<h1>Test OP sign-in</h1>${error ? `<p id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}">
<label>Login <input name="login" id="login"></label>
<label>Password <input name="password" id="password" type="password"></label>
<button type="submit">Sign-in</button></form></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

provider.on('backchannel.error', (_ctx, err) => console.log(`backchannel logout failed: ${err}`));
const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const match = /^\/interaction\/([^/?]+)/.exec(req.url);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(loginPage(details.uid));
    }
    const form = await readForm(req);
    const login = form.get('login') || '';
    const account = accounts()[login];
    if (!account || account.disabled || account.password !== form.get('password')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(loginPage(details.uid, 'Invalid login or account disabled'));
    }
    const login_ = { accountId: login };
    if (account.acr) login_.acr = account.acr;
    if (account.amr) login_.amr = account.amr;
    return await provider.interactionFinished(req, res, { login: login_ },
      { mergeWithLastSubmission: false });
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    return res.end(`interaction failed: ${err.message}`);
  }
});
server.listen(config.port, '127.0.0.1', () => console.log(`listening ${config.issuer}`));
