import { defineModule } from '../../app/module.js';
import { createPromptLoaders } from './prompts.loaders.js';
import { PromptsRepo } from './prompts.repo.js';
import { PromptResolver, PromptVersionResolver } from './prompts.resolver.js';
import { PromptsService } from './prompts.service.js';
import { Prompt, PromptVersion } from './prompts.types.js';

export const promptsModule = defineModule({
  name: 'prompts',
  resolvers: [PromptResolver, PromptVersionResolver],
  nodes: {
    Prompt: { loader: 'promptById', fromRow: Prompt.fromRow },
    PromptVersion: { loader: 'promptVersionById', fromRow: PromptVersion.fromRow },
  },
  build: ({ db }) => {
    const repo = new PromptsRepo(db);
    return { service: new PromptsService(db, repo), loaders: (projectId: string) => createPromptLoaders(repo, projectId) };
  },
});
