// A real OpenID provider (panva/oidc-provider) for the staff OIDC sign-in tests.
//
// node idp.mjs PORT HOST CONFIG_JSON (HOST names it in the issuer URL), where CONFIG_JSON is {"client_id", "client_secret",
// "redirect_uri", "jwk"}: one confidential client and the provider's private signing key (the
// tests hold it too, so they can hand the relying party validly signed but wrong tokens).
// The provider's directory is in memory: a test puts a person in with
// POST /test/people {"sub", "email", "email_verified"}, then signs in with the subject as the
// login name (any password: these are the provider's development interactions).
// Prints "ready" once listening.
import Provider from "oidc-provider";

const [port, host, rawConfig] = process.argv.slice(2);
const config = JSON.parse(rawConfig);
const issuer = `http://${host}:${port}`;

const people = new Map();

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: [config.redirect_uri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  jwks: { keys: [config.jwk] },
  cookies: { keys: ["ombuds-test-idp-cookie-key"] },
  claims: { openid: ["sub"], email: ["email", "email_verified"] },
  // The email claims go into the ID token itself (the relying party reads no userinfo).
  conformIdTokenClaims: false,
  // PKCE is checked for every client, confidential ones too.
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const person = people.get(id);
    if (person === undefined) return undefined;
    return { accountId: id, claims: async () => ({ ...person, sub: id }) };
  },
});
provider.use(async (ctx, next) => {
  if (ctx.method !== "POST" || ctx.path !== "/test/people") return next();
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const { sub, ...claims } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  people.set(sub, claims);
  ctx.status = 204;
});
provider.on("server_error", (ctx, error) => console.error("server_error", error));

provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
