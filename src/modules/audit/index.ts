import { defineModule } from '../../app/module.js';
import { createAuditLoaders } from './audit.loaders.js';
import { AuditRepo } from './audit.repo.js';
import { AuditEventResolver } from './audit.resolver.js';
import { AuditService } from './audit.service.js';
import { AuditEvent } from './audit.types.js';

export const auditModule = defineModule({
  name: 'audit',
  resolvers: [AuditEventResolver],
  nodes: { AuditEvent: { loader: 'auditEventById', fromRow: AuditEvent.fromRow } },
  build: ({ db }) => {
    const repo = new AuditRepo(db);
    return { service: new AuditService(repo), loaders: (projectId: string) => createAuditLoaders(repo, projectId) };
  },
});
