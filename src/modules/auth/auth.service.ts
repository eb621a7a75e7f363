import { notFound, unauthenticated, badInput } from '../../common/errors.js';
import type { ApiKeyRow } from '../../db/schema.js';
import { apiKeyPrefix, generateApiKey, hashApiKey } from './api-keys.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import type { AuthRepo } from './auth.repo.js';
import { looksLikeJwt, type JwtVerifier } from './jwt.js';
import type { RoleName, Viewer } from './viewer.js';

/** lastUsedAt is written at most once a minute per key, so reads do not turn into writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

const HOW_TO_GET_A_KEY = 'Create one with `llm-lab api-key create --name NAME --role ROLE`, or ask an admin of your project.';

/**
 * Said over HTTP and, as the 4401 close reason, over WebSocket, where a reason holds 123 bytes:
 * it names both ways to send a key and fits whole.
 */
const NO_KEY_SENT = 'No API key was sent. HTTP: "Authorization: Bearer <key>". WebSocket: connectionParams.authorization = "Bearer <key>".';

function assertNotRevoked(row: ApiKeyRow): void {
  if (row.revokedAt) {
    throw unauthenticated(`The API key "${row.name}" (${row.prefix}…) was revoked on ${row.revokedAt.toISOString()}. ${HOW_TO_GET_A_KEY}`);
  }
}

export class AuthService {
  constructor(
    private readonly repo: AuthRepo,
    private readonly pubsub: LabPubSub,
    /** Set when the lab accepts identity-provider tokens (LAB_JWT_*). */
    private readonly jwt: JwtVerifier | null = null,
  ) {}

  /** Resolves `Bearer <key>` (HTTP header or graphql-ws connectionParams) to a viewer, or throws UNAUTHENTICATED. */
  async authenticate(authorization: unknown): Promise<Viewer> {
    if (typeof authorization !== 'string' || authorization.trim() === '') {
      throw unauthenticated(NO_KEY_SENT);
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('The Authorization value must be "Bearer <api key>".');
    if (this.jwt && looksLikeJwt(match[1]!)) return this.jwt.verify(match[1]!);
    const row = await this.repo.byHash(hashApiKey(match[1]!));
    if (!row) throw unauthenticated(`This API key is not valid. ${HOW_TO_GET_A_KEY}`);
    assertNotRevoked(row);
    const now = new Date();
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.repo.markUsed(row.id, now);
    }
    return { projectId: row.projectId, role: row.role, apiKeyId: row.id, subject: `api-key:${row.name}` };
  }

  /** Checks again that the key a long-lived connection authenticated with is still valid. */
  async recheck(viewer: Viewer): Promise<void> {
    if (viewer.apiKeyId === null) {
      if (viewer.expiresAt != null && viewer.expiresAt <= Date.now()) throw unauthenticated('The token has expired; sign in again and reconnect.');
      return;
    }
    const [row] = await this.repo.byIds(viewer.projectId, [viewer.apiKeyId]);
    if (!row) throw unauthenticated(`This API key no longer exists. ${HOW_TO_GET_A_KEY}`);
    assertNotRevoked(row);
  }

  /** Creates a key; `secret` lets `dev` install a known key (LAB_ADMIN_API_KEY). The secret is returned once. */
  async createKey(projectId: string, name: string, role: RoleName, secret = generateApiKey()): Promise<{ row: ApiKeyRow; secret: string }> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 100) throw badInput('name: must be 1 to 100 characters', 'name');
    const row = await this.repo.insert({ projectId, name: trimmed, role, prefix: apiKeyPrefix(secret), keyHash: hashApiKey(secret) });
    return { row, secret };
  }

  /** A key with this exact secret, created unless it exists already (in any state). */
  async ensureKey(projectId: string, name: string, role: RoleName, secret: string): Promise<ApiKeyRow> {
    return (await this.repo.byHash(hashApiKey(secret))) ?? (await this.createKey(projectId, name, role, secret)).row;
  }

  list(projectId: string): Promise<ApiKeyRow[]> {
    return this.repo.list(projectId);
  }

  async revoke(projectId: string, id: string): Promise<ApiKeyRow> {
    const row = await this.repo.revoke(projectId, id);
    if (!row) throw notFound('ApiKey', id);
    this.pubsub.publish('api-key:revoked', { apiKeyId: row.id });
    return row;
  }
}
