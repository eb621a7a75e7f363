import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { unauthenticated } from '../../common/errors.js';
import { parseGlobalId, UUID } from '../../common/global-id.js';
import type { Config } from '../../config.js';
import { roles, type RoleName, type Viewer } from './viewer.js';

/** Sign-in with bearer tokens of an identity provider, beside API keys (LAB_JWT_*). */
export interface JwtSettings {
  issuer: string;
  audience: string;
  /** The provider's keys (RS256, ES256, EdDSA, ...), or */
  jwksUrl?: string;
  /** a shared HS256 secret. */
  secret?: string;
  /** The claim holding the project's id (the id the API shows, or its UUID). */
  projectClaim: string;
  /** The claim holding the role: VIEWER, RESEARCHER or ADMIN. */
  roleClaim: string;
}

/** The settings from LAB_JWT_*; null when the lab accepts API keys only. */
export function jwtSettings(jwt: Config['jwt']): JwtSettings | null {
  if (!jwt.LAB_JWT_JWKS_URL && !jwt.LAB_JWT_SECRET) return null;
  return {
    issuer: jwt.LAB_JWT_ISSUER!,
    audience: jwt.LAB_JWT_AUDIENCE!,
    jwksUrl: jwt.LAB_JWT_JWKS_URL,
    secret: jwt.LAB_JWT_SECRET,
    projectClaim: jwt.LAB_JWT_PROJECT_CLAIM,
    roleClaim: jwt.LAB_JWT_ROLE_CLAIM,
  };
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Whether a bearer value is a JWT (three base64url parts) rather than an API key. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** Why a token was refused, said so that whoever set up the identity provider knows what to change. */
function refusal(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'The token has expired; sign in again for a new one.';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `The token's "${err.claim}" claim is not what this lab accepts (${err.reason}); check LAB_JWT_ISSUER and LAB_JWT_AUDIENCE against the identity provider.`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'The token is signed with an algorithm this lab does not accept (unsigned tokens never are).';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'The token is signed with a key the identity provider does not publish (unknown "kid").';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token\'s signature does not verify.';
  if (err instanceof joseErrors.JOSEError) return `The token is not valid: ${err.message}.`;
  return 'The token could not be verified.';
}

/**
 * Verifies tokens with jose: issuer, audience, expiry and signature (HS256 with a secret, or the
 * provider's JWKS), then maps the configured claims to a project and role. `alg: none`, expired,
 * wrong-audience and unknown-key tokens are UNAUTHENTICATED, each saying why.
 */
export class JwtVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(
    private readonly settings: JwtSettings,
    /** Whether the project exists: a token may name one that was never made. */
    private readonly projectExists: (projectId: string) => Promise<boolean>,
  ) {
    if (settings.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(settings.jwksUrl));
      this.algorithms = ASYMMETRIC;
    } else {
      this.key = new TextEncoder().encode(settings.secret);
      this.algorithms = ['HS256'];
    }
  }

  async verify(token: string): Promise<Viewer> {
    let payload: JWTPayload;
    try {
      const verified = await jwtVerify(token, this.key as JWTVerifyGetKey, { issuer: this.settings.issuer, audience: this.settings.audience, algorithms: this.algorithms });
      payload = verified.payload;
    } catch (err) {
      throw unauthenticated(refusal(err));
    }
    const projectId = this.projectOf(payload[this.settings.projectClaim]);
    const role = payload[this.settings.roleClaim];
    if (typeof role !== 'string' || !(roles as readonly string[]).includes(role)) {
      throw unauthenticated(`The token's "${this.settings.roleClaim}" claim must be one of ${roles.join(', ')} (LAB_JWT_ROLE_CLAIM names it).`);
    }
    if (!(await this.projectExists(projectId))) throw unauthenticated('The token names a project that does not exist in this lab.');
    const subject = typeof payload.sub === 'string' && payload.sub ? payload.sub : 'unknown';
    return { projectId, role: role as RoleName, apiKeyId: null, subject: `jwt:${subject}`, expiresAt: payload.exp === undefined ? null : payload.exp * 1000 };
  }

  private projectOf(claim: unknown): string {
    if (typeof claim === 'string') {
      if (UUID.test(claim)) return claim;
      const parsed = parseGlobalId(claim);
      if (parsed?.type === 'Project') return parsed.id;
    }
    throw unauthenticated(`The token's "${this.settings.projectClaim}" claim must hold a project id (LAB_JWT_PROJECT_CLAIM names it).`);
  }
}
