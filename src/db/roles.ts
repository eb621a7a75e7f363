/**
 * The roles of API keys, weakest first: the `role` enum of the schema, and what `llm-lab api-key
 * create --role` accepts. A module of its own so that the CLI can list them without loading drizzle.
 */
export const ROLE_NAMES = ['VIEWER', 'RESEARCHER', 'ADMIN'] as const;
