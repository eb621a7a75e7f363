/**
 * urql's document cache refetches a query after a mutation returning a type the query's last result held; an empty
 * list holds none, so list queries name the types that can appear in them. Constant objects: a new context object
 * each render would restart the query.
 */
const listsOf = (...typenames: string[]) => ({ additionalTypenames: typenames });

export const EXPERIMENTS = listsOf('Experiment', 'Run');
export const DATASETS = listsOf('Dataset', 'DatasetVersion');
export const PROMPTS = listsOf('Prompt', 'PromptVersion');
export const MODELS = listsOf('Model');
export const API_KEYS = listsOf('ApiKey');
