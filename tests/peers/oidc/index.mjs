// Test OpenID provider for awslogin (node-oidc-provider v9), listening on http://$OIDC_HOST:$OIDC_PORT.
// Started and stopped by tests/peers/oidc.py; adapted from the team's peers recipe.
// Env: OIDC_HOST (127.0.0.1; also the issuer's host), OIDC_PORT (9000), OIDC_CLIENT_ID (relay-cli), OIDC_REDIRECT_URIS (comma list),
//      OIDC_AUTO_CONSENT=1 to skip the consent screen (login form only),
//      OIDC_IDTOKEN_CLAIMS=1 to put email/name claims into the id_token,
//      OIDC_APPLICATION_TYPE=web for a web client (native by default), whose redirect URIs
//      may be https on a loopback address (a relay behind a TLS proxy on this machine),
//      OIDC_DEVICE_FLOW=0 to turn off the device authorization grant (RFC 8628; on by
//      default, as at Okta, Entra ID, Keycloak or Auth0: the discovery document then has
//      `device_authorization_endpoint`, and the client may use the device_code grant),
//      OIDC_DEVICE_INTERVAL=N to put `interval: N` into device authorization responses
//      (node-oidc-provider sends none, so clients wait the RFC's default 5 seconds).
// Test state: GET /test/refresh-tokens/<account> lists the refresh tokens issued to that
// account (oldest first), so that a test can present to /token a token the client never
// showed it, such as one of a sign-in the client refused and revoked.
// The client is native: an http loopback redirect URI matches any port (RFC 8252 section 7.3),
// so registering http://127.0.0.1/callback admits http://127.0.0.1:<any port>/callback.
import { generateKeyPairSync } from 'node:crypto';
import Provider, { interactionPolicy } from 'oidc-provider';

const HOST = process.env.OIDC_HOST || '127.0.0.1';
const PORT = Number(process.env.OIDC_PORT || 9000);
const ISSUER = `http://${HOST}:${PORT}`;
const CLIENT_ID = process.env.OIDC_CLIENT_ID || 'relay-cli';
const REDIRECT_URIS = (process.env.OIDC_REDIRECT_URIS || 'http://127.0.0.1/callback')
  .split(',').map((uri) => uri.trim()).filter(Boolean);
const AUTO_CONSENT = process.env.OIDC_AUTO_CONSENT === '1';
const APPLICATION_TYPE = process.env.OIDC_APPLICATION_TYPE || 'native';
const DEVICE_FLOW = process.env.OIDC_DEVICE_FLOW !== '0';
const DEVICE_INTERVAL = Number(process.env.OIDC_DEVICE_INTERVAL || 0);
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

// A fresh RS256 signing key at each start; the kid is fixed so tests can find it in the JWKS.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' };

const configuration = {
  clients: [{
    client_id: CLIENT_ID,
    application_type: APPLICATION_TYPE,
    token_endpoint_auth_method: 'none', // public client: PKCE is required (S256 only)
    grant_types: ['authorization_code', 'refresh_token', ...(DEVICE_FLOW ? [DEVICE_CODE_GRANT] : [])],
    response_types: ['code'],
    redirect_uris: REDIRECT_URIS,
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [signingKey] },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Any login name is an account; it becomes the subject.
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    async claims() { return { sub, email: `${sub}@example.test`, email_verified: true, name: sub }; },
  }),
  // A refresh token whenever the client may use one, not only with offline_access + consent.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    deviceFlow: { enabled: DEVICE_FLOW },
  },
  ttl: {
    AccessToken: 3600, IdToken: 3600, AuthorizationCode: 60, RefreshToken: 86400,
    Interaction: 600, Session: 86400, Grant: 86400,
  },
  cookies: { keys: ['awslogin-test-cookie-key'] },
  // false puts the scope claims (email, name) into the id_token too, not only into /me.
  conformIdTokenClaims: process.env.OIDC_IDTOKEN_CLAIMS !== '1',
};

if (AUTO_CONSENT) {
  // Grant every requested scope at once, so the login form is the only interaction.
  // Native clients always get a consent prompt ('native_client_prompt'): drop that check.
  const policy = interactionPolicy.base();
  policy.get('consent').checks.remove('native_client_prompt');
  configuration.interactions = { policy };
  configuration.loadExistingGrant = async (ctx) => {
    const { provider } = ctx.oidc;
    const clientId = ctx.oidc.client.clientId;
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(clientId);
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
    await grant.save();
    return grant;
  };
}

const provider = new Provider(ISSUER, configuration);
if (DEVICE_FLOW && DEVICE_INTERVAL > 0) {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body) {
      ctx.body = { ...ctx.body, interval: DEVICE_INTERVAL };
    }
  });
}
const refreshTokens = new Map();
provider.on('refresh_token.saved', (token) => {
  const issued = refreshTokens.get(token.accountId) || [];
  if (!issued.includes(token.jti)) issued.push(token.jti); // an opaque token's value is its jti
  refreshTokens.set(token.accountId, issued);
});
provider.use(async (ctx, next) => {
  const match = ctx.method === 'GET' && /^\/test\/refresh-tokens\/([^/]+)$/.exec(ctx.path);
  if (!match) {
    await next();
    return;
  }
  ctx.body = refreshTokens.get(decodeURIComponent(match[1])) || [];
});
provider.listen(PORT, HOST, () => {
  console.log(`oidc-provider listening on ${ISSUER} (client ${CLIENT_ID}, auto_consent=${AUTO_CONSENT}, device_flow=${DEVICE_FLOW})`);
});
