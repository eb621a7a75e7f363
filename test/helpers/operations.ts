// The operations the tests send, typed by GraphQL Code Generator (`npm run codegen`).
import { graphql } from '../gql/index.js';

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      role
      subject
      project {
        id
        name
      }
    }
  }
`);

export const CreateExperiment = graphql(`
  mutation CreateExperiment($input: CreateExperimentInput!) {
    createExperiment(input: $input) {
      id
      name
      description
      hypothesis
      tags
      archived
      createdAt
      updatedAt
    }
  }
`);

export const UpdateExperiment = graphql(`
  mutation UpdateExperiment($id: ID!, $input: UpdateExperimentInput!) {
    updateExperiment(id: $id, input: $input) {
      id
      name
      description
      tags
      updatedAt
    }
  }
`);

export const ArchiveExperiment = graphql(`
  mutation ArchiveExperiment($id: ID!) {
    archiveExperiment(id: $id) {
      id
      archived
    }
  }
`);

export const ListExperiments = graphql(`
  query ListExperiments($first: Int, $after: String, $search: String, $tags: [String!], $includeArchived: Boolean) {
    experiments(first: $first, after: $after, search: $search, tags: $tags, includeArchived: $includeArchived) {
      totalCount
      edges {
        cursor
        node {
          id
          name
        }
      }
      nodes {
        id
        name
        tags
        archived
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

export const ExperimentsWithRuns = graphql(`
  query ExperimentsWithRuns($first: Int) {
    experiments(first: $first) {
      totalCount
      nodes {
        id
        name
        runCount
        latestRun {
          id
          status
          experiment {
            id
          }
          models {
            id
            name
          }
          promptVersions {
            id
            version
            prompt {
              id
              name
            }
          }
        }
        runs(first: 2) {
          totalCount
          nodes {
            id
            status
          }
          pageInfo {
            hasNextPage
          }
        }
      }
    }
  }
`);

export const GetExperiment = graphql(`
  query GetExperiment($id: ID!) {
    experiment(id: $id) {
      id
      name
    }
  }
`);

export const NodeQuery = graphql(`
  query Node($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on Experiment {
        name
      }
      ... on Prompt {
        name
      }
      ... on PromptVersion {
        version
      }
      ... on Model {
        name
      }
      ... on Run {
        status
      }
      ... on ApiKey {
        name
      }
      ... on Project {
        name
      }
    }
  }
`);

export const CreateModel = graphql(`
  mutation CreateModel($input: CreateModelInput!) {
    createModel(input: $input) {
      id
      name
      provider
      modelName
      baseUrl
      hasApiKey
      parameters
      inputCostPerMTok
      outputCostPerMTok
      maxConcurrency
      requestsPerMinute
      createdAt
    }
  }
`);

export const ListModels = graphql(`
  query ListModels($first: Int, $after: String) {
    models(first: $first, after: $after) {
      totalCount
      nodes {
        id
        name
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const CreatePrompt = graphql(`
  mutation CreatePrompt($input: CreatePromptInput!) {
    createPrompt(input: $input) {
      id
      name
      description
      latestVersion {
        id
        version
        system
        template
        variables
      }
    }
  }
`);

export const CreatePromptVersion = graphql(`
  mutation CreatePromptVersion($input: CreatePromptVersionInput!) {
    createPromptVersion(input: $input) {
      id
      version
      template
      variables
      prompt {
        id
        name
      }
    }
  }
`);

export const GetPrompt = graphql(`
  query GetPrompt($id: ID!, $first: Int, $after: String) {
    prompt(id: $id) {
      id
      name
      latestVersion {
        version
        template
      }
      versions(first: $first, after: $after) {
        totalCount
        nodes {
          id
          version
          template
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const ListPrompts = graphql(`
  query ListPrompts($first: Int) {
    prompts(first: $first) {
      totalCount
      nodes {
        id
        name
        latestVersion {
          version
        }
        versions(first: 1) {
          totalCount
        }
      }
    }
  }
`);

export const CreateApiKey = graphql(`
  mutation CreateApiKey($name: String!, $role: Role!) {
    createApiKey(name: $name, role: $role) {
      secret
      apiKey {
        id
        name
        role
        prefix
        createdAt
        lastUsedAt
        revokedAt
      }
    }
  }
`);

export const RevokeApiKey = graphql(`
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
      revokedAt
    }
  }
`);

export const ListApiKeys = graphql(`
  query ListApiKeys {
    apiKeys {
      id
      name
      role
      prefix
      revokedAt
    }
  }
`);

export const ExperimentUpdated = graphql(`
  subscription ExperimentUpdated($id: ID!) {
    experimentUpdated(id: $id) {
      id
      name
      archived
    }
  }
`);
