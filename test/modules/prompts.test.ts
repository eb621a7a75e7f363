import { describe, expect, it } from 'vitest';
import { graphqlError, useTestLab } from '../helpers/lab.js';
import { CreatePrompt, CreatePromptVersion, GetPrompt, ListPrompts } from '../helpers/operations.js';

const t = useTestLab('RESEARCHER');

describe('prompts', () => {
  it('creates version 1 with the variables of the system message and template, in order of first use', async () => {
    const { createPrompt } = await t.project.client.request(CreatePrompt, {
      input: {
        name: 'qa',
        system: 'You answer in {{language}}.',
        template: 'Q: {{question}} {{{context}}} {{#examples}}{{q}}{{/examples}} {{^hint}}no hint{{/hint}} {{language}} {{meta.source}}',
      },
    });
    expect(createPrompt.latestVersion).toMatchObject({ version: 1, variables: ['language', 'question', 'context', 'examples', 'hint', 'meta.source'] });
  });

  it('adds versions without changing earlier ones, numbered 2, 3, ... and pages them newest first', async () => {
    const { createPrompt } = await t.project.client.request(CreatePrompt, { input: { name: 'summarise', template: 'v1 {{text}}' } });
    const v2 = (await t.project.client.request(CreatePromptVersion, { input: { promptId: createPrompt.id, template: 'v2 {{text}} {{style}}' } })).createPromptVersion;
    expect(v2).toMatchObject({ version: 2, variables: ['text', 'style'], prompt: { id: createPrompt.id } });
    await t.project.client.request(CreatePromptVersion, { input: { promptId: createPrompt.id, template: 'v3' } });

    const page1 = (await t.project.client.request(GetPrompt, { id: createPrompt.id, first: 2 })).prompt!;
    expect(page1.latestVersion).toMatchObject({ version: 3, template: 'v3' });
    expect(page1.versions.totalCount).toBe(3);
    expect(page1.versions.nodes.map((v) => v.version)).toEqual([3, 2]);
    const page2 = (await t.project.client.request(GetPrompt, { id: createPrompt.id, first: 2, after: page1.versions.pageInfo.endCursor })).prompt!;
    expect(page2.versions.nodes).toEqual([{ id: createPrompt.latestVersion.id, version: 1, template: 'v1 {{text}}' }]);
    expect(page2.versions.pageInfo.hasNextPage).toBe(false);
  });

  it('numbers concurrent versions without gaps or duplicates', async () => {
    const { createPrompt } = await t.project.client.request(CreatePrompt, { input: { name: 'race', template: 'x' } });
    const versions = await Promise.all(
      Array.from({ length: 8 }, (_, i) => t.project.client.request(CreatePromptVersion, { input: { promptId: createPrompt.id, template: `t${i}` } })),
    );
    expect(versions.map((v) => v.createPromptVersion.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('refuses a malformed template with BAD_USER_INPUT naming the field, and keeps nothing', async () => {
    const own = await t.lab.newProject('RESEARCHER');
    const unclosed = await graphqlError(own.client.request(CreatePrompt, { input: { name: 'bad', template: 'Hi {{#items}} no end' } }));
    expect(unclosed.code).toBe('BAD_USER_INPUT');
    expect(unclosed.message).toMatch(/^template: not a valid mustache template: Unclosed section "items"/);
    const partial = await graphqlError(own.client.request(CreatePrompt, { input: { name: 'bad', template: 'ok', system: '{{> header}}' } }));
    expect(partial.message).toContain('system: ');
    expect(partial.message).toContain('partials');
    expect((await own.client.request(ListPrompts, {})).prompts.totalCount).toBe(0);
  });

  it('refuses a second prompt of the same name with CONFLICT', async () => {
    await t.project.client.request(CreatePrompt, { input: { name: 'twice', template: 'a' } });
    const error = await graphqlError(t.project.client.request(CreatePrompt, { input: { name: 'twice', template: 'b' } }));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain('createPromptVersion');
  });
});
